import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import { type Config, createKnex, type EmbeddedS3, startEmbeddedS3, withStorage, migrateLatest, resolveDatabase, type ResolvedDatabase, resolveDevSecrets, type Role, seedDemo, withDatabaseUrl } from './core/index.ts'

// A second Ctrl-C, or a shutdown stuck this long (past a worker's drain time), ends the process without waiting any more.
const SHUTDOWN_TIMEOUT_MS = 30_000

const print = (line: string) => process.stdout.write(`${line}\n`)

/** Prepares the database: migrations when configured, then the demo seed when configured. */
export async function prepareDatabase(config: Config, url: string, steps: { migrate: boolean; seed: boolean }): Promise<void> {
  const db = createKnex(url, 2)
  try {
    if (steps.migrate) {
      const applied = await migrateLatest(db)
      if (applied.length) print(`Applied ${applied.length} migration(s).`)
    }
    if (steps.seed) {
      const demo = await seedDemo(db, { phoneNumber: config.demo.phoneNumber })
      print(`Demo: sign in as ${demo.login.email} with password "${demo.login.password}"; demo line ${demo.phoneNumber}.`)
    }
  } finally {
    await db.destroy()
  }
}

/** Runs a short task (migrate, seed) against the configured or embedded database, then stops it. */
export async function withDatabase<T>(config: Config, task: (url: string) => Promise<T>): Promise<T> {
  const database = await resolveDatabase(config, print)
  try {
    return await task(database.url)
  } finally {
    await database.embedded?.stop()
  }
}

/** Starts Answerline for one role and keeps it running until SIGINT or SIGTERM. */
export async function startServer(config: Config, role: Role): Promise<FastifyInstance> {
  const database: ResolvedDatabase = await resolveDatabase(config, print)
  let store: EmbeddedS3 | null = null
  let app: FastifyInstance | undefined
  try {
    await prepareDatabase(config, database.url, { migrate: config.database.migrateOnStart, seed: config.demo.seedOnStart })
    let resolved = withDatabaseUrl(config, database.url)
    // Like the database: without a configured store, outside production, a local S3-compatible one.
    if (!config.storage.endpoint && !config.storage.accessKeyId && config.env !== 'production') {
      store = await startEmbeddedS3({ ...config.storage.embedded, bucket: config.storage.bucket })
      resolved = withStorage(resolved, store)
    }
    app = await buildApp(await resolveDevSecrets(resolved), { role })
    await app.listen({ host: config.http.host, port: config.http.port })
  } catch (error) {
    await app?.close()
    await store?.stop()
    await database.embedded?.stop()
    throw error
  }
  const started = app
  const graceMs = config.http.shutdownGraceSeconds * 1000
  const drainMs = role === 'api' ? 0 : config.voice.drainSeconds * 1000
  handleShutdownSignals(graceMs + drainMs + SHUTDOWN_TIMEOUT_MS, async (signal) => {
    // Readiness fails at once; the instance keeps serving while load balancers notice, then stops
    // accepting, lets requests in flight finish, and (a worker) lets live calls go on for the drain time.
    // (Ctrl-C at a terminal has no load balancer to wait for.)
    started.lifecycle.beginDraining()
    if (signal === 'SIGTERM') await new Promise((resolve) => setTimeout(resolve, graceMs))
    await started.close()
    await store?.stop()
    await database.embedded?.stop()
  })
  const base = config.http.publicBaseUrl
  print(`Answerline (${role}) is listening on ${base}`)
  if (role !== 'worker') print(`  GraphQL   ${base}/graphql${config.graphql.graphiql ? `   (GraphiQL: ${base}/graphiql)` : ''}`)
  print(`  Health    ${base}/healthz   ${base}/readyz`)
  if (role !== 'worker') print(`  Widgets   ${base}/widgets/answerline.js${config.env === 'production' ? '' : `   (demo CRM page: ${base}/demo)`}`)
  if (database.embedded) print(`  Database  embedded PostgreSQL, data in ${config.database.embedded.dataDir}/postgres`)
  if (store) print(`  Storage   embedded S3-compatible store, data in ${config.storage.embedded.dataDir}`)
  return started
}

function handleShutdownSignals(timeoutMs: number, shutdown: (signal: NodeJS.Signals) => Promise<void>): void {
  let shuttingDown = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      print(`Received ${signal} again; exiting now.`)
      process.exit(1)
    }
    shuttingDown = true
    print(`Received ${signal}; shutting down.`)
    const timer = setTimeout(() => {
      print('Shutdown took too long; exiting.')
      process.exit(1)
    }, timeoutMs)
    timer.unref()
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}
