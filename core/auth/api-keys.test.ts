import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { insertApiKey, insertOrganization } from '../testing/accounts.ts'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { authenticateApiKey } from './api-keys.ts'

const keys = suite<{ test: TestDb }>('auth: API keys')

keys.before(async (ctx) => {
  ctx.test = await openTestDb()
})
keys.after((ctx) => ctx.test.destroy())

keys('a key has a visible prefix, is stored as a hash, and authenticates with its scopes', async ({ test }) => {
  const org = await insertOrganization(test.db)
  const key = await insertApiKey(test.db, org.id, ['calls:read', 'embed_tokens:create'])
  assert.match(key.secret, /^al_[A-Za-z0-9]{12}_[A-Za-z0-9]{32}$/)
  const row = await test.db('api_keys').where({ id: key.id }).first()
  assert.is(row.prefix, key.secret.slice(0, 15))
  assert.not.ok(JSON.stringify(row).includes(key.secret.slice(16)))
  const found = await authenticateApiKey(test.db, key.secret)
  assert.equal(found && [found.id, found.organizationId, found.scopes], [key.id, org.id, ['calls:read', 'embed_tokens:create']])
  assert.ok((await test.db('api_keys').where({ id: key.id }).first()).last_used_at, 'last use is recorded')
})

keys('a wrong secret behind a real prefix, a revoked key, an expired key and a suspended organization fail', async ({ test }) => {
  const org = await insertOrganization(test.db)
  const key = await insertApiKey(test.db, org.id, ['calls:read'])
  const lastChar = key.secret.at(-1) === 'a' ? 'b' : 'a'
  assert.is(await authenticateApiKey(test.db, key.secret.slice(0, -1) + lastChar), null)
  assert.is(await authenticateApiKey(test.db, 'al_short'), null)

  const revoked = await insertApiKey(test.db, org.id, ['calls:read'])
  await test.db('api_keys').where({ id: revoked.id }).update({ revoked_at: new Date() })
  assert.is(await authenticateApiKey(test.db, revoked.secret), null)

  const expired = await insertApiKey(test.db, org.id, ['calls:read'])
  await test.db('api_keys').where({ id: expired.id }).update({ created_at: new Date(Date.now() - 7_200_000), expires_at: new Date(Date.now() - 3_600_000) })
  assert.is(await authenticateApiKey(test.db, expired.secret), null)

  await test.db('organizations').where({ id: org.id }).update({ status: 'suspended', suspended_at: new Date() })
  assert.is(await authenticateApiKey(test.db, key.secret), null)
})

keys.run()
