import type { CallPayload, Connector, ConnectorContext, DeliveryEvent, DeliveryReceipt, LeadPayload, OAuthApp } from '../connector.ts'
import { eraseFromSalesforce } from './erase-leads.ts'
import { findLeadByPhone } from './find-lead.ts'
import { callerNumber, logCallTask } from './log-task.ts'
import { DEFAULT_FIELD_MAPPING } from './map-lead.ts'
import { readConfig, readCredentials, salesforceConfigSchema, type SalesforceConfig } from './salesforce-config.ts'
import { salesforceOAuth } from './salesforce-oauth.ts'
import { SalesforceSession } from './salesforce-session.ts'
import { RECORD_ID } from './soql.ts'
import { upsertLead } from './upsert-lead.ts'

// Per HTTP request. The dispatcher's deadline (ctx.signal) bounds the delivery as a whole.
const REQUEST_TIMEOUT_MS = 20_000

export interface SalesforceConnectorOptions {
  /** The connected app (client id and secret from the environment); null when none is configured. */
  oauthApp: OAuthApp | null
  /** How long one HTTP request may take before it counts as unavailable (default 20 s). */
  requestTimeoutMs?: number
}

/**
 * Salesforce through jsforce: a captured lead becomes a Lead (found again by an earlier delivery's
 * id, the External ID field, email or phone) and its call a completed call Task on it.
 *
 * call.completed: when the event carries a lead it is delivered like lead.captured (the Lead, and
 * the call Task). A call without a lead (a wrong number, a caller who left no details) only logs the
 * Task on an open Lead whose phone matches the caller; when none matches nothing is written, so
 * robocalls do not become Leads, and the receipt says so (externalId null).
 */
export function createSalesforceConnector(options: SalesforceConnectorOptions): Connector {
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS

  function open(ctx: ConnectorContext): { config: SalesforceConfig; session: SalesforceSession } {
    const config = readConfig(ctx.connector.config)
    const session = new SalesforceSession(ctx, readCredentials(ctx.credentials), { app: options.oauthApp, apiVersion: config.apiVersion, requestTimeoutMs })
    return { config, session }
  }

  return {
    kind: 'salesforce',
    configSchema: salesforceConfigSchema,
    credentialsSchema: null,
    oauth: salesforceOAuth,
    defaultFieldMapping: DEFAULT_FIELD_MAPPING,
    defaultEventTypes: ['lead.captured', 'lead.updated'],

    /** One read that needs a valid session and access to Leads, which every delivery needs too. */
    async test(ctx) {
      const { session } = open(ctx)
      await session.run('reading Leads', (conn) => conn.query('SELECT Id FROM Lead LIMIT 1'))
    },

    async deliver(event, ctx) {
      const { config, session } = open(ctx)
      if (event.lead) return deliverLead(session, config, event, event.lead, ctx)
      if (event.type === 'call.completed' && event.call) return deliverCallWithoutLead(session, event, event.call, ctx)
      return { externalId: null, matchRule: null, responseExcerpt: `nothing to deliver for ${event.type} without a lead` }
    },

    async erase(request, ctx) {
      return eraseFromSalesforce(open(ctx).session, request)
    },
  }
}

async function deliverLead(session: SalesforceSession, config: SalesforceConfig, event: DeliveryEvent, lead: LeadPayload, ctx: ConnectorContext): Promise<DeliveryReceipt> {
  const outcome = await upsertLead(session, lead, ctx.connector.fieldMapping, config, ctx.previousExternalId)
  const done = [`Lead ${outcome.leadId} ${outcome.matchRule === 'created' ? 'created' : `updated (matched by ${outcome.matchRule})`}`]
  // An update changes the Lead only; its call was logged when the lead was captured.
  if (event.call && event.type !== 'lead.updated') {
    const task = await logCallTask(session, event.call, outcome.leadId, event.business.timeZone)
    done.push(`call Task ${task.taskId} ${task.created ? 'created' : 'already logged'}`)
  }
  return { externalId: outcome.leadId, matchRule: outcome.matchRule, statusCode: outcome.statusCode ?? undefined, responseExcerpt: done.join('; ') }
}

async function deliverCallWithoutLead(session: SalesforceSession, event: DeliveryEvent, call: CallPayload, ctx: ConnectorContext): Promise<DeliveryReceipt> {
  const known = ctx.previousExternalId && RECORD_ID.test(ctx.previousExternalId) ? ctx.previousExternalId : null
  const leadId = known ?? (await findLeadByPhone(session, callerNumber(call)))
  if (!leadId) return { externalId: null, matchRule: null, responseExcerpt: 'no open Lead has the caller\'s phone; nothing was written' }
  const task = await logCallTask(session, call, leadId, event.business.timeZone)
  return {
    externalId: leadId,
    matchRule: known ? 'external_id' : 'phone',
    statusCode: session.lastStatusCode ?? undefined,
    responseExcerpt: `call Task ${task.taskId} ${task.created ? 'created' : 'already logged'} on Lead ${leadId}`,
  }
}
