import { spawn, type ChildProcess } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './free-port.ts'

const START_TIMEOUT_MS = 20_000
const ROOT = new URL('../..', import.meta.url).pathname

/** The environment of an Answerline process a test starts on its own test database (already migrated). */
export function processEnvironment(databaseUrl: string, dataDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    BCRYPT_COST: '4',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    MIGRATE_ON_START: 'false',
    SEED_DEMO: 'false',
    DATA_DIR: dataDir,
    ...extra,
  }
}

/** Starts `answerline start --role worker` (see startProcess). */
export async function startWorkerProcess(env: NodeJS.ProcessEnv, port?: number): Promise<{ worker: ChildProcess; port: number }> {
  const { child, port: listenOn } = await startProcess('worker', env, port)
  return { worker: child, port: listenOn }
}

/**
 * Starts `answerline start --role <role>` on a port of its own and waits until it is ready. Its
 * "listening" line is awaited first: another process that happened to take the port would
 * otherwise answer /readyz for it. Resolves with the process and its port.
 */
export async function startProcess(role: 'api' | 'worker' | 'all', env: NodeJS.ProcessEnv, port?: number, timeoutMs = START_TIMEOUT_MS): Promise<{ child: ChildProcess; port: number }> {
  // A port found free can be taken by another test file's process before this one binds it: when
  // the port is ours to choose, a lost race is retried on another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnPort(role, env, port ?? (await freePort()), timeoutMs)
    } catch (error) {
      if (port !== undefined || attempt === 3 || !String((error as Error).message).includes('EADDRINUSE')) throw error
    }
  }
}

async function startOnPort(role: 'api' | 'worker' | 'all', env: NodeJS.ProcessEnv, listenOn: number, timeoutMs: number): Promise<{ child: ChildProcess; port: number }> {
  const worker = spawn(process.execPath, ['cli.ts', 'start', '--role', role], {
    cwd: ROOT,
    env: { ...env, PORT: String(listenOn), PUBLIC_BASE_URL: `http://127.0.0.1:${listenOn}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000))
  worker.stdout?.on('data', keep)
  worker.stderr?.on('data', keep)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && worker.exitCode === null) {
    if (output.includes('is listening')) {
      try {
        if ((await fetch(`http://127.0.0.1:${listenOn}/readyz`)).status === 200) return { child: worker, port: listenOn }
      } catch {
        // not answering yet
      }
    }
    await sleep(100)
  }
  await killProcess(worker)
  throw new Error(`the ${role} process did not start (exit ${worker.exitCode ?? worker.signalCode}): ${output.slice(-2_000)}`)
}

/** SIGKILL: no shutdown code runs, as when a machine dies. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
}
