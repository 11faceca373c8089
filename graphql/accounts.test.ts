import { Writable } from 'node:stream'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import type { Config } from '../core/index.ts'
import { insertMembership, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'

/** Sign-up to sign-out through the API, as a person would go through it. */
const accounts = suite<{ t: TestApp; logs: string[] }>('graphql: sign-up, sign-in, sessions and password reset')

const PASSWORD = 'a perfectly long password'
const NEW_PASSWORD = 'an even longer new password'
const AUTH_FIELDS = 'userErrors { field code message } tokens { accessToken refreshToken accessTokenExpiresAt } user { email emailVerified }'

accounts.before(async (ctx) => {
  ctx.logs = []
  const capture = new Writable({
    write(chunk, _encoding, done) {
      ctx.logs.push(String(chunk))
      done()
    },
  })
  ctx.t = await openTestApp((config: Config) => buildApp(config, { logStream: capture }), { LOG_LEVEL: 'trace' })
})
accounts.after((ctx) => ctx.t.close())

const signUp = (ctx: { t: TestApp }, input: Record<string, unknown>) =>
  graphqlRequest(ctx.t.app, 'mutation($input: SignUpInput!) { signUp(input: $input) { userErrors { field code } user { email emailVerified } organization { kind name } } }', { input })
const logIn = (ctx: { t: TestApp }, email: string, password: string, ip?: string) =>
  graphqlRequest(ctx.t.app, `mutation($input: LogInInput!) { logIn(input: $input) { ${AUTH_FIELDS} } }`, { input: { email, password } }, ip ? { ip } : {})
const lastCodeFor = (ctx: { t: TestApp }, email: string) => {
  const mail = ctx.t.app.mailer.outbox.filter((m) => m.to === email).at(-1)
  return mail?.text.match(/\b(\d{6})\b/)?.[1] ?? ''
}
const me = (ctx: { t: TestApp }, token: string) => graphqlRequest(ctx.t.app, '{ me { user { email } sessions { totalCount nodes { id current } } } }', {}, { token })

accounts('sign-up creates the account unverified, its organization and business, and emails a code', async (ctx) => {
  const result = await signUp(ctx, { email: ' Dana@Example.com ', password: PASSWORD, organizationName: 'Dana Dental', organizationKind: 'DIRECT', timeZone: 'America/Denver' })
  assert.equal(result.data.signUp, { userErrors: [], user: { email: 'dana@example.com', emailVerified: false }, organization: { kind: 'DIRECT', name: 'Dana Dental' } })
  const business = await ctx.t.test.db('businesses').where({ name: 'Dana Dental' }).first()
  assert.is(business.time_zone, 'America/Denver')
  assert.match(lastCodeFor(ctx, 'dana@example.com'), /^\d{6}$/)
  // It can take calls from the start: a billing account on the free plan, with its included minutes.
  const account = await ctx.t.test.db('billing_accounts').where({ organization_id: business.organization_id }).first('plan', 'included_minutes', 'business_id')
  assert.equal(account, { plan: 'free', included_minutes: 30, business_id: null })
})

accounts('signing in waits for the email to be verified', async (ctx) => {
  const result = await logIn(ctx, 'dana@example.com', PASSWORD)
  assert.equal(result.data.logIn.userErrors.map((e: { code: string }) => e.code), ['EMAIL_NOT_VERIFIED'])
  assert.is(result.data.logIn.tokens, null)
})

accounts('a wrong code is a user error; the right one verifies and signs in', async (ctx) => {
  const code = lastCodeFor(ctx, 'dana@example.com')
  const wrongCode = code === '000000' ? '000001' : '000000'
  const wrong = await graphqlRequest(ctx.t.app, `mutation($input: VerifyEmailInput!) { verifyEmail(input: $input) { ${AUTH_FIELDS} } }`, { input: { email: 'dana@example.com', code: wrongCode } })
  assert.equal(wrong.data.verifyEmail.userErrors, [{ field: ['input', 'code'], code: 'INVALID', message: 'The code is not valid' }])
  const right = await graphqlRequest(ctx.t.app, `mutation($input: VerifyEmailInput!) { verifyEmail(input: $input) { ${AUTH_FIELDS} } }`, { input: { email: 'dana@example.com', code } })
  assert.equal(right.data.verifyEmail.user, { email: 'dana@example.com', emailVerified: true })
  const viewer = await me(ctx, right.data.verifyEmail.tokens.accessToken)
  assert.is(viewer.data.me.user.email, 'dana@example.com')
  const welcomes = ctx.t.app.mailer.outbox.filter((m) => m.to === 'dana@example.com' && /^Welcome to /.test(m.subject))
  assert.is(welcomes.length, 1, 'a welcome once the address is confirmed')
})

accounts('bad sign-up input names each field and writes nothing', async (ctx) => {
  const before = await ctx.t.test.db('users').count({ n: '*' }).first()
  const result = await signUp(ctx, { email: 'not-an-email', password: 'short', organizationName: '', organizationKind: 'AGENCY', timeZone: 'Mars/Olympus' })
  const fields = result.data.signUp.userErrors.map((e: { field: string[]; code: string }) => `${e.field.join('.')}:${e.code}`).sort()
  assert.equal(fields, ['input.email:INVALID', 'input.organizationName:TOO_SHORT', 'input.password:TOO_SHORT', 'input.timeZone:INVALID'])
  assert.equal(await ctx.t.test.db('users').count({ n: '*' }).first(), before)
})

accounts('a taken email is a user error and changes nothing', async (ctx) => {
  const orgs = await ctx.t.test.db('organizations').count({ n: '*' }).first()
  const result = await signUp(ctx, { email: 'dana@example.com', password: PASSWORD, organizationName: 'Squatter', organizationKind: 'DIRECT' })
  assert.equal(result.data.signUp.userErrors, [{ field: ['input', 'email'], code: 'TAKEN' }])
  assert.equal(await ctx.t.test.db('organizations').count({ n: '*' }).first(), orgs)
})

accounts('a wrong password and an unknown email get the same answer, and failures are audited', async (ctx) => {
  const wrong = await logIn(ctx, 'dana@example.com', 'not the password at all')
  const unknown = await logIn(ctx, 'nobody@example.com', 'not the password at all')
  assert.equal(wrong.data.logIn.userErrors, unknown.data.logIn.userErrors)
  assert.is(wrong.data.logIn.userErrors[0].code, 'INVALID_CREDENTIALS')
  assert.ok((await ctx.t.test.db('audit_log').where({ action: 'user.login_failed' })).length >= 2)
})

accounts('refresh rotates tokens; replaying an old refresh token ends the session and alerts the user', async (ctx) => {
  const login = (await logIn(ctx, 'dana@example.com', PASSWORD)).data.logIn.tokens
  const refresh = (token: string) => graphqlRequest(ctx.t.app, `mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { ${AUTH_FIELDS} } }`, { input: { refreshToken: token } })
  const rotated = (await refresh(login.refreshToken)).data.refreshSession.tokens
  assert.ok(rotated.accessToken)
  assert.is((await me(ctx, rotated.accessToken)).data.me.user.email, 'dana@example.com')
  const replay = await refresh(login.refreshToken)
  assert.equal(errorCodes(replay), ['UNAUTHENTICATED'])
  assert.equal(errorCodes(await me(ctx, rotated.accessToken)), ['UNAUTHENTICATED'])
  const alert = ctx.t.app.mailer.outbox.at(-1)
  assert.is(alert?.to, 'dana@example.com')
  assert.match(alert?.text ?? '', /sign-in|session|refresh/i)
})

accounts('sessions are listed per device; one can be revoked, and logOut ends the current one', async (ctx) => {
  const phone = (await logIn(ctx, 'dana@example.com', PASSWORD)).data.logIn.tokens.accessToken
  const laptop = (await logIn(ctx, 'dana@example.com', PASSWORD)).data.logIn.tokens.accessToken
  const listed = (await me(ctx, laptop)).data.me.sessions.nodes as Array<{ id: string; current: boolean }>
  const phoneSession = (await me(ctx, phone)).data.me.sessions.nodes.find((s: { current: boolean }) => s.current)
  assert.ok(listed.length >= 2)
  const revoke = await graphqlRequest(ctx.t.app, 'mutation($input: RevokeSessionInput!) { revokeSession(input: $input) { revokedSessionId userErrors { code } } }', { input: { sessionId: phoneSession.id } }, { token: laptop })
  assert.is(revoke.data.revokeSession.revokedSessionId, phoneSession.id)
  assert.equal(errorCodes(await me(ctx, phone)), ['UNAUTHENTICATED'])
  const out = await graphqlRequest(ctx.t.app, 'mutation { logOut { loggedOut } }', {}, { token: laptop })
  assert.is(out.data.logOut.loggedOut, true)
  assert.equal(errorCodes(await me(ctx, laptop)), ['UNAUTHENTICATED'])
})

accounts('a password reset by code ends every session and the new password works', async (ctx) => {
  const before = (await logIn(ctx, 'dana@example.com', PASSWORD)).data.logIn.tokens
  const unknown = await graphqlRequest(ctx.t.app, 'mutation { requestPasswordReset(input: { email: "ghost@example.com" }) { requested } }')
  assert.is(unknown.data.requestPasswordReset.requested, true)
  assert.not.ok(ctx.t.app.mailer.outbox.some((m) => m.to === 'ghost@example.com'))
  await graphqlRequest(ctx.t.app, 'mutation { requestPasswordReset(input: { email: "dana@example.com" }) { requested } }')
  const code = lastCodeFor(ctx, 'dana@example.com')
  const reset = (c: string) =>
    graphqlRequest(ctx.t.app, 'mutation($input: ResetPasswordInput!) { resetPassword(input: $input) { reset userErrors { field code } } }', { input: { email: 'dana@example.com', code: c, newPassword: NEW_PASSWORD } })
  const first = await reset(code === '999999' ? '999998' : '999999')
  assert.ok(first.data, JSON.stringify(first.errors))
  assert.equal(first.data.resetPassword.userErrors, [{ field: ['input', 'code'], code: 'INVALID' }])
  assert.is((await reset(code)).data.resetPassword.reset, true)
  assert.equal(errorCodes(await me(ctx, before.accessToken)), ['UNAUTHENTICATED'])
  assert.is((await logIn(ctx, 'dana@example.com', PASSWORD)).data.logIn.userErrors[0].code, 'INVALID_CREDENTIALS')
  assert.ok((await logIn(ctx, 'dana@example.com', NEW_PASSWORD)).data.logIn.tokens.accessToken)
})

accounts('repeated failed logins are rate limited per account, with a clear code', async (ctx) => {
  const codes: string[] = []
  for (let i = 0; i < 12; i++) {
    const result = await logIn(ctx, 'dana@example.com', 'guessing wrongly', `198.51.100.${i + 10}`)
    codes.push(errorCodes(result)[0] ?? result.data.logIn.userErrors[0]?.code)
  }
  assert.ok(codes.includes('RATE_LIMITED'), codes.join(','))
  const limited = await logIn(ctx, 'dana@example.com', NEW_PASSWORD, '198.51.100.99')
  assert.equal(errorCodes(limited), ['RATE_LIMITED'])
  assert.ok(Number(limited.errors?.[0]?.extensions.details?.retryAfterSeconds) > 0)
})

accounts('a bad bearer token is UNAUTHENTICATED, while public queries work without one', async (ctx) => {
  assert.equal(errorCodes(await graphqlRequest(ctx.t.app, '{ me { user { email } } }', {}, { token: 'garbage' })), ['UNAUTHENTICATED'])
  const anonymous = await graphqlRequest(ctx.t.app, '{ me { user { email } } plans { totalCount } }')
  assert.equal(anonymous.data, { me: null, plans: { totalCount: 5 } })
})

accounts('sign-ups are rate limited per client address', async (ctx) => {
  const codes: string[] = []
  for (let i = 0; i < 12; i++) {
    const result = await graphqlRequest(
      ctx.t.app,
      'mutation($input: SignUpInput!) { signUp(input: $input) { userErrors { code } } }',
      { input: { email: `burst${i}@example.com`, password: PASSWORD, organizationName: `Burst ${i}`, organizationKind: 'DIRECT' } },
      { ip: '203.0.113.50' },
    )
    codes.push(errorCodes(result)[0] ?? 'ok')
  }
  assert.equal(codes.slice(0, 10), Array(10).fill('ok'))
  assert.equal(codes.slice(10), ['RATE_LIMITED', 'RATE_LIMITED'])
  assert.is((await ctx.t.test.db('users').where('email', 'like', 'burst%')).length, 10)
})

accounts('no password, code, token or API key ever reaches the logs', async (ctx) => {
  const org = await ctx.t.test.db('organizations').where({ name: 'Dana Dental' }).first()
  const admin = await insertUser(ctx.t.test.db, { email: 'admin@dana.example' })
  await insertMembership(ctx.t.test.db, admin.id, org.id, 'admin')
  const token = (await logIn(ctx, admin.email, TEST_PASSWORD, '198.51.100.200')).data.logIn.tokens.accessToken
  const created = await graphqlRequest(ctx.t.app, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', { input: { organizationId: Buffer.from(`Organization:${org.id}`).toString('base64url'), name: 'log probe', scopes: ['CALLS_READ'] } }, { token })
  const apiKey: string = created.data.createApiKey.secret
  await graphqlRequest(ctx.t.app, '{ organizations { totalCount } }', {}, { token: apiKey })
  const all = ctx.logs.join('')
  assert.not.ok(all.includes(apiKey), 'an API key was logged')
  assert.not.ok(all.includes(apiKey.slice(16)), 'an API key secret was logged')
  assert.ok(all.length > 1000, 'the flows above were logged at trace level')
  const secrets = [PASSWORD, NEW_PASSWORD, TEST_PASSWORD, ...ctx.t.app.mailer.outbox.map((m) => m.text.match(/\b(\d{6})\b/)?.[1]).filter((c): c is string => !!c)]
  for (const secret of secrets) assert.not.ok(all.includes(secret), `log contains a secret (${secret.length} chars)`)
  assert.not.ok(/alr_[A-Za-z0-9_-]{20}/.test(all), 'a refresh token was logged')
  assert.not.ok(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(all), 'a JWT was logged')
})

accounts.run()
