import { randomBytes } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, recordDeliveries } from '../../core/index.ts'
import { insertOrganization } from '../../core/testing/accounts.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { ConnectorError, type Connector } from '../connector.ts'
import { sealCredentials } from '../connector-store.ts'
import { createConnectorRegistry, type ConnectorRegistry } from '../registry.ts'
import { DeliveryDispatcher } from './dispatcher.ts'

const observed = suite<{ t: TestApp }>('connectors: delivery outcomes on /metrics')
const KEYS = [{ kid: 'k', key: randomBytes(32) }]
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

/** The real connectors, delivering through a stand-in for the vendor: it lands everything, or refuses everything as a vendor rejecting a record would. */
function registryFor(t: TestApp, refusing: ReadonlySet<string>): ConnectorRegistry {
  const real = createConnectorRegistry(t.app.config)
  const deliver = (kind: string): Connector['deliver'] => async (event) => {
    if (refusing.has(kind)) throw new ConnectorError('rejected', `record ${event.lead?.id} refused`, { statusCode: 422 })
    return { externalId: `crm-${event.lead?.id}`, matchRule: 'created' }
  }
  return { hubspot: { ...real.hubspot, deliver: deliver('hubspot') }, salesforce: { ...real.salesforce, deliver: deliver('salesforce') }, webhook: { ...real.webhook, deliver: deliver('webhook') } }
}

observed.before(async (ctx) => {
  ctx.t = await openTestApp(createApp)
})
observed.after((ctx) => ctx.t.close())

observed('each attempt is counted by connector kind and outcome, and a vendor refusal as a provider error', async ({ t }) => {
  const { db } = t.test
  const businessId = (await insertOrganization(db)).businessIds[0] as string
  for (const kind of ['hubspot', 'webhook']) {
    const [row] = await db('connectors').insert({ business_id: businessId, kind, name: kind, event_types: ['lead.captured'] }).returning('id')
    await db('connectors').where({ id: row.id }).update(sealCredentials(KEYS, row.id, { token: 'x' }))
  }
  for (let n = 0; n < 3; n++) {
    const [call] = await db('calls').insert({ business_id: businessId, twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, direction: 'inbound', from_number: '+14155550101', to_number: '+14155550000', status: 'completed' }).returning('id')
    const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, name: `Caller ${n}`, extraction_method: 'fallback', fallback_reason: 'not_configured' }).returning('id')
    await db.transaction((trx) => recordDeliveries(trx, { type: 'lead.captured', businessId, leadId: lead.id, callId: call.id }))
  }
  const registry = registryFor(t, new Set(['webhook']))
  const dispatcher = new DeliveryDispatcher({ db, registry, keys: KEYS, mailer: t.app.mailer, publicBaseUrl: 'https://answerline.test', concurrency: 4, log: t.app.log, metrics: t.app.metrics })
  dispatcher.start()
  const settled = async () => Number((await db('deliveries').whereIn('status', ['delivered', 'failed']).count({ n: '*' }).first())?.n) === 6
  const deadline = Date.now() + 15_000
  while (!(await settled())) {
    if (Date.now() > deadline) throw new Error('deliveries did not settle')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await dispatcher.stop()

  const text = (await t.app.inject({ url: '/metrics' })).body
  assert.match(text, /\nanswerline_deliveries_total\{connector="hubspot",outcome="delivered"\} 3\n/)
  assert.match(text, /\nanswerline_deliveries_total\{connector="webhook",outcome="rejected"\} 3\n/)
  assert.match(text, /\nanswerline_provider_errors_total\{provider="webhook",kind="rejected"\} 3\n/)
  assert.not.match(text, /provider="hubspot"/)
  assert.not.match(text, UUID)
})

observed.run()
