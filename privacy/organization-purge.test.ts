/**
 * The purge of closed organizations: exactly those past their date go, with every row and stored
 * object of theirs (recordings, export archives) and their phone numbers released at Twilio, while
 * their billing accounts, ledger and invoices stay; organizations inside their 30 days and active
 * ones are untouched. A purge stopped half way (the store down, Twilio down) is finished by the
 * next run and counted once.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import pino from 'pino'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { appendLedger, createS3Client, startEmbeddedS3, testConfig, withStorage, type EmbeddedS3, type Knex } from '../core/index.ts'
import { insertApiKey, insertMembership, insertOrganization, insertUser } from '../core/testing/accounts.ts'
import { rejects } from '../core/testing/rejects.ts'
import { openTestDb, type TestDb } from '../core/testing/test-db.ts'
import { createTwilioClient } from '../voice/index.ts'
import { startFakeTwilio, type FakeTwilio } from '../voice/testing/fake-twilio.ts'
import type { ObjectStorage } from './object-store-deletion.ts'
import { purgeClosedOrganizations } from './organization-purge.ts'

interface Ctx {
  test: TestDb
  store: EmbeddedS3
  s3: S3Client
  dir: string
  twilio: FakeTwilio
}

const BUCKET = 'answerline'
const ACCOUNT_SID = `AC${'3'.repeat(32)}`
const AUTH_TOKEN = 'purge-test-auth-token-12345678'
const DAY = 86_400_000
const purge = suite<Ctx>('privacy: purging closed organizations')

purge.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-purge-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: BUCKET })
  ctx.s3 = createS3Client(withStorage(testConfig({ DATABASE_URL: ctx.test.url }), ctx.store).storage)
  ctx.twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN })
})
purge.after(async (ctx) => {
  ctx.s3?.destroy()
  await ctx.twilio?.close()
  await ctx.store?.stop()
  await ctx.test?.destroy()
  rmSync(ctx.dir, { recursive: true, force: true })
})

function run(ctx: Ctx, storage: ObjectStorage = { s3: ctx.s3, bucket: BUCKET }) {
  const twilio = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: ctx.twilio.baseUrl })
  return purgeClosedOrganizations({ db: ctx.test.db, storage, numbers: { db: ctx.test.db, twilio, publicBaseUrl: 'https://answer.example.com' }, stripe: null, log: pino({ level: 'silent' }) })
}

/** Broken on purpose: nothing listens on port 9. */
const unreachableStore = (): S3Client => new S3Client({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 })

interface Seeded {
  orgId: string
  businessIds: string[]
  callIds: string[]
  objectKeys: string[]
  numberSid: string
  accountIds: string[]
}

/**
 * An agency with two client businesses (one billed on its own) and everything the product keeps:
 * calls with transcripts, consent, recordings in the store and leads with contacts and notes,
 * contacts without a lead, connector deliveries with attempts, a caller's export archive, a number
 * bought at Twilio, members, a key, billing accounts with ledger entries and an invoice. Closed
 * with the given purge date, or left active.
 */
async function seed(ctx: Ctx, purgeAfter: Date | null, options: { callsPerBusiness?: number; recordingsIn?: number[] } = {}): Promise<Seeded> {
  const db = ctx.test.db
  const org = await insertOrganization(db, { kind: 'agency', businesses: 2 })
  const seeded: Seeded = { orgId: org.id, businessIds: org.businessIds, callIds: [], objectKeys: [], numberSid: `PN${randomBytes(16).toString('hex')}`, accountIds: [] }
  for (const [index, businessId] of org.businessIds.entries()) {
    const [connector] = await db('connectors').insert({ business_id: businessId, kind: 'webhook', name: 'CRM hook', config: { url: 'https://crm.example/hook' }, event_types: ['lead.captured'] }).returning('id')
    for (let n = 0; n < (options.callsPerBusiness ?? 2); n++) {
      const recorded = options.recordingsIn?.includes(index) ?? true
      const call = await fullCall(ctx, businessId, recorded)
      seeded.callIds.push(call.callId)
      if (call.key) seeded.objectKeys.push(call.key)
      const [delivery] = await db('deliveries').insert({ connector_id: connector.id, business_id: businessId, event_id: randomBytes(16).toString('hex'), event_type: 'lead.captured', subject_type: 'lead', subject_id: call.leadId, payload: { phone: '+15551230000' }, status: 'delivered', delivered_at: new Date(), attempts: 1 }).returning('id')
      await db('delivery_attempts').insert({ delivery_id: delivery.id, attempt: 1, outcome: 'delivered', status_code: 200 })
    }
    await db('contacts').insert({ business_id: businessId, phone: phone() })
  }
  const [request] = await db('data_requests').insert({ organization_id: org.id, business_id: org.businessIds[0], subject_type: 'caller', subject_hash: randomBytes(32), kind: 'export', status: 'completed', completed_at: new Date() }).returning('id')
  const archive = `exports/${request.id}.json`
  await ctx.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: archive, Body: '{"calls":[]}' }))
  await db('data_requests').where({ id: request.id }).update({ result_storage_key: archive, result_expires_at: new Date(Date.now() + 7 * DAY) })
  seeded.objectKeys.push(archive)

  ctx.twilio.numbers.set(seeded.numberSid, { sid: seeded.numberSid, phoneNumber: phone(), friendlyName: 'Front desk', voiceUrl: 'https://answer.example.com/voice/inbound', voiceMethod: 'POST', statusCallback: '', statusCallbackMethod: 'POST' })
  await db('phone_numbers').insert({ business_id: org.businessIds[0], e164: phone(), twilio_sid: seeded.numberSid, source: 'purchased' })

  const user = await insertUser(db)
  await insertMembership(db, user.id, org.id, 'owner')
  await insertApiKey(db, org.id, ['calls:read'])
  for (const businessId of [null, org.businessIds[1]]) {
    const [account] = await db('billing_accounts').insert({ organization_id: org.id, business_id: businessId, display_name: 'Acme Agency', plan: 'starter', subscription_status: 'active' }).returning('id')
    await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: 500 }]))
    await db('invoices').insert({ billing_account_id: account.id, stripe_invoice_id: `in_${randomBytes(8).toString('hex')}`, status: 'paid', currency: 'usd', amount_due: 4900, amount_paid: 4900, paid_at: new Date() })
    seeded.accountIds.push(account.id)
  }
  if (purgeAfter) await db('organizations').where({ id: org.id }).update({ status: 'closed', closed_at: new Date(purgeAfter.getTime() - 30 * DAY), purge_after: purgeAfter })
  return seeded
}

let sequence = 0
const phone = () => `+1555${String(7_000_000 + sequence++).padStart(7, '0')}`

async function fullCall(ctx: Ctx, businessId: string, recorded: boolean) {
  const db = ctx.test.db
  const [call] = await db('calls').insert({ business_id: businessId, direction: 'inbound', twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, from_number: '+15551230000', to_number: '+15559870000', status: 'completed', started_at: new Date(Date.now() - 300_000), ended_at: new Date(Date.now() - 200_000) }).returning('id')
  await db('transcript_segments').insert({ call_id: call.id, business_id: businessId, seq: 0, speaker: 'caller', text: 'I need a cleaning', started_ms: 0 })
  await db('consent_records').insert({ call_id: call.id, business_id: businessId, language: 'en-US', prompt_text: 'May we record this call?', decision: 'given', method: 'dtmf', decided_at: new Date() })
  let key: string | null = null
  if (recorded) {
    key = `recordings/${businessId}/${call.id}.wav`
    await ctx.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from('RIFF....WAVE') }))
    await db('recordings').insert({ call_id: call.id, business_id: businessId, storage_key: key, status: 'complete', bytes: 12, completed_at: new Date() })
  }
  const [contact] = await db('contacts').insert({ business_id: businessId, phone: phone() }).returning('id')
  const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, contact_id: contact.id, extraction_method: 'fallback', fallback_reason: 'unavailable' }).returning('id')
  await db('lead_notes').insert({ lead_id: lead.id, business_id: businessId, body: 'Call back Tuesday' })
  return { callId: call.id as string, leadId: lead.id as string, key }
}

const stored = (ctx: Ctx, key: string) => ctx.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(() => true, () => false)
const count = async (db: Knex, table: string, column: string, ids: string[]) => Number((await db(table).whereIn(column, ids).count({ n: '*' }).first())?.n)

/** Every row the organization had, by table; billing rows are checked separately. */
async function footprint(ctx: Ctx, s: Seeded): Promise<Record<string, number>> {
  const db = ctx.test.db
  const byBusiness = ['calls', 'transcript_segments', 'consent_records', 'recordings', 'leads', 'lead_notes', 'contacts', 'connectors', 'deliveries', 'phone_numbers']
  const rows: Record<string, number> = { organizations: await count(db, 'organizations', 'id', [s.orgId]), businesses: await count(db, 'businesses', 'id', s.businessIds) }
  for (const table of byBusiness) rows[table] = await count(db, table, 'business_id', s.businessIds)
  for (const table of ['memberships', 'api_keys', 'data_requests']) rows[table] = await count(db, table, 'organization_id', [s.orgId])
  return rows
}

async function assertBillingKept(ctx: Ctx, s: Seeded): Promise<void> {
  const db = ctx.test.db
  const accounts = await db('billing_accounts').whereIn('id', s.accountIds).select('organization_id', 'business_id', 'closed_at')
  assert.is(accounts.length, 2, 'both billing accounts are kept')
  assert.ok(accounts.every((a: { organization_id: string | null; business_id: string | null; closed_at: Date | null }) => a.organization_id === null && a.business_id === null && a.closed_at !== null), 'detached from the purged organization and closed')
  assert.is(await count(db, 'minute_ledger', 'billing_account_id', s.accountIds), 2)
  assert.is(await count(db, 'invoices', 'billing_account_id', s.accountIds), 2)
}

purge('removes exactly the closed organizations past their date, with their stored objects and numbers, and keeps their billing records', async (ctx) => {
  const due = await seed(ctx, new Date(Date.now() - 60_000))
  const inWindow = await seed(ctx, new Date(Date.now() + 5 * DAY))
  const active = await seed(ctx, null)
  const untouched = { inWindow: await footprint(ctx, inWindow), active: await footprint(ctx, active) }
  assert.is((await footprint(ctx, due)).calls, 4)

  assert.is(await run(ctx), 1)

  assert.ok(Object.values(await footprint(ctx, due)).every((n) => n === 0), JSON.stringify(await footprint(ctx, due)))
  for (const key of due.objectKeys) assert.not.ok(await stored(ctx, key), `${key} is gone from the store`)
  assert.not.ok(ctx.twilio.numbers.has(due.numberSid), 'the bought number went back to Twilio')
  await assertBillingKept(ctx, due)
  const [audit] = await ctx.test.db('audit_log').where({ action: 'organization.purged', organization_id: due.orgId }).select('metadata')
  assert.equal(audit?.metadata, {
    calls: 4, transcriptSegments: 4, consentRecords: 4, recordings: 4, leads: 4, contacts: 6, deliveries: 4, dataRequests: 1, exports: 1,
    phoneNumbersReleased: 1, businesses: 2, memberships: 1, apiKeys: 1, billingAccountsKept: 2,
  })

  assert.equal({ inWindow: await footprint(ctx, inWindow), active: await footprint(ctx, active) }, untouched)
  for (const key of [...inWindow.objectKeys, ...active.objectKeys]) assert.ok(await stored(ctx, key), `${key} is still in the store`)
  assert.ok(ctx.twilio.numbers.has(inWindow.numberSid) && ctx.twilio.numbers.has(active.numberSid))

  assert.is(await run(ctx), 0, 'a second run finds nothing more to do')
  assert.equal({ inWindow: await footprint(ctx, inWindow), active: await footprint(ctx, active) }, untouched)
  // Past its date, the one that was inside its window goes too.
  await ctx.test.db('organizations').where({ id: inWindow.orgId }).update({ purge_after: new Date(Date.now() - 1000) })
  await ctx.test.db('organizations').where({ id: active.orgId }).update({ status: 'closed', closed_at: new Date(), purge_after: new Date(Date.now() + 30 * DAY) })
  assert.is(await run(ctx), 1)
  assert.is((await footprint(ctx, inWindow)).organizations, 0)
  assert.is((await footprint(ctx, active)).organizations, 1)
})

purge('a purge stopped half way by the store being down is finished by the next run, and counted once', async (ctx) => {
  // The first business's calls have no recordings and go; the second's need the store.
  const due = await seed(ctx, new Date(Date.now() - 60_000), { callsPerBusiness: 3, recordingsIn: [1] })
  const broken = unreachableStore()
  try {
    await rejects(run(ctx, { s3: broken, bucket: BUCKET }))
  } finally {
    broken.destroy()
  }
  const halfway = await footprint(ctx, due)
  assert.equal([halfway.organizations, halfway.calls, halfway.recordings], [1, 3, 3], 'the first business is done, the second waits with its recordings')
  for (const key of due.objectKeys) assert.ok(await stored(ctx, key), 'nothing was lost track of')
  assert.equal((await ctx.test.db('organizations').where({ id: due.orgId }).first('purge_counts')).purge_counts.calls, 3)
  assert.equal(await ctx.test.db('audit_log').where({ action: 'organization.purged', organization_id: due.orgId }), [])

  assert.is(await run(ctx), 1)
  assert.ok(Object.values(await footprint(ctx, due)).every((n) => n === 0))
  for (const key of due.objectKeys) assert.not.ok(await stored(ctx, key))
  await assertBillingKept(ctx, due)
  const [audit] = await ctx.test.db('audit_log').where({ action: 'organization.purged', organization_id: due.orgId }).select('metadata')
  assert.equal([audit?.metadata.calls, audit?.metadata.recordings, audit?.metadata.exports], [6, 3, 1])
})

purge('a number Twilio will not release keeps the organization, and the number, for the next run', async (ctx) => {
  const due = await seed(ctx, new Date(Date.now() - 60_000))
  ctx.twilio.failNext(1, { status: 500 })
  await rejects(run(ctx))
  const halfway = await footprint(ctx, due)
  assert.equal([halfway.organizations, halfway.calls, halfway.phone_numbers], [1, 0, 1], 'the data is gone; the number is still on record')
  assert.ok(ctx.twilio.numbers.has(due.numberSid), 'still in the Twilio account')

  assert.is(await run(ctx), 1)
  assert.not.ok(ctx.twilio.numbers.has(due.numberSid))
  assert.is((await footprint(ctx, due)).organizations, 0)
})

purge.run()
