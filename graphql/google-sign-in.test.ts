import { createServer, type Server } from 'node:http'
import { webcrypto } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'

type CryptoKey = webcrypto.CryptoKey
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import type { Config } from '../core/index.ts'
import { insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'

/** Google sign-in against a local JWKS endpoint serving keys we control, as Google's would. */
const google = suite<{ t: TestApp; jwks: Server; privateKey: CryptoKey; strangerKey: CryptoKey }>('graphql: Google sign-in')

const CLIENT_ID = 'answerline-test.apps.googleusercontent.com'
const ISSUER = 'https://accounts.google.com'

google.before(async (ctx) => {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  ctx.privateKey = privateKey
  ctx.strangerKey = (await generateKeyPair('RS256')).privateKey
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'google-1', alg: 'RS256', use: 'sig' }
  ctx.jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => ctx.jwks.listen(0, '127.0.0.1', resolve))
  const { port } = ctx.jwks.address() as { port: number }
  ctx.t = await openTestApp((config: Config) => buildApp(config), { GOOGLE_CLIENT_ID: CLIENT_ID, GOOGLE_JWKS_URL: `http://127.0.0.1:${port}/oauth2/v3/certs` })
})
google.after(async (ctx) => {
  await ctx.t.close()
  await new Promise((resolve) => ctx.jwks.close(resolve))
})

function idToken(key: CryptoKey, claims: Record<string, unknown>, options: { audience?: string; issuer?: string; expiresIn?: string } = {}) {
  return new SignJWT({ email_verified: true, name: 'Gina Google', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'google-1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? CLIENT_ID)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(key)
}

const signIn = (ctx: { t: TestApp }, token: string) =>
  graphqlRequest(ctx.t.app, 'mutation($input: SignInWithGoogleInput!) { signInWithGoogle(input: $input) { tokens { accessToken } user { email emailVerified } userErrors { code } } }', { input: { idToken: token } })

google('a new Google user gets a verified account and a session', async (ctx) => {
  const result = await signIn(ctx, await idToken(ctx.privateKey, { sub: 'g-100', email: 'Gina@Gmail.com' }))
  assert.equal(result.data.signInWithGoogle.user, { email: 'gina@gmail.com', emailVerified: true })
  assert.ok(result.data.signInWithGoogle.tokens.accessToken)
  assert.is((await ctx.t.test.db('users').where({ email: 'gina@gmail.com' }).first()).google_subject, 'g-100')
  const again = await signIn(ctx, await idToken(ctx.privateKey, { sub: 'g-100', email: 'gina@gmail.com' }))
  assert.ok(again.data.signInWithGoogle.tokens.accessToken)
  assert.is((await ctx.t.test.db('users').where({ email: 'gina@gmail.com' })).length, 1)
})

google('an existing verified account is linked by its email and keeps its password', async (ctx) => {
  const user = await insertUser(ctx.t.test.db, { email: 'pat@example.com' })
  const result = await signIn(ctx, await idToken(ctx.privateKey, { sub: 'g-200', email: 'pat@example.com' }))
  assert.ok(result.data.signInWithGoogle.tokens.accessToken)
  const row = await ctx.t.test.db('users').where({ id: user.id }).first()
  assert.is(row.google_subject, 'g-200')
  assert.ok(row.password_hash)
})

google('an account someone signed up for but never verified loses the squatter\'s password when its owner arrives', async (ctx) => {
  const squatted = await insertUser(ctx.t.test.db, { email: 'victim@example.com', verified: false })
  const result = await signIn(ctx, await idToken(ctx.privateKey, { sub: 'g-300', email: 'victim@example.com' }))
  assert.ok(result.data.signInWithGoogle.tokens.accessToken)
  const row = await ctx.t.test.db('users').where({ id: squatted.id }).first()
  assert.is(row.password_hash, null)
  assert.ok(row.email_verified_at)
  const login = await graphqlRequest(ctx.t.app, 'mutation($input: LogInInput!) { logIn(input: $input) { userErrors { code } } }', { input: { email: 'victim@example.com', password: TEST_PASSWORD } })
  assert.is(login.data.logIn.userErrors[0].code, 'INVALID_CREDENTIALS')
})

google('an email Google has not verified is not linked', async (ctx) => {
  await insertUser(ctx.t.test.db, { email: 'unverified@example.com' })
  const result = await signIn(ctx, await idToken(ctx.privateKey, { sub: 'g-400', email: 'unverified@example.com', email_verified: false }))
  assert.equal(result.data.signInWithGoogle.userErrors, [{ code: 'EMAIL_NOT_VERIFIED' }])
  assert.is((await ctx.t.test.db('users').where({ email: 'unverified@example.com' }).first()).google_subject, null)
})

google('tokens for another audience, from another issuer, expired, or signed by another key are refused', async (ctx) => {
  const tokens = [
    await idToken(ctx.privateKey, { sub: 'g-500', email: 'x@example.com' }, { audience: 'someone-else.apps.googleusercontent.com' }),
    await idToken(ctx.privateKey, { sub: 'g-500', email: 'x@example.com' }, { issuer: 'https://evil.example.com' }),
    await idToken(ctx.privateKey, { sub: 'g-500', email: 'x@example.com' }, { expiresIn: '-1m' }),
    await idToken(ctx.strangerKey, { sub: 'g-500', email: 'x@example.com' }),
    'not-a-jwt',
  ]
  for (const token of tokens) {
    const result = await signIn(ctx, token)
    assert.equal(result.errors?.map((e) => e.extensions.code), ['UNAUTHENTICATED'])
  }
  assert.is((await ctx.t.test.db('users').where({ email: 'x@example.com' })).length, 0)
})

google.run()
