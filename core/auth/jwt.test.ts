import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../testing/rejects.ts'
import { signAccessToken, signEmbedToken, verifyToken } from './jwt.ts'

const jwt = suite('auth: access and embed tokens')

const CURRENT = { kid: 'k2', secret: 'c'.repeat(40) }
const PREVIOUS = { kid: 'k1', secret: 'p'.repeat(40) }
const claims = { userId: '5eed0000-0000-4000-8000-000000000021', sessionId: '5eed0000-0000-4000-8000-0000000000aa' }

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

jwt('an access token round-trips its user and session', async () => {
  const { token, expiresAt } = await signAccessToken([CURRENT], 900, claims)
  const verified = await verifyToken([CURRENT], token)
  assert.equal({ ...verified, expiresAt: undefined }, { kind: 'access', ...claims, expiresAt: undefined })
  assert.is(verified.expiresAt.getTime(), expiresAt.getTime())
})

jwt('an embed token carries one business and its permissions', async () => {
  const { token } = await signEmbedToken([CURRENT], 600, { organizationId: 'o', businessId: 'b', permissions: ['calls:read'], apiKeyId: 'k' })
  const verified = await verifyToken([CURRENT], token)
  assert.is(verified.kind, 'embed')
  assert.equal(verified.kind === 'embed' && verified.permissions, ['calls:read'])
})

jwt('keys rotate: tokens of the previous key verify while it is listed, and fail once it is gone', async () => {
  const { token } = await signAccessToken([PREVIOUS], 900, claims)
  assert.is((await verifyToken([CURRENT, PREVIOUS], token)).kind, 'access')
  assert.is((await rejects(verifyToken([CURRENT], token))).code, 'UNAUTHENTICATED')
})

jwt('a tampered payload fails', async () => {
  const { token } = await signAccessToken([CURRENT], 900, claims)
  const [header, , signature] = token.split('.')
  const forged = `${header}.${b64({ sub: 'someone-else', sid: claims.sessionId, aud: 'answerline:api', iss: 'answerline', iat: 1, exp: 9999999999 })}.${signature}`
  assert.is((await rejects(verifyToken([CURRENT], forged))).code, 'UNAUTHENTICATED')
})

jwt('alg none is refused', async () => {
  const unsigned = `${b64({ alg: 'none', typ: 'JWT', kid: CURRENT.kid })}.${b64({ sub: claims.userId, sid: claims.sessionId, aud: 'answerline:api', iss: 'answerline', iat: 1, exp: 9999999999 })}.`
  assert.is((await rejects(verifyToken([CURRENT], unsigned))).code, 'UNAUTHENTICATED')
})

jwt('an expired token says so', async () => {
  const { token } = await signAccessToken([CURRENT], -10, claims)
  const error = await rejects(verifyToken([CURRENT], token))
  assert.is(error.code, 'UNAUTHENTICATED')
  assert.equal(error.details, { reason: 'expired' })
})

jwt('a token signed with another secret under our key id fails', async () => {
  const { token } = await signAccessToken([{ kid: CURRENT.kid, secret: 'x'.repeat(40) }], 900, claims)
  assert.is((await rejects(verifyToken([CURRENT], token))).code, 'UNAUTHENTICATED')
})

jwt('garbage is refused without a server error', async () => {
  for (const token of ['', 'abc', 'a.b.c', `${b64({ alg: 'HS256' })}.e30.`]) {
    assert.is((await rejects(verifyToken([CURRENT], token))).code, 'UNAUTHENTICATED', token)
  }
})

jwt.run()
