import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { pendingMigrations } from './core/db/migrations.ts'
import { openTestDb } from './core/testing/test-db.ts'
import { freePort } from './core/testing/free-port.ts'

/**
 * The command line: `migrate` and `seed-demo` against a configured database, and `npm start` on a
 * machine with no database (embedded PostgreSQL, restarts, clean exits).
 */
const cli = suite<{ dataDir: string; port: number }>('cli')

const READY_WITHIN_MS = 30_000
const EXIT_WITHIN_MS = 20_000

interface Running {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function start(ctx: { dataDir: string; port: number }, options: { ownProcessGroup?: boolean } = {}): Running {
  // A clean environment: no DATABASE_URL, so the embedded server is used.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: ctx.dataDir, PORT: String(ctx.port), LOG_LEVEL: 'warn' }
  const child = spawn(process.execPath, ['cli.ts', 'start'], { cwd: new URL('.', import.meta.url).pathname, env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup === true })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

async function waitForReady(ctx: { port: number }, running: Running): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < READY_WITHIN_MS) {
    if (running.child.exitCode !== null) break
    try {
      const response = await fetch(`http://127.0.0.1:${ctx.port}/readyz`)
      if (response.status === 200) return Date.now() - started
    } catch {
      // not listening yet
    }
    await sleep(200)
  }
  throw new Error(`not ready within ${READY_WITHIN_MS} ms:\n${running.output()}`)
}

async function stop(running: Running, signal: NodeJS.Signals): Promise<number | null> {
  running.child.kill(signal)
  const code = await Promise.race([running.exited, sleep(EXIT_WITHIN_MS, 'timeout' as const, { ref: false })])
  if (code === 'timeout') throw new Error(`no exit within ${EXIT_WITHIN_MS} ms after ${signal}:\n${running.output()}`)
  return code
}

/** PostgreSQL processes serving the given data directory, found through /proc. */
function postgresServing(dataDir: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      if (cmdline[0]?.endsWith('postgres') && cmdline.includes(join(dataDir, 'postgres'))) pids.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return pids
}


async function graphqlPlans(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ plans { totalCount } }' }),
  })
  return ((await response.json()) as { data: { plans: { totalCount: number } } }).data.plans.totalCount
}

cli.before(async (ctx) => {
  ctx.dataDir = mkdtempSync(join(tmpdir(), 'answerline-cli-'))
  ctx.port = await freePort()
})
cli.after((ctx) => {
  for (const pid of postgresServing(ctx.dataDir)) process.kill(pid, 'SIGQUIT')
  rmSync(ctx.dataDir, { recursive: true, force: true })
})

function runCommand(command: string, databaseUrl: string, ...args: string[]) {
  return spawnSync(process.execPath, ['cli.ts', command, ...args], {
    cwd: new URL('.', import.meta.url).pathname,
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  })
}

cli('migrate applies every migration to a configured database, and a second run applies none', async () => {
  const test = await openTestDb({ migrate: false })
  try {
    const first = runCommand('migrate', test.url)
    assert.is(first.status, 0, first.stderr)
    assert.match(first.stdout, /Applied \d+ migration\(s\)\.\nDatabase schema is up to date\./)
    assert.equal(await pendingMigrations(test.db), [])
    const second = runCommand('migrate', test.url)
    assert.is(second.status, 0, second.stderr)
    assert.not.match(second.stdout, /Applied/)
  } finally {
    await test.destroy()
  }
})

cli('seed-demo migrates and seeds a configured database, printing the login', async () => {
  const test = await openTestDb({ migrate: false })
  try {
    const result = runCommand('seed-demo', test.url)
    assert.is(result.status, 0, result.stderr)
    assert.match(result.stdout, /sign in as owner@demo\.answerline\.test with password "answerline-demo"/)
    assert.is((await test.db('businesses').select('id')).length, 2)
  } finally {
    await test.destroy()
  }
})

cli('grant-operator makes an existing user a platform operator, and refuses an unknown email', async () => {
  const test = await openTestDb()
  try {
    await test.db('users').insert({ email: 'ops@example.com', display_name: 'Ops' })
    const granted = runCommand('grant-operator', test.url, 'Ops@Example.com')
    assert.is(granted.status, 0, granted.stderr)
    assert.is((await test.db('users').where({ email: 'ops@example.com' }).first()).platform_operator, true)
    const unknown = runCommand('grant-operator', test.url, 'nobody@example.com')
    assert.is(unknown.status, 2)
    assert.match(unknown.stderr, /No user has the email nobody@example.com/)
  } finally {
    await test.destroy()
  }
})

cli('a first start creates the database, migrates, seeds, and is ready within 30 s', async (ctx) => {
  const running = start(ctx)
  const ms = await waitForReady(ctx, running)
  console.log(`    first start ready in ${ms} ms`)
  assert.is(await graphqlPlans(ctx.port), 5)
  assert.match(running.output(), /Applied \d+ migration\(s\)\./)
  assert.match(running.output(), /sign in as owner@demo\.answerline\.test with password "answerline-demo"/)
  assert.is(postgresServing(ctx.dataDir).length > 0, true)
  assert.is(await stop(running, 'SIGINT'), 0)
  assert.equal(postgresServing(ctx.dataDir), [], 'SIGINT leaves no postgres behind')
})

cli('a second start reuses the data, and SIGTERM also stops PostgreSQL', async (ctx) => {
  const running = start(ctx)
  const ms = await waitForReady(ctx, running)
  console.log(`    second start ready in ${ms} ms`)
  assert.not.match(running.output(), /Applied \d+ migration/)
  assert.match(running.output(), /sign in as owner@demo\.answerline\.test/)
  assert.is(await stop(running, 'SIGTERM'), 0)
  assert.equal(postgresServing(ctx.dataDir), [])
})

cli('Ctrl-C in a terminal (SIGINT to the whole process group, postgres included) exits cleanly', async (ctx) => {
  const running = start(ctx, { ownProcessGroup: true })
  await waitForReady(ctx, running)
  const pid = running.child.pid
  assert.ok(pid)
  process.kill(-pid, 'SIGINT')
  const code = await Promise.race([running.exited, sleep(EXIT_WITHIN_MS, 'timeout' as const, { ref: false })])
  assert.is(code, 0, running.output())
  assert.equal(postgresServing(ctx.dataDir), [])
})

cli('after the process is killed outright, the next start takes over the orphaned PostgreSQL', async (ctx) => {
  const killed = start(ctx)
  await waitForReady(ctx, killed)
  await stop(killed, 'SIGKILL')
  const orphans = postgresServing(ctx.dataDir)
  assert.ok(orphans.length > 0, 'SIGKILL cannot clean up, so postgres is still running')
  const running = start(ctx)
  await waitForReady(ctx, running)
  assert.ok(orphans.every((pid) => !postgresServing(ctx.dataDir).includes(pid)), 'the orphan was stopped')
  assert.is(await stop(running, 'SIGINT'), 0)
  assert.equal(postgresServing(ctx.dataDir), [])
})

cli.run()
