/**
 * Erasure of a platform user's account: refused while they alone own an organization that is still
 * open; otherwise, in one transaction, nothing personal about them is left in any column of any
 * table (the test scans them all), their export archives are gone from the object store, rows that
 * name them keep the id only, and the old token, password and Google sign-in lead nowhere, while
 * the address is free to sign up again as someone new.
 */
import { createServer, type Server } from 'node:http'
import type { webcrypto } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import pino from 'pino'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { createS3Client, startEmbeddedS3, type EmbeddedS3, type Knex } from '../core/index.ts'
import { insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { rejects } from '../core/testing/rejects.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { eraseAccount } from './account-erasure.ts'
import { mutate, signIn } from './testing/signed-in-user.ts'

const BUCKET = 'answerline'
const CLIENT_ID = 'answerline-test.apps.googleusercontent.com'
const EMAIL = 'zephyrine.quillfeather@example.com'
const NAME = 'Zephyrine Quillfeather'

type Seeded = Awaited<ReturnType<typeof seedUser>>

interface Ctx {
  t: TestApp
  store: EmbeddedS3
  s3: S3Client
  dir: string
  jwks: Server
  googleKey: webcrypto.CryptoKey
  /** The user the suite erases, seeded by its first test. */
  seeded: Seeded
}

const erasure = suite<Ctx>('privacy: erasure of a user\'s account')

erasure.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-erasure-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: BUCKET })
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  ctx.googleKey = privateKey
  const jwk = { ...(await exportJWK(publicKey)), kid: 'google-1', alg: 'RS256', use: 'sig' }
  ctx.jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })))
  await new Promise<void>((resolve) => ctx.jwks.listen(0, '127.0.0.1', resolve))
  ctx.t = await openTestApp(buildApp, {
    S3_ENDPOINT: ctx.store.endpoint,
    S3_ACCESS_KEY_ID: ctx.store.accessKeyId,
    S3_SECRET_ACCESS_KEY: ctx.store.secretAccessKey,
    S3_BUCKET: BUCKET,
    GOOGLE_CLIENT_ID: CLIENT_ID,
    GOOGLE_JWKS_URL: `http://127.0.0.1:${(ctx.jwks.address() as { port: number }).port}/certs`,
  })
  ctx.s3 = createS3Client(ctx.t.app.config.storage)
})
erasure.after(async (ctx) => {
  await ctx.t?.close()
  ctx.s3?.destroy()
  await ctx.store?.stop()
  await new Promise((resolve) => ctx.jwks.close(resolve))
  rmSync(ctx.dir, { recursive: true, force: true })
})

const ERASE = ['eraseMyAccount', 'EraseMyAccountInput', 'erased'] as const
const codesOf = (payload: Record<string, any>) => payload.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code])

function googleToken(ctx: Ctx, subject: string, email: string) {
  return new SignJWT({ email, email_verified: true, name: NAME, sub: subject })
    .setProtectedHeader({ alg: 'RS256', kid: 'google-1' })
    .setIssuer('https://accounts.google.com')
    .setAudience(CLIENT_ID)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(ctx.googleKey)
}

/** Every column of every table, in every schema but PostgreSQL's own (pg-boss's included), that holds `needle`. */
async function columnsHolding(db: Knex, needle: string): Promise<string[]> {
  const { rows: columns } = await db.raw(`
    select c.table_schema, c.table_name, c.column_name
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema') and c.table_schema not like 'pg_toast%'`)
  assert.ok(columns.some((c: { table_schema: string }) => c.table_schema === 'pgboss'), 'the job queue\'s tables are scanned too')
  const found: string[] = []
  for (const { table_schema: schema, table_name: table, column_name: column } of columns as Array<Record<string, string>>) {
    const { rows } = await db.raw(`select count(*)::int as n from "${schema}"."${table}" where "${column}"::text ilike ?`, [`%${needle}%`])
    if (rows[0].n > 0) found.push(`${schema}.${table}.${column}`)
  }
  return found
}

/** The user everything is about: in several organizations, signed in twice, with codes, invitations, notes, a lead, a connector and an export archive. */
async function seedUser(ctx: Ctx) {
  const db = ctx.t.test.db
  const user = await insertUser(db, { email: EMAIL })
  await db('users').where({ id: user.id }).update({ display_name: NAME, google_subject: 'g-zephyrine', locale: 'en-GB' })
  const coOwner = await insertUser(db)
  const shared = await insertOrganization(db, { name: 'Shared Plumbing' })
  await insertMembership(db, user.id, shared.id, 'owner')
  await insertMembership(db, coOwner.id, shared.id, 'owner')
  const alone = await insertOrganization(db, { name: 'Solo Roofing' })
  await insertMembership(db, user.id, alone.id, 'owner')
  const member = await insertOrganization(db, { name: 'Member Electric' })
  await insertMembership(db, coOwner.id, member.id, 'owner')
  await insertMembership(db, user.id, member.id, 'member')
  const inviting = await insertOrganization(db, { name: 'Inviting Agency' })
  const businessId = shared.businessIds[0] as string
  const token = await signIn(ctx.t, EMAIL)
  const refresh = await graphqlRequest(ctx.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { refreshToken } } }', { i: { email: EMAIL, password: TEST_PASSWORD } }, { ip: '203.0.113.77' })
  await mutate(ctx.t, null, 'requestPasswordReset', 'RequestPasswordResetInput', 'requested', { email: EMAIL })
  await mutate(ctx.t, token, 'requestEmailChange', 'RequestEmailChangeInput', 'codeSent', { newEmail: 'zephyrine.next@example.com' })
  await db('invitations').insert([
    { organization_id: inviting.id, email: EMAIL, role: 'admin', token_hash: Buffer.alloc(32, 1), invited_by: coOwner.id, expires_at: new Date(Date.now() + 86_400_000) },
    { organization_id: member.id, email: EMAIL, role: 'member', token_hash: Buffer.alloc(32, 2), invited_by: coOwner.id, expires_at: new Date(Date.now() + 86_400_000), accepted_at: new Date() },
    { organization_id: inviting.id, email: 'someone.else@example.com', role: 'member', token_hash: Buffer.alloc(32, 3), invited_by: user.id, expires_at: new Date(Date.now() + 86_400_000) },
  ])
  const [call] = await db('calls').insert({ business_id: businessId, twilio_call_sid: `CA${'e1'.repeat(16)}`, direction: 'inbound', from_number: '+15550303039', to_number: '+15550101019', status: 'completed' }).returning('id')
  const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, extraction_method: 'fallback', fallback_reason: 'not_configured', owner_user_id: user.id }).returning('id')
  const [note] = await db('lead_notes').insert({ lead_id: lead.id, business_id: businessId, author_user_id: user.id, body: 'Called back, booked for Tuesday' }).returning('id')
  const [connector] = await db('connectors').insert({ business_id: businessId, kind: 'webhook', name: 'Their hook', config: { url: 'https://hooks.example/in' }, event_types: ['lead.captured'], created_by: user.id }).returning('id')
  const [version] = await db('policy_versions').insert({ kind: 'terms', version: '2026-01', summary: 'Plainer words', url: 'https://example.com/terms', effective_at: new Date(Date.now() + 15 * 86_400_000) }).returning('id')
  await db('policy_acknowledgements').insert({ user_id: user.id, policy_version_id: version.id })
  const archiveKey = `exports/${user.id}.json`
  await ctx.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: archiveKey, Body: JSON.stringify({ profile: { email: EMAIL, displayName: NAME } }), ContentType: 'application/json' }))
  const [archive] = await db('data_requests')
    .insert({ subject_type: 'user', subject_user_id: user.id, requested_by: user.id, kind: 'export', status: 'completed', completed_at: new Date(), result_storage_key: archiveKey, result_expires_at: new Date(Date.now() + 7 * 86_400_000) })
    .returning('id')
  const [pending] = await db('data_requests').insert({ subject_type: 'user', subject_user_id: user.id, requested_by: user.id, kind: 'export' }).returning('id')
  return { user, coOwner, token, refreshToken: refresh.data.logIn.tokens.refreshToken as string, shared, alone, member, inviting, lead: lead.id, note: note.id, connector: connector.id, archiveKey, archive: archive.id, pending: pending.id }
}

/** What erasure may change, to check a refusal changed none of it. */
async function footprint(db: Knex, userId: string) {
  const count = async (table: string, where: Record<string, unknown>) => (await db(table).where(where)).length
  return {
    user: await db('users').where({ id: userId }).first('email', 'display_name', 'status', 'password_hash'),
    memberships: await count('memberships', { user_id: userId }),
    liveSessions: (await db('user_sessions').where({ user_id: userId }).whereNull('revoked_at')).length,
    invitations: await count('invitations', { email: EMAIL }),
    codes: await count('one_time_codes', { user_id: userId }),
  }
}

erasure('refused while the user alone owns an open organization, or without the right confirmation; nothing changes', async (ctx) => {
  const db = ctx.t.test.db
  const seeded = (ctx.seeded = await seedUser(ctx))
  const before = await footprint(db, seeded.user.id)

  const soleOwner = await mutate(ctx.t, seeded.token, ...ERASE, { confirmEmail: EMAIL })
  assert.equal([soleOwner.erased, codesOf(soleOwner)], [null, [['input', 'NOT_ALLOWED']]])
  assert.match(soleOwner.userErrors[0].message, /Solo Roofing/)
  assert.not.match(soleOwner.userErrors[0].message, /Shared Plumbing|Member Electric/, 'an organization with another owner is no obstacle')
  // Suspended is not closed.
  await db('organizations').where({ id: seeded.alone.id }).update({ status: 'suspended', suspended_at: new Date() })
  assert.equal(codesOf(await mutate(ctx.t, seeded.token, ...ERASE, { confirmEmail: EMAIL })), [['input', 'NOT_ALLOWED']])

  await db('organizations').where({ id: seeded.alone.id }).update({ status: 'closed', suspended_at: null, closed_at: new Date(), purge_after: new Date(Date.now() + 30 * 86_400_000) })
  assert.equal(codesOf(await mutate(ctx.t, seeded.token, ...ERASE, { confirmEmail: 'someone.else@example.com' })), [['input.confirmEmail', 'INVALID']])
  assert.equal(await footprint(db, seeded.user.id), before)
  assert.is((await db('audit_log').where({ action: 'user.erased' })).length, 0)
})

erasure('an object store that cannot delete the export archive stops the erasure; nothing changes', async (ctx) => {
  const db = ctx.t.test.db
  const { seeded } = ctx
  const before = await footprint(db, seeded.user.id)
  const broken = new S3Client({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 })
  const deps = { db, config: ctx.t.app.config, mailer: ctx.t.app.mailer, log: pino({ level: 'silent' }), client: { ip: null, userAgent: null }, storage: { s3: broken, bucket: BUCKET } }
  try {
    await rejects(eraseAccount(deps, seeded.user.id, { confirmEmail: EMAIL }))
  } finally {
    broken.destroy()
  }
  assert.equal(await footprint(db, seeded.user.id), before)
  assert.is((await db('data_requests').where({ id: seeded.archive }).first('result_storage_key')).result_storage_key, seeded.archiveKey)
})

erasure('erased: no column of any table holds their email or name, the archive is gone, and rows that name them keep only the id', async (ctx) => {
  const db = ctx.t.test.db
  const { seeded } = ctx
  const userId = seeded.user.id
  assert.ok((await columnsHolding(db, EMAIL)).length > 0, 'the scan finds the email before the erasure')

  assert.equal(await mutate(ctx.t, seeded.token, ...ERASE, { confirmEmail: ` ${EMAIL.toUpperCase()} ` }), { erased: true, userErrors: [] })

  assert.equal(await columnsHolding(db, EMAIL), [])
  assert.equal(await columnsHolding(db, NAME), [])
  assert.equal(await columnsHolding(db, 'zephyrine'), [])
  assert.equal(await columnsHolding(db, '203.0.113.77'), [], 'nor where they signed in from')
  const archive = await ctx.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: seeded.archiveKey })).then(() => 'still there', (error: { name?: string }) => error.name)
  assert.is(archive, 'NoSuchKey')

  const user = await db('users').where({ id: userId }).first()
  assert.equal(
    [user.status, user.email, user.display_name, user.password_hash, user.google_subject, user.last_login_at, user.email_verified_at],
    ['erased', `erased-${userId}@erased.invalid`, '', null, null, null, null],
  )
  assert.equal(await db('memberships').where({ user_id: userId }), [])
  assert.equal((await db('user_sessions').where({ user_id: userId })).map((s: Record<string, unknown>) => [s.revoked_reason, s.ip, s.user_agent]), [['account_erased', null, null], ['account_erased', null, null]])
  assert.is((await db('refresh_tokens').join('user_sessions', 'user_sessions.id', 'refresh_tokens.session_id').where({ user_id: userId })).length, 0)
  assert.equal(await db('one_time_codes').where({ user_id: userId }), [])
  assert.equal(await db('policy_acknowledgements').where({ user_id: userId }), [])
  assert.equal(await db('invitations').where({ invited_by: userId }).pluck('email'), ['someone.else@example.com'], 'invitations they sent stay, naming them by id')
  assert.equal(await db('data_requests').where({ id: seeded.pending }).pluck('status'), ['canceled'])
  assert.is((await db('lead_notes').where({ id: seeded.note }).first('author_user_id')).author_user_id, userId)
  assert.is((await db('connectors').where({ id: seeded.connector }).first('created_by')).created_by, userId)
  assert.is((await db('leads').where({ id: seeded.lead }).first('owner_user_id')).owner_user_id, userId)
  // The other owner and the organizations they share are untouched.
  assert.equal(await db('memberships').where({ user_id: seeded.coOwner.id }).orderBy('organization_id').pluck('organization_id'), [seeded.shared.id, seeded.member.id].sort())
  assert.is((await db('users').where({ id: seeded.coOwner.id }).first('email')).email, seeded.coOwner.email)

  const [audit] = await db('audit_log').where({ action: 'user.erased', actor_id: userId }).select('metadata', 'ip', 'user_agent')
  assert.equal(audit.metadata, { sessionsRevoked: 2, refreshTokens: 2, oneTimeCodes: 2, memberships: 3, policyAcknowledgements: 1, policyNotifications: 0, invitations: 2, exportArchives: 1, dataRequestsCanceled: 1 })
  assert.equal([audit.ip, audit.user_agent], [null, null])
})

erasure('after erasure the old token, refresh token, password and Google sign-in lead nowhere; the address signs up afresh', async (ctx) => {
  const { seeded } = ctx
  const app = ctx.t.app
  assert.equal(errorCodes(await graphqlRequest(app, '{ me { user { id } } }', {}, { token: seeded.token })), ['UNAUTHENTICATED'])
  assert.equal(errorCodes(await graphqlRequest(app, 'mutation($i: RefreshSessionInput!) { refreshSession(input: $i) { tokens { accessToken } } }', { i: { refreshToken: seeded.refreshToken } })), ['UNAUTHENTICATED'])
  const password = await graphqlRequest(app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } userErrors { code } } }', { i: { email: EMAIL, password: TEST_PASSWORD } })
  assert.equal(password.data.logIn, { tokens: null, userErrors: [{ code: 'INVALID_CREDENTIALS' }] })

  const signUp = await mutate(ctx.t, null, 'signUp', 'SignUpInput', 'user { id email }', { email: EMAIL, password: 'another long password', organizationName: 'Fresh Start', organizationKind: 'DIRECT' })
  assert.equal(signUp.userErrors, [])
  const fresh = await ctx.t.test.db('users').where({ email: EMAIL }).first('id')
  assert.is.not(fresh.id, seeded.user.id)

  // Google still vouches for the same person, but the subject no longer names the erased account.
  const google = await graphqlRequest(app, 'mutation($i: SignInWithGoogleInput!) { signInWithGoogle(input: $i) { tokens { accessToken } userErrors { code } } }', { i: { idToken: await googleToken(ctx, 'g-zephyrine', EMAIL) } })
  assert.equal(google.data.signInWithGoogle.userErrors, [])
  const me = await graphqlRequest(app, '{ me { user { email } } }', {}, { token: google.data.signInWithGoogle.tokens.accessToken })
  assert.equal(me.data.me.user.email, EMAIL)
  assert.is((await ctx.t.test.db('users').where({ google_subject: 'g-zephyrine' }).first('id')).id, fresh.id, 'it signs in to the new account')
  assert.is((await ctx.t.test.db('users').where({ id: seeded.user.id }).first('status')).status, 'erased')
})

erasure('only a signed-in person erases their own account', async (ctx) => {
  const query = 'mutation($i: EraseMyAccountInput!) { eraseMyAccount(input: $i) { erased } }'
  assert.equal(errorCodes(await graphqlRequest(ctx.t.app, query, { i: { confirmEmail: EMAIL } })), ['UNAUTHENTICATED'])
})

erasure.run()
