/**
 * The HubSpot connector: each lead lands as a contact (found by the id an earlier delivery
 * produced, then email, then phone; else created) and each call as a call engagement on that
 * contact's timeline. Talks to HubSpot only through @hubspot/api-client.
 *
 * Built by a factory because refreshing OAuth tokens needs the OAuth app's client secret, which
 * is environment configuration (core/config), not per-connector settings a business can read or
 * edit: the registry calls `createHubSpotConnector({ oauthApp })` once at boot. Stored credentials
 * carry only the business's own tokens.
 */
import { z } from 'zod'
import { ConnectorError, type Connector, type ConnectorContext, type DeliveryEvent, type DeliveryReceipt, type LeadPayload, type OAuthApp } from '../connector.ts'
import { eraseFromHubSpot } from './erase-contacts.ts'
import { HUBSPOT_API_BASE_URL } from './hubspot-client.ts'
import { createHubSpotOAuthFlow, privateAppCredentialsSchema } from './hubspot-oauth.ts'
import { HubSpotSession } from './hubspot-session.ts'
import { logCall } from './log-call.ts'
import { DEFAULT_FIELD_MAPPING, mapContactProperties } from './map-contact.ts'
import { upsertContact, type UpsertedContact } from './upsert-contact.ts'

// One delivery makes up to six HubSpot requests; past this budget it is "unavailable" and retried.
const DEFAULT_TIMEOUT_MS = 30_000
// A caller id we may create a contact from: E.164 (ITU-T E.164, "+" and up to 15 digits). Twilio
// sends "anonymous", "+266696687" and the like for withheld numbers; those do not pass.
const E164 = /^\+[1-9]\d{7,14}$/

const ownerRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('existing') }),
  z.object({ kind: z.literal('fixed'), ownerId: z.string().min(1) }),
  z.object({ kind: z.literal('round_robin'), ownerIds: z.array(z.string().min(1)).min(1) }),
])

/** Per-connector settings a business chooses. */
export const hubspotConfigSchema = z.object({
  ownerRule: ownerRuleSchema.default({ kind: 'existing' }),
  portalId: z.string().min(1).optional(),
})
export type HubSpotConfig = z.infer<typeof hubspotConfigSchema>

export interface HubSpotConnectorOptions {
  /** The environment's HubSpot OAuth app; null when none is configured (private-app tokens only, no refresh). */
  oauthApp: OAuthApp | null
  /**
   * Where the HubSpot API is (HUBSPOT_BASE_URL; a local server in tests and the demo). Deployment
   * configuration, never a business's setting: a business able to point its token-bearing requests
   * at any host would have a way into our network.
   */
  apiBaseUrl?: string
  /** The budget for all of one delivery's HubSpot requests. */
  timeoutMs?: number
  /** OAuth scopes to request; must match the app's settings in HubSpot. */
  scopes?: readonly string[]
}

function readConfig(ctx: ConnectorContext): HubSpotConfig {
  const parsed = hubspotConfigSchema.safeParse(ctx.connector.config)
  if (parsed.success) return parsed.data
  throw new ConnectorError('rejected', `the HubSpot connector settings are invalid: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`, { retryable: false })
}

function describe(contact: UpsertedContact): string {
  return contact.matchRule === 'created' ? `contact ${contact.id} created` : `contact ${contact.id} updated (matched by ${contact.matchRule})`
}

/** Builds the HubSpot connector; see the file comment for why it takes the OAuth app. */
export function createHubSpotConnector(options: HubSpotConnectorOptions): Connector {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS

  function openSession(ctx: ConnectorContext): Promise<HubSpotSession> {
    const basePath = options.apiBaseUrl ?? options.oauthApp?.baseUrl ?? HUBSPOT_API_BASE_URL
    return HubSpotSession.open(ctx, { app: options.oauthApp, basePath, timeoutMs })
  }

  async function deliverLead(session: HubSpotSession, event: DeliveryEvent, lead: LeadPayload, ctx: ConnectorContext, config: HubSpotConfig): Promise<DeliveryReceipt> {
    const contact = await upsertContact(session, {
      properties: mapContactProperties(lead, ctx.connector.fieldMapping),
      ownerRule: config.ownerRule,
      ownerSeed: lead.id,
      previousExternalId: ctx.previousExternalId,
      email: lead.email,
      phone: lead.phone,
    })
    // lead.updated changes the contact only: its call was logged when the lead was captured.
    if (event.type === 'lead.updated' || !event.call) return { externalId: contact.id, matchRule: contact.matchRule, statusCode: contact.statusCode, responseExcerpt: describe(contact) }
    const call = await logCall(session, event.call, contact.id, event.business.name)
    return { externalId: contact.id, matchRule: contact.matchRule, statusCode: contact.statusCode, responseExcerpt: `${describe(contact)}; call ${call.id} ${call.created ? 'logged' : 'already logged'}` }
  }

  /**
   * A call without a lead (a hang-up, a wrong number): logged on the contact an earlier delivery
   * of it produced; otherwise on a contact found or created from the caller's number, but only
   * when that is a real E.164 number, so withheld caller ids do not pile up as junk contacts.
   */
  async function deliverCallOnly(session: HubSpotSession, event: DeliveryEvent & { call: NonNullable<DeliveryEvent['call']> }, ctx: ConnectorContext, config: HubSpotConfig): Promise<DeliveryReceipt> {
    const call = event.call
    const number = call.direction === 'outbound' ? call.to : call.from
    let contact: UpsertedContact
    if (ctx.previousExternalId) contact = { id: ctx.previousExternalId, matchRule: 'external_id', statusCode: 200 }
    else if (E164.test(number)) {
      const phoneProperty = ctx.connector.fieldMapping.phone || 'phone'
      contact = await upsertContact(session, { properties: { [phoneProperty]: number }, ownerRule: config.ownerRule, ownerSeed: call.id, previousExternalId: null, email: null, phone: number })
    } else return { externalId: null, matchRule: null, responseExcerpt: 'no lead and no usable caller number: nothing logged' }
    const logged = await logCall(session, call, contact.id, event.business.name)
    return { externalId: contact.id, matchRule: contact.matchRule, statusCode: contact.statusCode, responseExcerpt: `${describe(contact)}; call ${logged.id} ${logged.created ? 'logged' : 'already logged'}` }
  }

  return {
    kind: 'hubspot',
    configSchema: hubspotConfigSchema,
    credentialsSchema: privateAppCredentialsSchema,
    oauth: createHubSpotOAuthFlow(options.scopes),
    defaultFieldMapping: DEFAULT_FIELD_MAPPING,
    // Calls without a lead are mostly hang-ups; a business that wants them adds call.completed.
    defaultEventTypes: ['lead.captured', 'lead.updated'],

    async test(ctx) {
      readConfig(ctx)
      const session = await openSession(ctx)
      try {
        await session.run('the connection test', (client) => client.crm.contacts.basicApi.getPage(1))
      } finally {
        session.close()
      }
    },

    async deliver(event, ctx) {
      const config = readConfig(ctx)
      if (!event.lead && !(event.type === 'call.completed' && event.call)) {
        throw new ConnectorError('rejected', `a ${event.type} event without its ${event.type === 'call.completed' ? 'call' : 'lead'} cannot be delivered`, { retryable: false })
      }
      const session = await openSession(ctx)
      try {
        if (event.lead) return await deliverLead(session, event, event.lead, ctx, config)
        return await deliverCallOnly(session, event as DeliveryEvent & { call: NonNullable<DeliveryEvent['call']> }, ctx, config)
      } finally {
        session.close()
      }
    },

    async erase(request, ctx) {
      const session = await openSession(ctx)
      try {
        return await eraseFromHubSpot(session, request)
      } finally {
        session.close()
      }
    },
  }
}
