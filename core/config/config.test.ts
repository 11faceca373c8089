import { spawnSync } from 'node:child_process'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, loadConfig, withDatabaseUrl } from './config.ts'

const config = suite('config: loadConfig')

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  assert.unreachable('expected a ConfigError')
  return []
}

config('an empty environment gives the embedded defaults', () => {
  const c = loadConfig({})
  assert.is(c.env, 'development')
  assert.is(c.http.host, '127.0.0.1')
  assert.is(c.http.port, 3000)
  assert.is(c.http.publicBaseUrl, 'http://127.0.0.1:3000')
  assert.is(c.database.url, null)
  assert.is(c.database.migrateOnStart, true)
  assert.is(c.database.embedded.dataDir, '.data')
  assert.is(c.demo.seedOnStart, true)
  assert.is(c.demo.phoneNumber, '+15005550006')
  assert.is(c.graphql.graphiql, true)
})

config('a configured database turns the demo seed off unless asked for', () => {
  const c = loadConfig({ DATABASE_URL: 'postgres://u:p@db.internal:5432/answerline' })
  assert.is(c.database.url, 'postgres://u:p@db.internal:5432/answerline')
  assert.is(c.demo.seedOnStart, false)
  assert.is(loadConfig({ DATABASE_URL: 'postgresql://db/a', SEED_DEMO: 'true' }).demo.seedOnStart, true)
})

const PRODUCTION = { NODE_ENV: 'production', AUTH_JWT_KEYS: `k1=${'a'.repeat(32)}`, AUTH_PEPPER: 'p'.repeat(32), RESEND_API_KEY: 're_test', TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't'.repeat(32), WORKER_SECRET: 'w'.repeat(32), CONNECTOR_KEYS: `k1=${Buffer.alloc(32, 7).toString('base64')}` }

config('production hides GraphiQL and introspection unless enabled', () => {
  assert.is(loadConfig(PRODUCTION).graphql.graphiql, false)
  assert.is(loadConfig(PRODUCTION).graphql.introspection, false)
  assert.is(loadConfig({ ...PRODUCTION, GRAPHIQL: 'true', GRAPHQL_INTROSPECTION: 'true' }).graphql.graphiql, true)
})

config('production refuses to start without its secrets, naming each', () => {
  assert.equal(problemsOf({ NODE_ENV: 'production' }), ['AUTH_JWT_KEYS', 'AUTH_PEPPER', 'RESEND_API_KEY', 'TWILIO_AUTH_TOKEN', 'TWILIO_ACCOUNT_SID', 'WORKER_SECRET', 'CONNECTOR_KEYS'].map((name) => `${name}: required in production`))
})

config('signing keys are kid=secret pairs; the first signs', () => {
  const keys = loadConfig({ AUTH_JWT_KEYS: `new=${'n'.repeat(40)},old=${'o'.repeat(32)}` }).auth.jwtKeys
  assert.equal(keys.map((k) => k.kid), ['new', 'old'])
  assert.equal(problemsOf({ AUTH_JWT_KEYS: 'short=abc' }).map((p) => p.split(':')[0]), ['AUTH_JWT_KEYS'])
})

config('bcrypt cost stays at 12 or more outside tests', () => {
  assert.equal(problemsOf({ BCRYPT_COST: '10' }), ['BCRYPT_COST: must be at least 12 outside tests'])
  assert.is(loadConfig({ NODE_ENV: 'test', BCRYPT_COST: '4' }).auth.bcryptCost, 4)
})

config('allowed origins default to the public URL\'s origin', () => {
  assert.equal(loadConfig({ PUBLIC_BASE_URL: 'https://answer.example.com/app' }).graphql.allowedOrigins, ['https://answer.example.com'])
  assert.equal(loadConfig({ ALLOWED_ORIGINS: 'https://crm.example.com, https://app.example.org' }).graphql.allowedOrigins, ['https://crm.example.com', 'https://app.example.org'])
})

config('PUBLIC_BASE_URL wins and loses its trailing slash', () => {
  assert.is(loadConfig({ PUBLIC_BASE_URL: 'https://answer.example.com/' }).http.publicBaseUrl, 'https://answer.example.com')
})

config('empty strings count as unset', () => {
  assert.is(loadConfig({ PORT: '', DATABASE_URL: '' }).http.port, 3000)
})

config('every bad variable is reported at once', () => {
  const problems = problemsOf({ PORT: 'eighty', DATABASE_URL: 'mysql://root:hunter2@db/x', LOG_LEVEL: 'loud', DEMO_PHONE_NUMBER: '555-0100', MIGRATE_ON_START: 'maybe' })
  const variables = problems.map((p) => p.split(':')[0]).sort()
  assert.equal(variables, ['DATABASE_URL', 'DEMO_PHONE_NUMBER', 'LOG_LEVEL', 'MIGRATE_ON_START', 'PORT'])
})

config('messages never echo values, which may be secrets', () => {
  const problems = problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db/x' })
  assert.not.ok(problems.join('\n').includes('hunter2'))
})

config('the config is frozen, and withDatabaseUrl returns a new frozen copy', () => {
  const c = loadConfig({})
  assert.throws(() => {
    ;(c.http as { port: number }).port = 1
  })
  const resolved = withDatabaseUrl(c, 'postgres://127.0.0.1:5/x')
  assert.is(resolved.database.url, 'postgres://127.0.0.1:5/x')
  assert.is(c.database.url, null)
  assert.ok(Object.isFrozen(resolved.database))
})

config('the CLI exits non-zero with one message naming every bad variable', () => {
  const result = spawnSync(process.execPath, ['cli.ts', 'migrate'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { PATH: process.env.PATH, PORT: '-1', LOG_LEVEL: 'loud', DATABASE_URL: 'ftp://x' },
    encoding: 'utf8',
    timeout: 20_000,
  })
  assert.is(result.status, 1)
  assert.match(result.stderr, /Invalid configuration/)
  for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL']) assert.match(result.stderr, new RegExp(`- ${name}:`))
  assert.is(result.stderr.match(/Invalid configuration/g)?.length, 1)
})

config('the CLI rejects an unknown role before touching anything', () => {
  const result = spawnSync(process.execPath, ['cli.ts', 'start', '--role', 'janitor'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
    timeout: 20_000,
  })
  assert.is(result.status, 2)
  assert.match(result.stderr, /--role must be one of api, worker, all/)
})

config.run()
