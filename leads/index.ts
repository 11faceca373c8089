import type { DomainPlugin } from '../core/index.ts'
import { leadWorkersPlugin } from './leads.plugin.ts'

export { captureFieldSchema, CAPTURE_FIELD_TYPES, CALL_OUTCOMES, TEMPERATURES, URGENCIES, type CaptureField } from './extraction/lead-fields.ts'
export { readCaptureFields } from './extract-lead.job.ts'
export { addLeadNote, editLead, LEAD_STATUSES, type LeadChanges, type LeadStatus } from './lead-lifecycle.ts'
export { normalizeEmail, normalizePhone } from './extraction/normalize.ts'

/** Lead extraction runs where jobs run: in worker instances. */
export const leadsWorkerDomain: DomainPlugin = {
  roles: ['worker'],
  register: async (app) => {
    await leadWorkersPlugin(app)
  },
}
