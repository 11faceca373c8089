import type { Client } from '@hubspot/api-client'
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js'
import { ConnectorError, type ErasureRequest, type RecordErasure } from '../connector.ts'
import { ErasureRun, inChunks } from '../erasure-run.ts'
import type { HubSpotSession } from './hubspot-session.ts'
import { callExternalId, EXTERNAL_ID_PROPERTY } from './log-call.ts'

// HubSpot's search takes at most 100 values in an IN filter and returns at most 200 results a page.
// https://developers.hubspot.com/docs/api/crm/search
const IN_VALUES = 100
const PAGE_SIZE = 100

const GONE_NOTE = 'already deleted in HubSpot'

function isGone(error: unknown): boolean {
  return error instanceof ConnectorError && error.statusCode === 404
}

/** The call engagements Answerline logged for these calls, by their external id, on whatever contact they hang now. */
async function findLoggedCalls(session: HubSpotSession, callIds: readonly string[]): Promise<string[]> {
  const found: string[] = []
  for (const chunk of inChunks(callIds, IN_VALUES)) {
    const values = chunk.map((id) => callExternalId({ id }))
    let after: string | undefined
    do {
      const page = await session.run('the logged call search', (client) =>
        client.crm.objects.calls.searchApi.doSearch({
          filterGroups: [{ filters: [{ propertyName: EXTERNAL_ID_PROPERTY, operator: 'IN' as FilterOperatorEnum, values }] }],
          properties: [EXTERNAL_ID_PROPERTY],
          limit: PAGE_SIZE,
          ...(after ? { after } : {}),
        }),
      )
      found.push(...page.results.map((call) => call.id))
      after = page.paging?.next?.after
    } while (after)
  }
  return [...new Set(found)]
}

/** Deletes one record; one HubSpot no longer has is already erased. */
function removal(session: HubSpotSession, action: string, remove: (client: Client, id: string) => Promise<unknown>): (id: string) => Promise<string | undefined> {
  return async (id) => {
    try {
      await session.run(action, (client) => remove(client, id))
      return undefined
    } catch (error) {
      if (isGone(error)) return GONE_NOTE
      throw error
    }
  }
}

/**
 * Erases what deliveries left in HubSpot. The logged calls go first: a GDPR delete of a contact
 * removes only its associations to them, and they carry the summary and transcript. Calls can only
 * be archived (HubSpot offers no GDPR delete for them). Then each contact goes through the GDPR
 * delete (POST /crm/v3/objects/contacts/gdpr-delete), which removes it for good rather than to the
 * recycle bin. Records already deleted there count as erased.
 * https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/gdpr/gdpr-delete-contact
 */
export async function eraseFromHubSpot(session: HubSpotSession, request: ErasureRequest): Promise<RecordErasure[]> {
  const calls = await findLoggedCalls(session, request.callIds)
  const run = new ErasureRun()
  await run.each('call', calls, removal(session, 'the call deletion', (client, id) => client.crm.objects.calls.basicApi.archive(id)))
  await run.each('contact', request.externalIds, removal(session, 'the contact GDPR delete', (client, id) => client.crm.contacts.basicApi.purge({ objectId: id })))
  return run.results
}
