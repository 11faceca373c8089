import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import type { Config } from '../core/index.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { killProcess, processEnvironment, startWorkerProcess } from '../core/testing/worker-process.ts'
import { eventually, finishedCall } from '../leads/testing/lead-fixture.ts'
import { insertVoiceBusiness, type VoiceBusiness } from '../voice/testing/voice-fixture.ts'
import { sealCredentials } from './connector-store.ts'
import { startFakeHubSpot, type FakeHubSpot } from './hubspot/testing/fake-hubspot.ts'
import { startFakeSalesforce, type FakeSalesforce } from './salesforce/testing/fake-salesforce.ts'
import { startWebhookReceiver, type WebhookReceiver } from './webhook/testing/webhook-receiver.ts'
import { rotateSecret } from './webhook/webhook-secrets.ts'

/**
 * A worker SIGKILLed while its deliveries are in flight (HubSpot has created the contact but not
 * answered; Salesforce is about to create the Lead; the webhook receiver holds the request) loses
 * nothing and duplicates nothing: after a restart each lead reaches each target exactly once, by
 * the target's own record ids (and, for the webhook, by webhook-id).
 */
type Ctx = { t: TestApp; hubspot: FakeHubSpot; salesforce: FakeSalesforce; receiver: WebhookReceiver; business: VoiceBusiness; env: NodeJS.ProcessEnv; dir: string; workers: ChildProcess[] }
const crash = suite<Ctx>('connectors: a worker killed mid-delivery')

crash.before(async (ctx) => {
  ctx.hubspot = await startFakeHubSpot()
  ctx.salesforce = await startFakeSalesforce()
  ctx.receiver = await startWebhookReceiver()
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-delivery-crash-'))
  ctx.workers = []
  const shared = {
    TWILIO_AUTH_TOKEN: 'delivery-crash-auth-token-1234567',
    WORKER_SECRET: 'delivery-crash-worker-secret-0123456789abcdef',
    AUTH_JWT_KEYS: `crash=${'k'.repeat(40)}`,
    AUTH_PEPPER: 'p'.repeat(40),
    CONNECTOR_KEYS: `crash=${randomBytes(32).toString('base64')}`,
    HUBSPOT_BASE_URL: ctx.hubspot.baseUrl,
    SALESFORCE_CLIENT_ID: ctx.salesforce.clientId,
    SALESFORCE_CLIENT_SECRET: ctx.salesforce.clientSecret,
    SALESFORCE_LOGIN_URL: ctx.salesforce.baseUrl,
    JOBS_POLL_SECONDS: '0.5',
  }
  ctx.t = await openTestApp((config: Config) => buildApp(config, { role: 'api' }), shared)
  ctx.env = processEnvironment(ctx.t.test.url, ctx.dir, { ...shared, S3_ENDPOINT: 'http://127.0.0.1:9', S3_ACCESS_KEY_ID: 'unused', S3_SECRET_ACCESS_KEY: 'unused' })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000 })
  const keys = ctx.t.app.config.connectors.keys
  const add = async (kind: string, config: Record<string, unknown>, credentials: Record<string, unknown>, fieldMapping: Record<string, string> = {}) => {
    const [row] = await ctx.t.test.db('connectors').insert({ business_id: ctx.business.businessId, kind, name: kind, config, field_mapping: fieldMapping, event_types: ['lead.captured'] }).returning('id')
    await ctx.t.test.db('connectors').where({ id: row.id }).update(sealCredentials(keys, row.id, credentials))
  }
  await add('hubspot', { ownerRule: { kind: 'existing' } }, { accessToken: ctx.hubspot.tokens.issuePrivate() }, { firstName: 'firstname', lastName: 'lastname', email: 'email', phone: 'phone' })
  await add('salesforce', {}, ctx.salesforce.grant(), { firstName: 'FirstName', lastName: 'LastName', email: 'Email', phone: 'Phone' })
  await add('webhook', { url: ctx.receiver.url }, rotateSecret(null))
})
crash.after(async (ctx) => {
  await Promise.all(ctx.workers.map(killProcess))
  await ctx.t.close()
  await Promise.all([ctx.hubspot.close(), ctx.salesforce.close(), ctx.receiver.close()])
  rmSync(ctx.dir, { recursive: true, force: true })
})

const startWorker = async (ctx: Ctx) => {
  const { worker } = await startWorkerProcess(ctx.env)
  ctx.workers.push(worker)
  return worker
}

crash('after SIGKILL mid-delivery and a restart, one HubSpot contact and call, one Salesforce Lead and Task, one webhook event', async (ctx) => {
  // HubSpot creates the contact and never answers; Salesforce creates the Lead after 2 s, too late
  // for the dead worker to hear; the receiver holds the request.
  ctx.hubspot.script.push({ match: /^POST \/crm\/v3\/objects\/contacts$/, hangAfter: true })
  ctx.salesforce.script.next(1, { slowMs: 2_000 }, /POST .*\/sobjects\/Lead$/)
  ctx.receiver.script.push({ hang: true })
  const first = await startWorker(ctx)
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, [['caller', 'This is Dana Whitfield, my email is dana at example dot com, call me on 415 555 0134.']])
  await eventually(async () => ctx.hubspot.contacts.size === 1 && ctx.receiver.received.length === 1 && ctx.salesforce.requests.some((r) => r.method === 'POST' && r.path.endsWith('/sobjects/Lead')), 30_000)
  await killProcess(first)
  await sleep(2_500)
  assert.is(ctx.salesforce.leads.length, 1, 'Salesforce created the Lead after the worker died')

  const lead = await ctx.t.test.db('leads').where({ call_id: callId }).first()
  const pending = await ctx.t.test.db('deliveries').where({ subject_id: lead.id, status: 'pending' })
  assert.is(pending.length, 3, 'all three deliveries are still pending, leased by the dead worker')
  // The dead worker's leases would run out after a minute; bring that moment forward.
  await ctx.t.test.db('deliveries').where({ subject_id: lead.id }).update({ next_attempt_at: ctx.t.test.db.fn.now() })

  await startWorker(ctx)
  const deliveries = await eventually(async () => {
    const rows = await ctx.t.test.db('deliveries as d').join('connectors as c', 'c.id', 'd.connector_id').where({ 'd.subject_id': lead.id }).select('c.kind', 'd.status', 'd.external_id', 'd.match_rule', 'd.attempts')
    return rows.length === 3 && rows.every((r) => r.status === 'delivered') ? rows : undefined
  }, 30_000)
  const byKind = Object.fromEntries(deliveries.map((d) => [d.kind, d]))

  const contacts = [...ctx.hubspot.contacts.values()]
  assert.is(contacts.length, 1, 'one HubSpot contact')
  assert.equal([byKind.hubspot.external_id, byKind.hubspot.match_rule, byKind.hubspot.attempts], [contacts[0]?.id, 'email', 2], 'found again by email, not created twice')
  assert.is([...ctx.hubspot.calls.values()].filter((c) => c.properties.hs_call_external_id === `answerline:${callId}`).length, 1, 'one call engagement')

  const sfLeads = ctx.salesforce.leads
  assert.is(sfLeads.length, 1, 'one Salesforce Lead')
  assert.equal([byKind.salesforce.external_id, byKind.salesforce.match_rule], [sfLeads[0]?.Id, 'email'])
  assert.is(ctx.salesforce.tasks.filter((t) => t.WhoId === sfLeads[0]?.Id).length, 1, 'one Task')

  const ids = new Set(ctx.receiver.received.map((r) => r.headers['webhook-id']))
  assert.is(ids.size, 1, 'the webhook repeated with the same webhook-id, so the receiver keeps one')
})

crash.run()
