import type { DomainPlugin } from '../core/index.ts'
import { privacyWorkerPlugin } from './privacy.plugin.ts'

export { sweepRetention, type RetentionCounts } from './retention-sweep.ts'
export { removeCalls, type RemovalCounts } from './call-removal.ts'
export { deleteObjects, type ObjectStorage } from './object-store-deletion.ts'

/** Retention runs where jobs run: in worker instances. */
export const privacyWorkerDomain: DomainPlugin = { roles: ['worker'], register: privacyWorkerPlugin }
