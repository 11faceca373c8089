/**
 * A platform user's export of their own data: requested through GraphQL, made by the data-request
 * job, written to the object store and downloaded through a short-lived link that only they get.
 * The archive holds their profile, memberships, sessions, audit trail, notes, policy
 * acknowledgements and requests, and nothing of anyone else's.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { startEmbeddedS3, type EmbeddedS3 } from '../core/index.ts'
import { insertApiKey, insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { fromGlobalId, toGlobalId } from '../graphql/relay/global-id.ts'
import { eventually } from '../leads/testing/lead-fixture.ts'
import { lastMailTo, mutate, signIn } from './testing/signed-in-user.ts'

const BUCKET = 'answerline'
const exporting = suite<{ t: TestApp; store: EmbeddedS3; dir: string }>('privacy: a user\'s export of their own data')

exporting.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-user-export-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: BUCKET })
  ctx.t = await openTestApp(buildApp, { S3_ENDPOINT: ctx.store.endpoint, S3_ACCESS_KEY_ID: ctx.store.accessKeyId, S3_SECRET_ACCESS_KEY: ctx.store.secretAccessKey, S3_BUCKET: BUCKET })
})
exporting.after(async (ctx) => {
  await ctx.t?.close()
  await ctx.store?.stop()
  rmSync(ctx.dir, { recursive: true, force: true })
})

const REQUEST = ['requestMyDataExport', 'RequestMyDataExportInput', 'dataRequest { id kind subjectType status }'] as const
const MINE = '{ me { dataRequests { totalCount nodes { id kind status expiresAt downloadUrl } } } }'

exporting('the archive holds the user\'s profile, memberships, sessions, audit trail, notes, acknowledgements and requests, and nobody else\'s', async ({ t }) => {
  const db = t.test.db
  const user = await insertUser(db)
  const other = await insertUser(db)
  const org = await insertOrganization(db, { name: 'Export Plumbing' })
  const agency = await insertOrganization(db, { name: 'Client Agency', businesses: 1 })
  await insertMembership(db, user.id, org.id, 'owner')
  await insertMembership(db, other.id, org.id, 'owner')
  await insertMembership(db, user.id, agency.id, 'member', agency.businessIds[0])
  const token = await signIn(t, user.email)
  await graphqlRequest(t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email: user.email, password: TEST_PASSWORD } }, { ip: '198.51.100.23' })
  const otherToken = await signIn(t, other.email)
  await mutate(t, token, 'updateMyProfile', 'UpdateMyProfileInput', 'user { id }', { displayName: 'Exporting Edith' })
  await mutate(t, otherToken, 'updateMyProfile', 'UpdateMyProfileInput', 'user { id }', { displayName: 'Other Oscar' })
  const businessId = org.businessIds[0] as string
  const [call] = await db('calls').insert({ business_id: businessId, twilio_call_sid: `CA${'e7'.repeat(16)}`, direction: 'inbound', from_number: '+15550303077', to_number: '+15550101077', status: 'completed' }).returning('id')
  const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, extraction_method: 'fallback', fallback_reason: 'not_configured', name: 'Caller Carl' }).returning('id')
  for (const [author, body] of [[token, 'Edith: quoted 3 hours'], [otherToken, 'Oscar: customer is difficult']] as const) {
    await mutate(t, author, 'addLeadNote', 'AddLeadNoteInput', 'note { id }', { leadId: toGlobalId('Lead', lead.id), body })
  }
  const [version] = await db('policy_versions').insert({ kind: 'privacy', version: 'p-7', summary: 'Shorter retention', url: 'https://answerline.example/privacy/p-7', effective_at: new Date(Date.now() + 20 * 86_400_000) }).returning('id')
  await mutate(t, token, 'acknowledgePolicy', 'AcknowledgePolicyInput', 'policyVersion { id }', { policyVersionId: toGlobalId('PolicyVersion', version.id) })

  const requested = await mutate(t, token, ...REQUEST, {})
  assert.equal([requested.dataRequest.kind, requested.dataRequest.subjectType, requested.userErrors], ['EXPORT', 'USER', []])
  const again = await mutate(t, token, ...REQUEST, {})
  assert.is(again.dataRequest.id, requested.dataRequest.id, 'an export under way is not started twice')

  const done = await eventually(async () => {
    const [node] = (await graphqlRequest(t.app, MINE, {}, { token })).data.me.dataRequests.nodes
    return node?.status === 'COMPLETED' && node
  })
  assert.is(done.id, requested.dataRequest.id)
  assert.ok(new Date(done.expiresAt).getTime() > Date.now() + 6 * 86_400_000, 'downloadable for a week')
  const response = await fetch(done.downloadUrl)
  assert.is(response.status, 200)
  assert.match(String(response.headers.get('content-type')), /application\/json/)
  const archive = (await response.json()) as Record<string, any>

  assert.equal([archive.profile.id, archive.profile.email, archive.profile.displayName, archive.profile.locale], [user.id, user.email, 'Exporting Edith', 'en'])
  assert.equal(archive.memberships.map((m: Record<string, string>) => [m.organizationName, m.role, m.businessId]).sort(), [['Client Agency', 'member', agency.businessIds[0]], ['Export Plumbing', 'owner', null]].sort())
  assert.is(archive.sessions.length, 2)
  assert.ok(archive.sessions.some((s: Record<string, string>) => s.ipAddress === '198.51.100.23' && s.userAgent))
  const actions = archive.auditEntries.map((a: { action: string }) => a.action)
  for (const action of ['user.logged_in', 'user.rectified', 'policy.acknowledged', 'data_request.created']) assert.ok(actions.includes(action), action)
  assert.equal(archive.leadNotes.map((n: { body: string; leadId: string }) => [n.body, n.leadId]), [['Edith: quoted 3 hours', lead.id]])
  assert.equal(archive.policyAcknowledgements.map((a: Record<string, string>) => [a.policyVersionId, a.kind, a.version]), [[version.id, 'privacy', 'p-7']])
  assert.equal(archive.dataRequests.map((r: Record<string, string>) => [r.id, r.kind]), [[fromGlobalId(requested.dataRequest.id).localId, 'export']])
  const text = JSON.stringify(archive)
  for (const foreign of [other.email, other.id, 'Other Oscar', 'Oscar: customer is difficult', 'Caller Carl']) assert.not.ok(text.includes(foreign), `the archive holds ${foreign}`)

  assert.ok(lastMailTo(t, user.email, /data export is ready/), 'the user is told it is ready')
  assert.equal(await db('audit_log').where({ action: 'data_request.completed', target_id: fromGlobalId(requested.dataRequest.id).localId }).pluck('actor_type'), ['worker'])

  // Nobody else sees the request or gets a link to it.
  const asOther = await graphqlRequest(t.app, `query($id: ID!) { node(id: $id) { id } me { dataRequests { totalCount } } }`, { id: done.id }, { token: otherToken })
  assert.equal(asOther.data, { node: null, me: { dataRequests: { totalCount: 0 } } })
})

exporting('only a signed-in person exports their data: nobody is UNAUTHENTICATED, an API key FORBIDDEN', async ({ t }) => {
  const org = await insertOrganization(t.test.db)
  const key = await insertApiKey(t.test.db, org.id, ['business:manage'])
  const query = 'mutation { requestMyDataExport(input: {}) { dataRequest { id } } }'
  assert.equal(errorCodes(await graphqlRequest(t.app, query)), ['UNAUTHENTICATED'])
  assert.equal(errorCodes(await graphqlRequest(t.app, query, {}, { token: key.secret })), ['FORBIDDEN'])
  assert.equal(await t.test.db('data_requests').where({ subject_type: 'user', subject_user_id: null }), [])
})

exporting.run()
