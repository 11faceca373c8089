/**
 * The retention sweep removes exactly what each business's setting no longer allows: the expired
 * calls with their transcripts, consent records, recordings (rows and S3 objects), leads and
 * orphaned contacts, and nothing else: other businesses, other time zones, calls inside the
 * window, live calls, a contact another lead still needs.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import pino from 'pino'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startEmbeddedS3, type EmbeddedS3, type Knex } from '../core/index.ts'
import { insertOrganization } from '../core/testing/accounts.ts'
import { openTestDb, type TestDb } from '../core/testing/test-db.ts'
import { sweepRetention } from './retention-sweep.ts'

interface Ctx {
  test: TestDb
  store: EmbeddedS3
  s3: S3Client
  dir: string
}

const BUCKET = 'answerline'
const retention = suite<Ctx>('privacy: the retention sweep')

retention.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-retention-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: BUCKET })
  ctx.s3 = new S3Client({ endpoint: ctx.store.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ctx.store.accessKeyId, secretAccessKey: ctx.store.secretAccessKey } })
})
retention.after(async (ctx) => {
  ctx.s3?.destroy()
  await ctx.store?.stop()
  await ctx.test?.destroy()
  rmSync(ctx.dir, { recursive: true, force: true })
})

// A fixed "now": 15 June 2026, noon UTC (midnight has passed in Auckland, UTC+12).
const NOW = new Date('2026-06-15T12:00:00Z')

async function business(db: Knex, timeZone: string, retentionDays: number): Promise<string> {
  const org = await insertOrganization(db)
  const id = org.businessIds[0] as string
  await db('businesses').where({ id }).update({ time_zone: timeZone, retention_days: retentionDays })
  return id
}

/** A call with everything the product keeps about it: transcript, consent, a recording in S3, a lead with a contact and a note. */
async function fullCall(ctx: Ctx, businessId: string, startedAt: string, options: { live?: boolean; contactId?: string } = {}) {
  const db = ctx.test.db
  const started = new Date(startedAt)
  const [call] = await db('calls')
    .insert({ business_id: businessId, direction: 'inbound', twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, from_number: '+15551230000', to_number: '+15559870000', status: options.live ? 'in_progress' : 'completed', started_at: started, ended_at: options.live ? null : new Date(started.getTime() + 90_000) })
    .returning('id')
  await db('transcript_segments').insert([0, 1].map((seq) => ({ call_id: call.id, business_id: businessId, seq, speaker: seq ? 'agent' : 'caller', text: `line ${seq}`, started_ms: seq * 1000 })))
  await db('consent_records').insert({ call_id: call.id, business_id: businessId, language: 'en-US', prompt_text: 'May we record this call?', decision: 'given', method: 'dtmf', decided_at: started })
  const key = `recordings/${businessId}/${call.id}.wav`
  await ctx.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from('RIFF....WAVE') }))
  await db('recordings').insert({ call_id: call.id, business_id: businessId, storage_key: key, status: 'complete', bytes: 12, completed_at: started })
  const contactId = options.contactId ?? (await db('contacts').insert({ business_id: businessId, phone: `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}` }).returning('id'))[0].id
  const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, contact_id: contactId, extraction_method: 'fallback', fallback_reason: 'unavailable' }).returning('id')
  await db('lead_notes').insert({ lead_id: lead.id, business_id: businessId, body: 'Call back Tuesday' })
  return { callId: call.id as string, key, contactId: contactId as string, leadId: lead.id as string }
}

const exists = (ctx: Ctx, key: string) => ctx.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })).then(() => true, () => false)
const rowsOf = async (db: Knex, table: string, column: string, id: string) => (await db(table).where({ [column]: id })).length

retention('removes exactly the expired calls and everything about them, per business and in its own time zone', async (ctx) => {
  const db = ctx.test.db
  const utc = await business(db, 'UTC', 30) // cut-off: 2026-05-16 00:00 UTC
  const auckland = await business(db, 'Pacific/Auckland', 30) // cut-off: 2026-05-17 00:00 NZST = 2026-05-16 12:00 UTC
  const longer = await business(db, 'UTC', 365)

  const expired = [
    await fullCall(ctx, utc, '2026-05-15T23:59:00Z'),
    await fullCall(ctx, auckland, '2026-05-16T11:59:00Z'),
    // Inside the window by UTC's calendar, outside it by Auckland's: Auckland's counts.
    await fullCall(ctx, auckland, '2026-05-16T06:00:00Z'),
  ]
  const shared = await fullCall(ctx, utc, '2026-05-16T00:01:00Z')
  const kept = [
    shared,
    await fullCall(ctx, auckland, '2026-05-16T12:01:00Z'),
    await fullCall(ctx, longer, '2026-01-10T09:00:00Z'),
    // Still going, however old: a live call is never removed.
    await fullCall(ctx, utc, '2026-04-01T09:00:00Z', { live: true }),
  ]
  // An expired lead whose contact a kept lead also names: the contact stays.
  const sharingContact = await fullCall(ctx, utc, '2026-05-10T08:00:00Z', { contactId: shared.contactId })
  expired.push(sharingContact)

  const counts = await sweepRetention({ db, storage: { s3: ctx.s3, bucket: BUCKET }, log: pino({ level: 'silent' }) }, NOW)
  assert.equal(counts, { calls: 4, transcriptSegments: 8, consentRecords: 4, recordings: 4, leads: 4, contacts: 3 })

  for (const gone of expired) {
    assert.is(await rowsOf(db, 'calls', 'id', gone.callId), 0)
    for (const table of ['transcript_segments', 'consent_records', 'recordings', 'leads']) assert.is(await rowsOf(db, table, 'call_id', gone.callId), 0, `${table} of an expired call`)
    assert.is(await rowsOf(db, 'lead_notes', 'lead_id', gone.leadId), 0)
    assert.not.ok(await exists(ctx, gone.key), 'its recording is gone from the store')
  }
  for (const stays of kept) {
    assert.is(await rowsOf(db, 'calls', 'id', stays.callId), 1)
    for (const table of ['transcript_segments', 'consent_records', 'recordings', 'leads']) assert.ok((await rowsOf(db, table, 'call_id', stays.callId)) > 0, `${table} of a kept call`)
    assert.is(await rowsOf(db, 'contacts', 'id', stays.contactId), 1)
    assert.ok(await exists(ctx, stays.key), 'its recording is still in the store')
  }

  const audit = await db('audit_log').where({ action: 'retention.swept' }).orderBy('business_id').select('business_id', 'metadata')
  assert.equal(audit.map((row: { business_id: string; metadata: { calls: number } }) => [row.business_id, row.metadata.calls]).sort(), [[utc, 2], [auckland, 2]].sort())

  // Idempotent: run again, nothing more goes.
  assert.equal(await sweepRetention({ db, storage: { s3: ctx.s3, bucket: BUCKET }, log: pino({ level: 'silent' }) }, NOW), { calls: 0, transcriptSegments: 0, consentRecords: 0, recordings: 0, leads: 0, contacts: 0 })
})

retention('a recording the store will not delete keeps its call for the next sweep: nothing is left unaccounted for', async (ctx) => {
  const db = ctx.test.db
  const utc = await business(db, 'UTC', 30)
  const call = await fullCall(ctx, utc, '2026-05-01T10:00:00Z')
  const broken = new S3Client({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 })
  try {
    await sweepRetention({ db, storage: { s3: broken, bucket: BUCKET }, log: pino({ level: 'silent' }) }, NOW).then(
      () => assert.unreachable('the sweep went on without the store'),
      () => {},
    )
  } finally {
    broken.destroy()
  }
  assert.is(await rowsOf(db, 'calls', 'id', call.callId), 1, 'the call and its recording row stay')
  assert.ok(await exists(ctx, call.key))
  await sweepRetention({ db, storage: { s3: ctx.s3, bucket: BUCKET }, log: pino({ level: 'silent' }) }, NOW)
  assert.is(await rowsOf(db, 'calls', 'id', call.callId), 0)
  assert.not.ok(await exists(ctx, call.key))
})

retention.run()
