import type { DomainPlugin } from '../core/index.ts'
import { privacyWorkerPlugin } from './privacy.plugin.ts'

export { sweepRetention, type RetentionCounts } from './retention-sweep.ts'

/** Retention runs where jobs run: in worker instances. */
export const privacyWorkerDomain: DomainPlugin = { roles: ['worker'], register: privacyWorkerPlugin }
