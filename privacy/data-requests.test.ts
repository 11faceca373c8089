/**
 * The data-request machinery: a request is recorded without the caller's details (a keyed hash, and
 * the details sealed for the job only while it is open), queued once, served by its handler,
 * completed with an archive in the object store and a short-lived download link, failed after the
 * last retry with an error that quotes no one, and every step audited.
 */
import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { JOBS_SCHEMA } from '../core/index.ts'
import { insertMembership, insertOrganization, insertUser } from '../core/testing/accounts.ts'
import { rejects } from '../core/testing/rejects.ts'
import { serveDataRequest } from './data-request-job.ts'
import { createDataRequest, type CallerSubject, type DataRequestHandlers, type DataRequestRow } from './data-requests.ts'
import { archiveDownloadUrl, deleteExpiredArchives } from './export-archives.ts'
import { closePrivacyApp, objectKeys, openPrivacyApp, readObject, type PrivacyApp } from './testing/privacy-fixture.ts'

interface Ctx {
  p: PrivacyApp
  organizationId: string
  businessId: string
  owner: { id: string; email: string }
}

const requests = suite<Ctx>('privacy: data requests (queue, archive, link, failure, expiry)')
const CALLER = { phone: '+14155550134', email: 'dana.whitfield@example.org' }

requests.before(async (ctx) => {
  // The api role runs no job workers: each test serves its job by hand, with handlers of its own.
  ctx.p = await openPrivacyApp('api')
  const db = ctx.p.t.test.db
  const org = await insertOrganization(db, { kind: 'direct', name: 'Harbor Plumbing' })
  ctx.organizationId = org.id
  ctx.businessId = org.businessIds[0] as string
  ctx.owner = await insertUser(db)
  await insertMembership(db, ctx.owner.id, org.id, 'owner')
})
requests.after((ctx) => closePrivacyApp(ctx.p))

const deps = (ctx: Ctx) => ({ db: ctx.p.t.app.db, jobs: ctx.p.t.app.jobs, config: ctx.p.t.app.config })
const jobDeps = (ctx: Ctx, handlers: DataRequestHandlers) => ({ db: ctx.p.t.test.db, storage: ctx.p.storage, mailer: ctx.p.t.app.mailer, keys: ctx.p.t.app.config.connectors.keys, log: pino({ level: 'silent' }), handlers })
const run = (requestId: string, retryCount = 0, retryLimit = 5) => ({ id: randomUUID(), data: { requestId }, retryCount, retryLimit, signal: new AbortController().signal })
const rowOf = (ctx: Ctx, id: string): Promise<DataRequestRow> => ctx.p.t.test.db('data_requests').where({ id }).first()
const auditOf = async (ctx: Ctx, id: string) => (await ctx.p.t.test.db('audit_log').where({ target_id: id }).orderBy('created_at')).map((a: { action: string }) => a.action)

function callerRequest(ctx: Ctx, kind: 'export' | 'erasure', caller: CallerSubject = CALLER) {
  return createDataRequest(deps(ctx), { subjectType: 'caller', kind, organizationId: ctx.organizationId, businessId: ctx.businessId, caller, requestedBy: ctx.owner.id, actor: { type: 'user', id: ctx.owner.id } })
}

requests('a request keeps a keyed hash of the caller, seals their details for its job, is audited and queued once; asking again while it is open gives the same one', async (ctx) => {
  const db = ctx.p.t.test.db
  const { request, created } = await callerRequest(ctx, 'export')
  assert.ok(created)
  assert.is(request.status, 'pending')
  assert.is(request.subject_hash?.length, 32)
  assert.ok(request.subject_ciphertext, 'sealed for the job')
  const stored = JSON.stringify(await db.raw(`select d::text from data_requests d where id = ?`, [request.id]))
  for (const value of [CALLER.phone, CALLER.phone.slice(1), '4155550134', CALLER.email]) assert.not.ok(stored.includes(value), `the row does not hold ${value} in the clear`)

  const again = await callerRequest(ctx, 'export', { phone: CALLER.phone, email: CALLER.email })
  assert.is(again.created, false)
  assert.is(again.request.id, request.id)
  const jobs = await db(`${JOBS_SCHEMA}.job`).where({ name: 'data-request' }).select('data', 'singleton_key')
  assert.equal(jobs, [{ data: { requestId: request.id }, singleton_key: request.id }], 'one job, carrying the id only')
  assert.equal(await auditOf(ctx, request.id), ['data_request.created'])
  const audit = await db('audit_log').where({ target_id: request.id }).first('metadata', 'actor_id')
  assert.equal([audit.metadata, audit.actor_id], [{ kind: 'export', subjectType: 'caller' }, ctx.owner.id])

  // Another kind, or another caller, is another request.
  assert.ok((await callerRequest(ctx, 'erasure')).created)
  assert.ok((await callerRequest(ctx, 'export', { phone: '+14155550199', email: null })).created)
})

requests('the job writes the export to the object store, completes the request, clears the sealed caller and tells the requester', async (ctx) => {
  const db = ctx.p.t.test.db
  const { request } = await callerRequest(ctx, 'export', { phone: '+14155550100', email: null })
  let seen: unknown = null
  await serveDataRequest(jobDeps(ctx, { 'caller:export': async (r) => ((seen = r.caller), { archive: { calls: [{ from: r.caller?.phone }] }, counts: { calls: 1 } }) }), run(request.id))
  assert.equal(seen, { phone: '+14155550100', email: null }, 'the handler gets the caller opened')
  const done = await rowOf(ctx, request.id)
  assert.is(done.status, 'completed')
  assert.ok(done.completed_at)
  assert.is(done.result_storage_key, `exports/${request.id}.json`)
  const days = ((done.result_expires_at as Date).getTime() - Date.now()) / 86_400_000
  assert.ok(days > 6.99 && days <= 7, 'kept for 7 days')
  assert.equal(done.counts, { calls: 1 })
  assert.is(done.subject_ciphertext, null)
  assert.is(done.subject_key_id, null)
  const archive = await readObject(ctx.p, done.result_storage_key as string)
  assert.is(archive.contentType, 'application/json')
  assert.equal(JSON.parse(archive.body), { calls: [{ from: '+14155550100' }] })
  assert.equal(await auditOf(ctx, request.id), ['data_request.created', 'data_request.completed'])
  const mail = ctx.p.t.app.mailer.outbox.filter((m) => m.to === ctx.owner.email)
  assert.is(mail.length, 1)
  assert.match(mail[0]?.subject ?? '', /export you asked for is ready/)
  assert.not.ok(mail[0]?.text.includes('4155550100'), 'the email names no caller')

  // A replayed job finds the request ended and does nothing.
  await serveDataRequest(jobDeps(ctx, { 'caller:export': async () => assert.unreachable('served twice') as never }), run(request.id))
  assert.is(ctx.p.t.app.mailer.outbox.filter((m) => m.to === ctx.owner.email).length, 1)
  assert.not.ok(await db('data_requests').where({ id: request.id }).update({ subject_ciphertext: Buffer.from('x'), subject_key_id: 'test' }).then(() => true, () => false), 'an ended request cannot hold a sealed caller')
})

requests('a failing attempt is retried with the caller still sealed; on the last attempt the request fails with a short error that quotes no one', async (ctx) => {
  const { request } = await callerRequest(ctx, 'erasure', { phone: '+14155550111', email: 'omar@example.net' })
  const handlers: DataRequestHandlers = { 'caller:erasure': async () => { throw new Error('duplicate key: Key (phone)=(+14155550111), email omar@example.net, dialled 4155550111') } }
  const first = await rejects(serveDataRequest(jobDeps(ctx, handlers), run(request.id, 0, 2)))
  assert.not.match(first.message, /4155550111|omar@/)
  const retrying = await rowOf(ctx, request.id)
  assert.is(retrying.status, 'processing')
  assert.ok(retrying.subject_ciphertext, 'kept for the retry')
  await rejects(serveDataRequest(jobDeps(ctx, handlers), run(request.id, 2, 2)))
  const failed = await rowOf(ctx, request.id)
  assert.is(failed.status, 'failed')
  assert.is(failed.error, 'duplicate key: Key (phone)=([redacted]), email [redacted], dialled [redacted]')
  assert.is(failed.subject_ciphertext, null)
  assert.equal(await auditOf(ctx, request.id), ['data_request.created', 'data_request.failed'])
})

requests('an export handler that returns no archive, or a kind with no handler, fails the attempt', async (ctx) => {
  const { request } = await callerRequest(ctx, 'export', { phone: '+14155550122', email: null })
  assert.match((await rejects(serveDataRequest(jobDeps(ctx, { 'caller:export': async () => ({ counts: {} }) }), run(request.id)))).message, /no archive/)
  assert.match((await rejects(serveDataRequest(jobDeps(ctx, {}), run(request.id)))).message, /no handler serves caller export/)
  assert.is((await rowOf(ctx, request.id)).status, 'processing')
})

requests('the download link fetches the archive for five minutes; the sweep deletes archives past their expiry and keeps the others', async (ctx) => {
  const db = ctx.p.t.test.db
  const made = async (phone: string) => {
    const { request } = await callerRequest(ctx, 'export', { phone, email: null })
    await serveDataRequest(jobDeps(ctx, { 'caller:export': async () => ({ archive: { phone }, counts: {} }) }), run(request.id))
    return rowOf(ctx, request.id)
  }
  const fresh = await made('+14155550131')
  const old = await made('+14155550132')
  const url = await archiveDownloadUrl(ctx.p.storage, fresh)
  assert.ok(url)
  assert.match(url as string, /X-Amz-Expires=300/)
  const download = await fetch(url as string)
  assert.is(download.status, 200)
  assert.equal(await download.json(), { phone: '+14155550131' })
  assert.is(await archiveDownloadUrl(ctx.p.storage, { ...fresh, result_expires_at: new Date(Date.now() - 1000) }), null, 'no link once expired')
  assert.is(await archiveDownloadUrl(ctx.p.storage, { ...fresh, status: 'failed' }), null)

  await db('data_requests').where({ id: old.id }).update({ result_expires_at: new Date(Date.now() - 60_000) })
  assert.is(await deleteExpiredArchives({ db, storage: ctx.p.storage }), 1)
  assert.equal(await objectKeys(ctx.p, `exports/${old.id}`), [])
  assert.equal(await objectKeys(ctx.p, `exports/${fresh.id}`), [`exports/${fresh.id}.json`])
  const swept = await rowOf(ctx, old.id)
  assert.is(swept.result_storage_key, null)
  assert.ok(swept.result_expires_at, 'it still says when the archive went')
  assert.equal(await auditOf(ctx, old.id), ['data_request.created', 'data_request.completed', 'data_request.archive_deleted'])
  assert.is(await deleteExpiredArchives({ db, storage: ctx.p.storage }), 0, 'idempotent')

  // A store that refuses keeps the key for the next sweep.
  await db('data_requests').where({ id: fresh.id }).update({ result_expires_at: new Date(Date.now() - 60_000) })
  await rejects(deleteExpiredArchives({ db, storage: null }))
  assert.is((await rowOf(ctx, fresh.id)).result_storage_key, `exports/${fresh.id}.json`)
})

requests.run()
