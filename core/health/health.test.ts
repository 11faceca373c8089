import type { FastifyInstance } from 'fastify'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp } from '../app-factory.ts'
import { testConfig } from '../config/config.ts'
import { migrateLatest } from '../db/migrations.ts'
import { openTestApp, type TestApp } from '../testing/test-app.ts'
import type { TestDb } from '../testing/test-db.ts'

const health = suite<{ t: TestApp; app: FastifyInstance; test: TestDb }>('health: liveness and readiness')

health.before(async (ctx) => {
  ctx.t = await openTestApp()
  ctx.app = ctx.t.app
  ctx.test = ctx.t.test
})
health.after((ctx) => ctx.t.close())

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

health('/readyz answers 503 draining once shutdown begins, while /healthz still answers', async () => {
  const { app, close } = await openTestApp()
  try {
    assert.is((await app.inject({ url: '/readyz' })).statusCode, 200)
    await app.lifecycle.drain()
    const response = await app.inject({ url: '/readyz' })
    assert.is(response.statusCode, 503)
    assert.equal(response.json(), { status: 'draining' })
    assert.is((await app.inject({ url: '/healthz' })).statusCode, 200)
  } finally {
    await close()
  }
})

health.run()
