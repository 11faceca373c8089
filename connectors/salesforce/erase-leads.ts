import { ConnectorError, type ErasureRequest, type RecordErasure } from '../connector.ts'
import { ErasureRun, inChunks } from '../erasure-run.ts'
import { isRecordGone } from './salesforce-errors.ts'
import type { SalesforceSession } from './salesforce-session.ts'
import { RECORD_ID, soqlString } from './soql.ts'

// Ids per SOQL IN list: far below the 100,000-character query limit.
const IN_VALUES = 100

type LeadState = {
  Id: string
  IsConverted: boolean
  ConvertedContactId: string | null
}

async function queryAll<T extends Record<string, unknown>>(session: SalesforceSession, action: string, ids: readonly string[], soql: (list: string) => string): Promise<T[]> {
  const rows: T[] = []
  for (const chunk of inChunks(ids, IN_VALUES)) {
    const result = await session.run(action, (conn) => conn.query<T>(soql(chunk.map(soqlString).join(', '))))
    rows.push(...result.records)
  }
  return rows
}

/** Deletes one record; one Salesforce no longer has (ENTITY_IS_DELETED, NOT_FOUND) is already erased. */
async function destroy(session: SalesforceSession, object: 'Lead' | 'Task', id: string): Promise<string | undefined> {
  try {
    await session.run(`deleting the ${object}`, (conn) => conn.sobject(object).destroy(id))
    return undefined
  } catch (error) {
    if (isRecordGone(error)) return 'already deleted in Salesforce'
    throw error
  }
}

/**
 * Erases what deliveries left in Salesforce. The call Tasks go first, found by CallObject (the
 * Answerline call id) wherever they hang now: a converted Lead's Tasks move to its Contact, out of
 * reach of the Lead's deletion. Then each Lead. A converted Lead is deleted too, but the Contact
 * (and Account) it became stays: the note names it, for the business to erase by hand.
 * Deleted records sit in the recycle bin for 15 days before Salesforce purges them.
 */
export async function eraseFromSalesforce(session: SalesforceSession, request: ErasureRequest): Promise<RecordErasure[]> {
  const leadIds = request.externalIds.filter((id) => RECORD_ID.test(id))
  // One after the other: a session refreshes its token once, and two requests meeting a 401 together would ask twice.
  const tasks = await queryAll<{ Id: string }>(session, 'looking up the call Tasks', request.callIds, (list) => `SELECT Id FROM Task WHERE CallObject IN (${list})`)
  const leads = await queryAll<LeadState>(session, 'looking up the Leads', leadIds, (list) => `SELECT Id, IsConverted, ConvertedContactId FROM Lead WHERE Id IN (${list})`)
  const leadById = new Map(leads.map((lead) => [lead.Id, lead]))
  const run = new ErasureRun()
  await run.each('task', tasks.map((task) => task.Id), (id) => destroy(session, 'Task', id))
  await run.each('lead', leadIds, async (id) => {
    const lead = leadById.get(id)
    if (!lead) return 'already deleted in Salesforce'
    const gone = await destroy(session, 'Lead', id)
    if (!lead.IsConverted) return gone
    return `the Lead had been converted; the Contact it became${lead.ConvertedContactId ? ` (${lead.ConvertedContactId})` : ''} stays in Salesforce`
  })
  const malformed = request.externalIds.filter((id) => !RECORD_ID.test(id))
  return [...run.results, ...malformed.map((externalId) => ({ record: 'lead' as const, externalId, error: new ConnectorError('rejected', 'not a Salesforce record id', { retryable: false }) }))]
}
