import { UserInputError } from '../core/index.ts'
import { eraseCaller, type CallerErasureDeps } from './caller-erasure.ts'
import { exportCallerData } from './caller-export.ts'
import { readCallerSubject, type CallerInput } from './caller-subject.ts'
import { createDataRequest, type CallerSubject, type DataRequestDeps, type DataRequestHandlers, type DataRequestRow, type DataRequestRun, type NewDataRequest } from './data-requests.ts'

/** The handlers that serve callers' requests, for the data-request worker. */
export function callerRequestHandlers(deps: CallerErasureDeps): DataRequestHandlers {
  const callerOf = (run: DataRequestRun): CallerSubject => {
    // Sealed when the request was made and only cleared when it ends, so it is there while the job runs.
    if (!run.caller) throw new Error('the request has no caller to serve')
    return run.caller
  }
  return {
    'caller:export': async (run) => exportCallerData(deps.db, run.request.business_id as string, callerOf(run)),
    'caller:erasure': async (run) => eraseCaller(deps, run.request, callerOf(run), run.lastAttempt),
  }
}

export interface CallerRequestInput extends CallerInput {
  organizationId: string
  businessId: string
  kind: 'export' | 'erasure'
  /** Erasures cannot be undone, so the business says so explicitly. */
  confirm?: boolean | null
  requestedBy: string | null
  actor: NewDataRequest['actor']
}

/**
 * A business's request about one of its callers, made by someone the caller (of this function)
 * has already allowed to manage the business. Refused with user errors, nothing written: erasure
 * not confirmed, no or invalid phone and email. Asking again while one is open gives the open one.
 */
export async function requestCallerData(deps: DataRequestDeps, input: CallerRequestInput): Promise<DataRequestRow> {
  if (input.kind === 'erasure' && input.confirm !== true) {
    throw new UserInputError([{ field: ['input', 'confirm'], code: 'REQUIRED', message: 'Confirm the erasure: it removes everything about the caller and cannot be undone' }])
  }
  const caller = await readCallerSubject(deps.db, input.businessId, input)
  const { request } = await createDataRequest(deps, {
    subjectType: 'caller',
    kind: input.kind,
    organizationId: input.organizationId,
    businessId: input.businessId,
    caller,
    requestedBy: input.requestedBy,
    actor: input.actor,
  })
  return request
}
