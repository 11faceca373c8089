import { ConnectorError, type LeadPayload, type MatchRule } from '../connector.ts'
import { findLeadByEmail, findLeadByExternalId, findLeadByPhone } from './find-lead.ts'
import { createOnlyFields, mapLeadFields } from './map-lead.ts'
import type { SalesforceConfig } from './salesforce-config.ts'
import { duplicateMatchIds, isRecordGone } from './salesforce-errors.ts'
import type { SalesforceSession } from './salesforce-session.ts'
import { RECORD_ID } from './soql.ts'

/** The Lead a delivery landed on, how it was found, and the HTTP status of the write. */
export interface LeadOutcome {
  leadId: string
  matchRule: MatchRule
  statusCode: number | null
}

/**
 * Writes `lead` to one Lead and says which: the Lead an earlier delivery produced; else, with
 * dedupe external_id, the Lead carrying the Answerline lead id; else the oldest open Lead with the
 * same email, then phone; else a new Lead. Repeating it after a crash finds what the first run wrote.
 */
export async function upsertLead(session: SalesforceSession, lead: LeadPayload, fieldMapping: Record<string, string>, config: SalesforceConfig, previousExternalId: string | null): Promise<LeadOutcome> {
  const mapped = mapLeadFields(lead, fieldMapping)
  if (previousExternalId && RECORD_ID.test(previousExternalId)) {
    try {
      return await updateLead(session, previousExternalId, mapped, 'external_id')
    } catch (error) {
      // The Lead an earlier delivery wrote was deleted (or merged away) since: find or create it afresh.
      if (!isRecordGone(error)) throw error
    }
  }
  if (config.dedupe.kind === 'external_id') return upsertByExternalId(session, lead, mapped, config, config.dedupe.field)
  const byEmail = lead.email ? await findLeadByEmail(session, lead.email) : null
  if (byEmail) return updateLead(session, byEmail, mapped, 'email')
  const byPhone = lead.phone ? await findLeadByPhone(session, lead.phone) : null
  if (byPhone) return updateLead(session, byPhone, mapped, 'phone')
  const record = { ...mapped, ...createOnlyFields(lead, mapped, config) }
  return withDuplicateFallback(session, mapped, async () => {
    const result = await session.run('creating the Lead', (conn) => conn.sobject('Lead').create(record))
    if (!result.success) throw rejectedSave('creating the Lead', result.errors)
    return { leadId: result.id, matchRule: 'created', statusCode: session.lastStatusCode }
  })
}

async function updateLead(session: SalesforceSession, leadId: string, fields: Record<string, unknown>, matchRule: MatchRule): Promise<LeadOutcome> {
  const result = await session.run('updating the Lead', (conn) => conn.sobject('Lead').update({ ...fields, Id: leadId }))
  if (!result.success) throw rejectedSave('updating the Lead', result.errors)
  return { leadId, matchRule, statusCode: session.lastStatusCode }
}

/**
 * Dedupe by an External ID field holding the Answerline lead id. An existing Lead is updated by id,
 * so it keeps its Company, source and owner; a new one is written with an upsert on the field, so
 * two deliveries racing each other still end on one Lead.
 */
async function upsertByExternalId(session: SalesforceSession, lead: LeadPayload, mapped: Record<string, unknown>, config: SalesforceConfig, field: string): Promise<LeadOutcome> {
  const existing = await findLeadByExternalId(session, field, lead.id)
  if (existing) return updateLead(session, existing, mapped, 'external_id')
  // jsforce puts the external id into the URL path as it is; the field itself is not sent in the body.
  const record = { ...mapped, ...createOnlyFields(lead, mapped, config), [field]: encodeURIComponent(lead.id) }
  return withDuplicateFallback(session, { ...mapped, [field]: lead.id }, async () => {
    const result = await session.run('upserting the Lead', (conn) => conn.sobject('Lead').upsert(record, field))
    if (!result.success) throw rejectedSave('upserting the Lead', result.errors)
    // API 46.0+ answers {id, created}: 201 for a new record, 200 for an update. Older versions
    // answer an update with 204 and no body, so the id is looked up.
    const status = session.lastStatusCode
    const leadId = (result.id as string | undefined) ?? (await findLeadByExternalId(session, field, lead.id))
    if (!leadId) throw new ConnectorError('unavailable', `Salesforce upserted the Lead but it cannot be found by ${field}`, { statusCode: status })
    const created = (result.created as boolean | undefined) ?? status === 201
    return { leadId, matchRule: created ? 'created' : 'external_id', statusCode: status }
  })
}

/**
 * A duplicate rule that blocks a new Lead (DUPLICATES_DETECTED) and names the Lead it matched is
 * telling us who this caller is: that Lead is updated instead. Duplicate rules mostly match on email
 * (the standard Lead rule: email, or name and company), hence matchRule 'email'. A rule that names
 * no record leaves the error as it is: rejected, with the code in the message.
 */
async function withDuplicateFallback(session: SalesforceSession, updateFields: Record<string, unknown>, create: () => Promise<LeadOutcome>): Promise<LeadOutcome> {
  try {
    return await create()
  } catch (error) {
    const [match] = duplicateMatchIds(error)
    if (!match) throw error
    return updateLead(session, match, updateFields, 'email')
  }
}

function rejectedSave(action: string, errors: Array<{ errorCode: string; message: string }>): ConnectorError {
  const detail = errors.map((e) => `${e.errorCode}: ${e.message}`).join('; ')
  return new ConnectorError('rejected', `Salesforce rejected ${action}: ${detail}`, { retryable: false })
}
