import type { FilterOperatorEnum, PublicObjectSearchRequest } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js'
import { ConnectorError, type MatchRule } from '../connector.ts'
import type { HubSpotSession } from './hubspot-session.ts'
import { chooseOwner, type OwnerRule } from './map-contact.ts'

const OWNER_PROPERTY = 'hubspot_owner_id'
// HubSpot's duplicate-email answer names the contact that has it, only in prose:
// {"status":"error","message":"Contact already exists. Existing ID: 37765128953","category":"CONFLICT"}
// https://github.com/HubSpot/hubspot-api-nodejs/issues/545
const EXISTING_ID = /Existing ID: (\d+)/

export interface ContactInput {
  /** Mapped contact properties; may be empty (a call logged on a known contact). */
  properties: Record<string, string>
  ownerRule: OwnerRule
  /** Seeds the round-robin owner choice, so a retry picks the same owner. */
  ownerSeed: string
  previousExternalId: string | null
  email: string | null
  phone: string | null
}

export interface UpsertedContact {
  id: string
  matchRule: MatchRule
  statusCode: number
}

interface Found {
  id: string
  matchRule: MatchRule
  /** undefined when we did not read it (the owner rule does not need it). */
  ownerId: string | null | undefined
}

function isStatus(error: unknown, status: number): error is ConnectorError {
  return error instanceof ConnectorError && error.statusCode === status
}

async function getContact(session: HubSpotSession, id: string): Promise<Found | null> {
  try {
    const contact = await session.run('the contact read', (client) => client.crm.contacts.basicApi.getById(id, [OWNER_PROPERTY]))
    return { id: contact.id, matchRule: 'external_id', ownerId: contact.properties[OWNER_PROPERTY] ?? null }
  } catch (error) {
    if (isStatus(error, 404)) return null
    throw error
  }
}

// Search matches property values exactly (EQ); HubSpot lowercases stored emails. The search index
// trails writes by a few seconds, which is why a create can still meet a 409 (handled below).
// https://developers.hubspot.com/docs/api/crm/search
async function searchContact(session: HubSpotSession, matchRule: 'email' | 'phone', propertyNames: string[], value: string): Promise<Found | null> {
  const request: PublicObjectSearchRequest = {
    // Filter groups are ORed: the phone may sit in phone or in mobilephone.
    filterGroups: propertyNames.map((propertyName) => ({ filters: [{ propertyName, operator: 'EQ' as FilterOperatorEnum, value }] })),
    properties: [OWNER_PROPERTY],
    limit: 1,
  }
  const page = await session.run(`the contact search by ${matchRule}`, (client) => client.crm.contacts.searchApi.doSearch(request))
  const contact = page.results[0]
  return contact ? { id: contact.id, matchRule, ownerId: contact.properties[OWNER_PROPERTY] ?? null } : null
}

async function updateContact(session: HubSpotSession, found: Found, input: ContactInput): Promise<UpsertedContact> {
  let current = found
  if (current.ownerId === undefined && input.ownerRule.kind !== 'existing') {
    current = (await getContact(session, found.id).then((read) => read && { ...read, matchRule: found.matchRule })) ?? current
  }
  const owner = chooseOwner(input.ownerRule, input.ownerSeed, current.ownerId, false)
  const properties = owner ? { ...input.properties, [OWNER_PROPERTY]: owner } : input.properties
  if (Object.keys(properties).length === 0) return { id: current.id, matchRule: current.matchRule, statusCode: 200 }
  const answer = await session.run('the contact update', (client) => client.crm.contacts.basicApi.updateWithHttpInfo(current.id, { properties }))
  // A merged contact answers with the id it survives under; later deliveries should use that one.
  return { id: answer.data.id, matchRule: current.matchRule, statusCode: answer.httpStatusCode }
}

async function createContact(session: HubSpotSession, input: ContactInput): Promise<UpsertedContact> {
  const owner = chooseOwner(input.ownerRule, input.ownerSeed, null, true)
  const properties = owner ? { ...input.properties, [OWNER_PROPERTY]: owner } : input.properties
  try {
    const answer = await session.run('the contact create', (client) => client.crm.contacts.basicApi.createWithHttpInfo({ properties, associations: [] }))
    return { id: answer.data.id, matchRule: 'created', statusCode: answer.httpStatusCode }
  } catch (error) {
    const existingId = isStatus(error, 409) ? EXISTING_ID.exec(error.message)?.[1] : undefined
    if (!existingId) throw error
    // The email is already taken (the search index had not caught up, or a crash came between
    // HubSpot's create and our receipt): update that contact instead of failing.
    return updateContact(session, { id: existingId, matchRule: 'email', ownerId: undefined }, input)
  }
}

/**
 * Finds the lead's contact (the id an earlier delivery produced, then email, then phone) and
 * updates it, or creates one. The receipt's matchRule says which of those happened.
 */
export async function upsertContact(session: HubSpotSession, input: ContactInput): Promise<UpsertedContact> {
  if (input.previousExternalId) {
    const known = input.ownerRule.kind === 'existing' ? { id: input.previousExternalId, matchRule: 'external_id' as const, ownerId: undefined } : await getContact(session, input.previousExternalId)
    try {
      if (known) return await updateContact(session, known, input)
    } catch (error) {
      // Deleted in HubSpot since the last delivery: find or create it again.
      if (!isStatus(error, 404)) throw error
    }
  }
  const email = input.email?.trim().toLowerCase()
  const byEmail = email ? await searchContact(session, 'email', ['email'], email) : null
  if (byEmail) return updateContact(session, byEmail, input)
  const phone = input.phone?.trim()
  const byPhone = phone ? await searchContact(session, 'phone', ['phone', 'mobilephone'], phone) : null
  if (byPhone) return updateContact(session, byPhone, input)
  return createContact(session, input)
}
