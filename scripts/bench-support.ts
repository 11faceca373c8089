/** What the benchmarks share: a throwaway database, a free port, and a server process to wait for. */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createKnex, loadConfig, migrateLatest, resolveDatabase, type Knex } from '../core/index.ts'
export { freePort } from '../core/testing/free-port.ts'

export const ROOT = new URL('..', import.meta.url).pathname

export interface BenchDatabase {
  url: string
  db: Knex
  dataDir: string
  close(): Promise<void>
}

/** A fresh, migrated database on DATABASE_URL's server, or on an embedded one started for the run. */
export async function openBenchDatabase(prefix: string): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `answerline-${prefix}-`))
  const server = await resolveDatabase(loadConfig({ ...process.env, DATA_DIR: dataDir }))
  const name = `answerline_${prefix}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: server.url })
  await admin.connect()
  await admin.query(`create database ${name}`)
  const url = new URL(server.url)
  url.pathname = `/${name}`
  const db = createKnex(url.toString(), 4)
  await migrateLatest(db)
  return {
    url: url.toString(),
    db,
    dataDir,
    async close() {
      await db.destroy()
      await admin.query(`drop database if exists ${name} with (force)`)
      await admin.end()
      await server.embedded?.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}


/** Starts `answerline start` with the given arguments and environment, and waits for /readyz. */
export async function startAnswerline(command: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env })
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return child
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  child.kill('SIGKILL')
  throw new Error('the server did not become ready')
}

export async function stopAnswerline(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
}

/** Secrets and settings a production-mode benchmark server needs, none of them reaching the network. */
export function benchEnvironment(port: number, databaseUrl: string, authToken: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    MIGRATE_ON_START: 'false',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    API_INTERNAL_URL: `http://127.0.0.1:${port}`,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
    WORKER_SECRET: randomBytes(24).toString('hex'),
    AUTH_JWT_KEYS: `bench=${randomBytes(24).toString('hex')}`,
    AUTH_PEPPER: randomBytes(24).toString('hex'),
    RESEND_API_KEY: 're_bench_unused',
    CONNECTOR_KEYS: `bench=${randomBytes(32).toString('base64')}`,
  }
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
export const round = (n: number) => Math.round(n * 100) / 100
