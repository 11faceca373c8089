import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { z } from 'zod'
import { recordDeliveries, type Knex } from '../../core/index.ts'
import { createMailer } from '../../core/mail/index.ts'
import { insertOrganization } from '../../core/testing/accounts.ts'
import { openTestDb, type TestDb } from '../../core/testing/test-db.ts'
import type { Connector, DeliveryEvent } from '../connector.ts'
import { sealCredentials } from '../connector-store.ts'
import type { ConnectorRegistry } from '../registry.ts'
import { DeliveryDispatcher } from './dispatcher.ts'

type Delivered = { event: DeliveryEvent; at: number }
const dispatcher = suite<{ test: TestDb; businessId: string; delivered: Delivered[]; delayMs: number }>('connectors: the delivery dispatcher (ordering, claiming, vendor limits)')
const KEYS = [{ kid: 'k', key: randomBytes(32) }]

/** A connector that records what it is given, answering after `delayMs`. */
function recordingConnector(ctx: { delivered: Delivered[]; delayMs: number }, kind: 'hubspot' | 'salesforce' | 'webhook'): Connector {
  return {
    kind,
    configSchema: z.object({}),
    credentialsSchema: null,
    oauth: null,
    defaultFieldMapping: {},
    defaultEventTypes: ['lead.captured', 'lead.updated'],
    test: async () => {},
    async deliver(event) {
      await new Promise((resolve) => setTimeout(resolve, ctx.delayMs))
      ctx.delivered.push({ event, at: Date.now() })
      return { externalId: `crm-${event.lead?.id ?? event.call?.id}`, matchRule: 'created' }
    },
  }
}

async function addConnector(db: Knex, businessId: string, kind: string): Promise<string> {
  const [row] = await db('connectors').insert({ business_id: businessId, kind, name: kind, event_types: ['lead.captured', 'lead.updated', 'call.completed'] }).returning('id')
  await db('connectors').where({ id: row.id }).update(sealCredentials(KEYS, row.id, { token: 'x' }))
  return row.id
}

async function addLead(db: Knex, businessId: string, n: number): Promise<string> {
  const [call] = await db('calls').insert({ business_id: businessId, twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, direction: 'inbound', from_number: `+1415555${String(n).padStart(4, '0')}`, to_number: '+14155550000', status: 'completed' }).returning('id')
  const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, name: `Caller ${n}`, extraction_method: 'fallback', fallback_reason: 'not_configured' }).returning('id')
  return lead.id
}

function dispatcherFor(ctx: { test: TestDb; delivered: Delivered[]; delayMs: number }, concurrency = 16): DeliveryDispatcher {
  const registry = { hubspot: recordingConnector(ctx, 'hubspot'), salesforce: recordingConnector(ctx, 'salesforce'), webhook: recordingConnector(ctx, 'webhook') } satisfies ConnectorRegistry
  const log = pino({ level: 'silent' })
  return new DeliveryDispatcher({ db: ctx.test.db, registry, keys: KEYS, mailer: createMailer({ resendApiKey: null, resendBaseUrl: null, from: 'x <x@x.test>', log, print: () => {} }), publicBaseUrl: 'https://answerline.test', concurrency, log })
}

function start(ctx: { test: TestDb; delivered: Delivered[]; delayMs: number }): DeliveryDispatcher {
  const worker = dispatcherFor(ctx)
  worker.start()
  return worker
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

dispatcher.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.businessId = (await insertOrganization(ctx.test.db)).businessIds[0] as string
})
dispatcher.before.each(async (ctx) => {
  ctx.delivered = []
  ctx.delayMs = 0
  await ctx.test.db('connectors').delete()
  await ctx.test.db('rate_limit_buckets').delete()
})
dispatcher.after((ctx) => ctx.test.destroy())

dispatcher('a lead\'s update waits for its capture to land, and carries the record id the capture produced', async (ctx) => {
  const { db } = ctx.test
  await addConnector(db, ctx.businessId, 'webhook')
  const leadId = await addLead(db, ctx.businessId, 1)
  ctx.delayMs = 300
  await db.transaction((trx) => recordDeliveries(trx, { type: 'lead.captured', businessId: ctx.businessId, leadId, callId: 'unused' }))
  await db.transaction((trx) => recordDeliveries(trx, { type: 'lead.updated', businessId: ctx.businessId, leadId, fields: ['name'] }))
  const worker = start(ctx)
  try {
    await until(async () => ctx.delivered.length === 2)
    assert.equal(ctx.delivered.map((d) => d.event.type), ['lead.captured', 'lead.updated'])
    assert.ok((ctx.delivered[1]?.at ?? 0) - (ctx.delivered[0]?.at ?? 0) >= 250, 'the update did not run alongside the capture')
  } finally {
    await worker.stop()
  }
})

dispatcher('two workers claiming at once never take the same delivery', async (ctx) => {
  const { db } = ctx.test
  await addConnector(db, ctx.businessId, 'webhook')
  for (let n = 0; n < 60; n++) {
    const leadId = await addLead(db, ctx.businessId, 100 + n)
    await db.transaction((trx) => recordDeliveries(trx, { type: 'lead.captured', businessId: ctx.businessId, leadId, callId: 'unused' }))
  }
  const [a, b] = await Promise.all([dispatcherFor(ctx).claim(40), dispatcherFor(ctx).claim(40)])
  const ids = [...(a ?? []), ...(b ?? [])].map((d) => d.id)
  assert.is(ids.length, 60)
  assert.is(new Set(ids).size, 60)
})

dispatcher('HubSpot\'s API limit: past 30 deliveries in 10 s the rest wait, without using up attempts', async (ctx) => {
  const { db } = ctx.test
  await db('deliveries').delete()
  await addConnector(db, ctx.businessId, 'hubspot')
  for (let n = 0; n < 40; n++) {
    const leadId = await addLead(db, ctx.businessId, 200 + n)
    await db.transaction((trx) => recordDeliveries(trx, { type: 'lead.captured', businessId: ctx.businessId, leadId, callId: 'unused' }))
  }
  const worker = start(ctx)
  try {
    await until(async () => ctx.delivered.length >= 30)
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.is(ctx.delivered.length, 30)
    const waiting = await db('deliveries').where({ status: 'pending' })
    assert.is(waiting.length, 10)
    assert.ok(waiting.every((d) => d.attempts === 0 && new Date(d.next_attempt_at).getTime() > Date.now()), 'postponed, not failed')
  } finally {
    await worker.stop()
  }
})

dispatcher.run()
