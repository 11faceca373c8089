/**
 * A business with a HubSpot, a Salesforce and a webhook connector, each talking to its local fake,
 * and a caller whose call and lead the real dispatcher delivered to all three: what erasing that
 * caller through the connectors starts from.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import pino from 'pino'
import { recordDeliveries, type Knex } from '../../core/index.ts'
import { createMailer } from '../../core/mail/index.ts'
import type { ConnectorKind } from '../connector.ts'
import { sealCredentials } from '../connector-store.ts'
import { DeliveryDispatcher } from '../delivery/dispatcher.ts'
import type { DeliveredRecord, ErasureDeps } from '../erasure.ts'
import { createHubSpotConnector } from '../hubspot/hubspot.connector.ts'
import { startFakeHubSpot, type FakeHubSpot } from '../hubspot/testing/fake-hubspot.ts'
import type { ConnectorRegistry } from '../registry.ts'
import { createSalesforceConnector } from '../salesforce/salesforce.connector.ts'
import { startFakeSalesforce, type FakeSalesforce } from '../salesforce/testing/fake-salesforce.ts'
import { appFor } from '../salesforce/testing/salesforce-fixtures.ts'
import { createWebhookConnector } from '../webhook/webhook.connector.ts'
import { rotateSecret } from '../webhook/webhook-secrets.ts'
import { startWebhookReceiver, type WebhookReceiver } from '../webhook/testing/webhook-receiver.ts'

/** The caller's personal data: none of it may appear in what erasure sends or returns. */
export const CALLER = { name: 'Dana Whitfield', email: 'dana.whitfield@example.com', phone: '+14155550134', digits: '4155550134' }

export interface ErasureWorld {
  db: Knex
  businessId: string
  deps: ErasureDeps
  hubspot: FakeHubSpot
  salesforce: FakeSalesforce
  receiver: WebhookReceiver
  webhookSecret: string
  connectorIds: Record<ConnectorKind, string>
  close(): Promise<void>
}

export async function startErasureWorld(db: Knex, businessId: string, options: { timeoutMs?: number } = {}): Promise<ErasureWorld> {
  const [hubspot, salesforce, receiver] = await Promise.all([startFakeHubSpot(), startFakeSalesforce(), startWebhookReceiver()])
  const hubspotApp = { clientId: hubspot.tokens.clientId, clientSecret: hubspot.tokens.clientSecret, baseUrl: hubspot.baseUrl, redirectUri: 'https://answerline.test/connectors/oauth/callback' }
  const registry: ConnectorRegistry = {
    hubspot: createHubSpotConnector({ oauthApp: hubspotApp, apiBaseUrl: hubspot.baseUrl }),
    salesforce: createSalesforceConnector({ oauthApp: appFor(salesforce) }),
    webhook: createWebhookConnector({ allowPrivateTargets: true }),
  }
  const deps: ErasureDeps = { db, registry, keys: [{ kid: 'test', key: randomBytes(32) }], ...options }
  const webhookCredentials = rotateSecret(null)
  const connectorIds = {
    hubspot: await addConnector(deps, businessId, 'hubspot', {}, { accessToken: hubspot.tokens.issuePrivate() }),
    salesforce: await addConnector(deps, businessId, 'salesforce', {}, salesforce.grant()),
    webhook: await addConnector(deps, businessId, 'webhook', { url: receiver.url }, webhookCredentials),
  }
  return {
    db,
    businessId,
    deps,
    hubspot,
    salesforce,
    receiver,
    webhookSecret: webhookCredentials.secrets[0]?.secret as string,
    connectorIds,
    close: async () => void (await Promise.all([hubspot.close(), salesforce.close(), receiver.close()])),
  }
}

export async function addConnector(deps: ErasureDeps, businessId: string, kind: ConnectorKind, config: Record<string, unknown>, credentials: Record<string, unknown>): Promise<string> {
  const [row] = await deps.db('connectors')
    .insert({ business_id: businessId, kind, name: `Our ${kind}`, config: JSON.stringify(config), field_mapping: JSON.stringify(deps.registry[kind].defaultFieldMapping), event_types: ['lead.captured', 'lead.updated', 'call.completed'] })
    .returning('id')
  await deps.db('connectors').where({ id: row.id }).update(sealCredentials(deps.keys, row.id, credentials))
  return row.id
}

/** The caller's call and lead, delivered to every connector by the dispatcher; their deliveries as erasure is given them. */
export async function deliverCaller(world: ErasureWorld): Promise<{ callId: string; leadId: string; deliveries: DeliveredRecord[] }> {
  const { db, businessId } = world
  const [call] = await db('calls').insert({ business_id: businessId, twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, direction: 'inbound', from_number: CALLER.phone, to_number: '+14155550000', status: 'completed', summary: 'Leaking sink.' }).returning('id')
  const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, name: CALLER.name, email: CALLER.email, phone: CALLER.phone, reason: 'Leaking sink', extraction_method: 'fallback', fallback_reason: 'not_configured' }).returning('id')
  await db.transaction(async (trx) => {
    await recordDeliveries(trx, { type: 'lead.captured', businessId, leadId: lead.id, callId: call.id })
    await recordDeliveries(trx, { type: 'call.completed', businessId, callId: call.id })
    await recordDeliveries(trx, { type: 'lead.updated', businessId, leadId: lead.id, fields: ['reason'] })
  })
  const log = pino({ level: 'silent' })
  // One at a time: a lead's capture and its call's completion racing each other could log the call twice.
  const dispatcher = new DeliveryDispatcher({ db, registry: world.deps.registry, keys: world.deps.keys, mailer: createMailer({ resendApiKey: null, resendBaseUrl: null, from: 'x <x@x.test>', log, print: () => {} }), publicBaseUrl: 'https://answerline.test', concurrency: 1, log })
  dispatcher.start()
  try {
    const deadline = Date.now() + 15_000
    while ((await db('deliveries').where({ business_id: businessId }).whereIn('subject_id', [lead.id, call.id]).whereNot({ status: 'delivered' })).length > 0) {
      if (Date.now() > deadline) throw new Error(`deliveries did not land: ${JSON.stringify(await db('deliveries').select('event_type', 'status', 'last_error'))}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    await dispatcher.stop()
  }
  const rows = await db('deliveries').where({ business_id: businessId }).whereIn('subject_id', [lead.id, call.id])
  world.receiver.received = []
  return {
    callId: call.id,
    leadId: lead.id,
    deliveries: rows.map((d) => ({ deliveryId: d.id, connectorId: d.connector_id, externalId: d.external_id, subjectType: d.subject_type, subjectId: d.subject_id })),
  }
}

/** True when any of `texts` carries the caller's name, email or phone number. */
export function leaksCallerData(...texts: string[]): boolean {
  return texts.some((text) => [CALLER.name, CALLER.email, CALLER.digits].some((value) => text.includes(value)))
}

export const newRequestId = (): string => randomUUID()
