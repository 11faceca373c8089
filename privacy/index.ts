import type { DomainPlugin } from '../core/index.ts'
import { privacyWorkerPlugin } from './privacy.plugin.ts'

export { sweepRetention, type RetentionCounts } from './retention-sweep.ts'
export { removeCalls, type RemovalCounts } from './call-removal.ts'
export { deleteObjects, type ObjectStorage } from './object-store-deletion.ts'
export { createDataRequest, type CallerSubject, type DataRequestHandler, type DataRequestHandlers, type DataRequestKind, type DataRequestResult, type DataRequestRow, type DataRequestRun, type NewDataRequest } from './data-requests.ts'
export { archiveDownloadUrl, ARCHIVE_TTL_DAYS } from './export-archives.ts'
export { requestCallerData } from './caller-requests.ts'
export { readCallerSubject } from './caller-subject.ts'
export { findCallerData, type CallerFindings, type DeliveredRecord } from './caller-data.ts'
export { erasureOf, readProgress } from './erasure-progress.ts'
export { closeOrganization, reopenableOrganizations, reopenOrganization, type ClosureDeps } from './organization-closure.ts'
export { confirmEmailChange, requestEmailChange, setProcessingRestriction, updateProfile } from './user-rights.ts'
export { eraseAccount } from './account-erasure.ts'
export { acknowledgePolicy, policyNotices, publishPolicyVersion } from './policy-versions.ts'

/** Retention runs where jobs run: in worker instances. */
export const privacyWorkerDomain: DomainPlugin = { roles: ['worker'], register: privacyWorkerPlugin }
