import type { FastifyInstance } from 'fastify'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp } from '../app-factory.ts'
import { testConfig } from '../config/config.ts'
import { migrateLatest } from '../db/migrations.ts'
import { openTestDb, type TestDb } from '../testing/test-db.ts'

const health = suite<{ test: TestDb; app: FastifyInstance }>('health: liveness and readiness')

health.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.app = await createApp(testConfig({ DATABASE_URL: ctx.test.url }))
})
health.after(async (ctx) => {
  await ctx.app.close()
  await ctx.test.destroy()
})

health('/healthz answers 200 while the process runs', async ({ app }) => {
  const response = await app.inject({ url: '/healthz' })
  assert.is(response.statusCode, 200)
  assert.equal(response.json(), { status: 'ok' })
})

health('/readyz answers 200 when the database answers and migrations are current', async ({ app }) => {
  const response = await app.inject({ url: '/readyz' })
  assert.is(response.statusCode, 200)
  assert.equal(response.json(), { status: 'ready', checks: { database: 'ok', migrations: 'current' } })
})

health('/readyz answers 503 while a migration of this build is not applied', async ({ app, test }) => {
  const [latest] = await test.db('knex_migrations').orderBy('id', 'desc').limit(1)
  await test.db('knex_migrations').where({ id: latest.id }).delete()
  try {
    const response = await app.inject({ url: '/readyz' })
    assert.is(response.statusCode, 503)
    assert.equal(response.json().checks, { database: 'ok', migrations: 'pending' })
  } finally {
    await test.db('knex_migrations').insert(latest)
    assert.equal(await migrateLatest(test.db), [])
  }
})

health('/readyz answers 503 quickly when the database is unreachable', async () => {
  // Port 9 (discard) has no PostgreSQL behind it on loopback.
  const app = await createApp(testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none' }))
  try {
    const started = Date.now()
    const response = await app.inject({ url: '/readyz' })
    assert.is(response.statusCode, 503)
    assert.equal(response.json().checks, { database: 'unreachable', migrations: 'unknown' })
    assert.ok(Date.now() - started < 10_000)
    assert.is((await app.inject({ url: '/healthz' })).statusCode, 200)
  } finally {
    await app.close()
  }
})

health('every response carries a request id, and a sane incoming one is kept', async ({ app }) => {
  const fresh = await app.inject({ url: '/healthz' })
  assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'edge-42.abc' } })
  assert.is(kept.headers['x-request-id'], 'edge-42.abc')
  const replaced = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\r\ninjected' } })
  assert.is.not(replaced.headers['x-request-id'], 'bad id\r\ninjected')
})

health.run()
