import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { testConfig } from '../config/config.ts'
import { insertUser } from '../testing/accounts.ts'
import { rejects } from '../testing/rejects.ts'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { verifyToken } from './jwt.ts'
import { createSession, refreshSession, revokeAllSessions } from './sessions.ts'

const sessions = suite<{ test: TestDb }>('auth: sessions and refresh token rotation')
const settings = testConfig().auth
const client = { ip: '203.0.113.7', userAgent: 'uvu/1.0' }

sessions.before(async (ctx) => {
  ctx.test = await openTestDb()
})
sessions.after((ctx) => ctx.test.destroy())

sessions('a session records the device and issues tokens; the refresh token is stored only as a hash', async ({ test }) => {
  const user = await insertUser(test.db)
  const tokens = await createSession(test.db, settings, user.id, client)
  const claims = await verifyToken(settings.jwtKeys, tokens.accessToken)
  assert.equal(claims.kind === 'access' && [claims.userId, claims.sessionId], [user.id, tokens.sessionId])
  const session = await test.db('user_sessions').where({ id: tokens.sessionId }).first()
  assert.is(session.ip, '203.0.113.7')
  assert.is(session.user_agent, 'uvu/1.0')
  assert.ok(Math.abs(session.expires_at.getTime() - Date.now() - 7 * 86_400_000) < 60_000, 'seven days by default')
  const stored = await test.db('refresh_tokens').where({ session_id: tokens.sessionId })
  assert.is(stored.length, 1)
  assert.not.ok(JSON.stringify(stored).includes(tokens.refreshToken))
})

sessions('each refresh rotates: the new token works, the session keeps its expiry', async ({ test }) => {
  const user = await insertUser(test.db)
  const first = await createSession(test.db, settings, user.id, client)
  const second = await refreshSession(test.db, settings, first.refreshToken, client)
  assert.is.not(second.refreshToken, first.refreshToken)
  assert.is(second.sessionId, first.sessionId)
  assert.is(second.refreshTokenExpiresAt.getTime(), first.refreshTokenExpiresAt.getTime())
  const third = await refreshSession(test.db, settings, second.refreshToken, client)
  assert.is(third.sessionId, first.sessionId)
})

sessions('reusing a rotated token revokes the whole family and is audit-logged', async ({ test }) => {
  const user = await insertUser(test.db)
  const first = await createSession(test.db, settings, user.id, client)
  const second = await refreshSession(test.db, settings, first.refreshToken, client)
  const reuse = await rejects(refreshSession(test.db, settings, first.refreshToken, { ip: '198.51.100.9', userAgent: 'thief' }))
  assert.is(reuse.code, 'UNAUTHENTICATED')
  assert.is(reuse.userId, user.id)
  // The legitimate holder's newer token dies with the family.
  assert.is((await rejects(refreshSession(test.db, settings, second.refreshToken, client))).code, 'UNAUTHENTICATED')
  const session = await test.db('user_sessions').where({ id: first.sessionId }).first()
  assert.is(session.revoked_reason, 'token_reuse')
  const audit = await test.db('audit_log').where({ action: 'session.refresh_token_reused', actor_id: user.id })
  assert.is(audit.length, 1)
  assert.is(audit[0].ip, '198.51.100.9')
})

sessions('expired, unknown and malformed refresh tokens are refused', async ({ test }) => {
  const user = await insertUser(test.db)
  const tokens = await createSession(test.db, settings, user.id, client)
  await test.db('refresh_tokens').where({ session_id: tokens.sessionId }).update({ created_at: new Date(Date.now() - 10 * 86_400_000), expires_at: new Date(Date.now() - 86_400_000) })
  for (const token of [tokens.refreshToken, 'alr_unknown', 'not-a-token', '']) {
    assert.is((await rejects(refreshSession(test.db, settings, token, client))).code, 'UNAUTHENTICATED', token)
  }
})

sessions('revoking every session (password reset) ends refreshes for all devices', async ({ test }) => {
  const user = await insertUser(test.db)
  const phone = await createSession(test.db, settings, user.id, client)
  const laptop = await createSession(test.db, settings, user.id, client)
  assert.is(await revokeAllSessions(test.db, user.id, 'password_reset'), 2)
  for (const tokens of [phone, laptop]) assert.is((await rejects(refreshSession(test.db, settings, tokens.refreshToken, client))).code, 'UNAUTHENTICATED')
})

sessions('a disabled user cannot refresh', async ({ test }) => {
  const user = await insertUser(test.db)
  const tokens = await createSession(test.db, settings, user.id, client)
  await test.db('users').where({ id: user.id }).update({ status: 'disabled' })
  assert.is((await rejects(refreshSession(test.db, settings, tokens.refreshToken, client))).code, 'UNAUTHENTICATED')
})

sessions.run()
