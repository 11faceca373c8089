import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, matchesGlob } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, envSchema, loadConfig } from '../core/config/config.ts'
import { pendingMigrations } from '../core/db/migrations.ts'
import { freePort } from '../core/testing/free-port.ts'
import { openTestDb } from '../core/testing/test-db.ts'
import { processEnvironment } from '../core/testing/worker-process.ts'
import { VOICE_PATHS } from '../voice/twiml.ts'
import { answerlineContainer, argvOf, type ComposeService, type Container, environmentOf, KUBERNETES_DIR, parseManifests, readCompose, readKubernetesManifests, roleOf, ROOT } from './manifests.ts'

/**
 * The deployment files (Dockerfile, compose, Kubernetes) against the code they run: every variable
 * they set is one the configuration reads, their commands and probes are real, and the commands
 * the manifests give start a working api and worker. Neither Docker nor a cluster runs here.
 */
const deployment = suite('deployment: image, compose and Kubernetes manifests')

// Generous: api and worker boot side by side on a shared two-core machine.
const READY_WITHIN_MS = 60_000
const EXIT_WITHIN_MS = 40_000
const KNOWN_VARIABLES = new Set(Object.keys(envSchema.shape))
const { files: KUBERNETES_FILES, manifests: MANIFESTS } = readKubernetesManifests()
const COMPOSE = readCompose()
const API = answerlineContainer(MANIFESTS, 'Deployment', 'answerline-api')
const WORKER = answerlineContainer(MANIFESTS, 'Deployment', 'answerline-worker')
const MIGRATE = answerlineContainer(MANIFESTS, 'Job', 'answerline-migrate')

function composeService(name: string): ComposeService {
  const service = COMPOSE.services[name]
  if (!service) throw new Error(`compose.yaml has no service ${name}`)
  return service
}

/** What the configuration itself refuses to start in production without, read from its own error. */
function requiredInProduction(): string[] {
  try {
    loadConfig({ NODE_ENV: 'production' })
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.filter((p) => p.endsWith('required in production')).map((p) => p.split(':')[0] as string)
    throw error
  }
  throw new Error('production started without any secret')
}

/** The Dockerfile's instructions, continuation lines joined. */
function dockerInstructions(): { keyword: string; rest: string }[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ')
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ keyword: line.split(/\s+/)[0]!.toUpperCase(), rest: line.slice(line.indexOf(' ') + 1).trim() }))
}

deployment('every variable compose and Kubernetes give Answerline is one its configuration reads', () => {
  const unknown: string[] = []
  for (const container of [API, WORKER, MIGRATE]) {
    for (const name of Object.keys(environmentOf(container, MANIFESTS))) if (!KNOWN_VARIABLES.has(name)) unknown.push(`kubernetes ${container.name}: ${name}`)
  }
  for (const name of ['migrate', 'api', 'worker']) {
    for (const variable of Object.keys(composeService(name).environment ?? {})) if (!KNOWN_VARIABLES.has(variable)) unknown.push(`compose ${name}: ${variable}`)
  }
  assert.equal(unknown, [])
})

deployment('production secrets are provided in Kubernetes and required (no default) in compose', () => {
  const required = requiredInProduction()
  assert.ok(required.includes('AUTH_JWT_KEYS') && required.includes('WORKER_SECRET'), required.join(', '))
  for (const container of [API, WORKER, MIGRATE]) {
    const environment = environmentOf(container, MANIFESTS)
    assert.is(environment.NODE_ENV, 'production')
    assert.equal(required.filter((name) => !(name in environment)), [], `kubernetes ${container.name}`)
  }
  for (const name of ['migrate', 'api', 'worker']) {
    const environment = composeService(name).environment ?? {}
    assert.is(environment.NODE_ENV, 'production')
    assert.equal(required.filter((variable) => !environment[variable]?.startsWith(`\${${variable}:?`)), [], `compose ${name}`)
  }
})

deployment('api and worker run roles the command line accepts, after a one-shot migration', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'answerline-roles-'))
  try {
    const refused = spawnSync(process.execPath, ['cli.ts', 'start', '--role', 'no-such-role'], { cwd: ROOT, env: { PATH: process.env.PATH, DATA_DIR: dataDir }, encoding: 'utf8', timeout: 30_000 })
    assert.is(refused.status, 2, refused.stderr)
    const accepted = refused.stderr.match(/--role must be one of ([\w, ]+)/)?.[1]?.split(', ') ?? []
    assert.ok(accepted.includes('api') && accepted.includes('worker'), refused.stderr)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
  assert.is(roleOf(argvOf(API)), 'api')
  assert.is(roleOf(argvOf(WORKER)), 'worker')
  assert.equal(composeService('api').command, argvOf(API))
  assert.equal(composeService('worker').command, argvOf(WORKER))
  assert.equal(argvOf(MIGRATE), ['node', 'cli.ts', 'migrate'])
  assert.equal(composeService('migrate').command, argvOf(MIGRATE))
  for (const name of ['api', 'worker']) {
    assert.is(composeService(name).depends_on?.migrate?.condition, 'service_completed_successfully')
    assert.is(composeService(name).environment?.MIGRATE_ON_START, 'false')
  }
  for (const container of [API, WORKER]) assert.is(environmentOf(container, MANIFESTS).MIGRATE_ON_START, 'false')
  // Compose has no readiness of its own: its healthcheck asks the same route the Kubernetes probe does.
  for (const name of ['api', 'worker']) assert.match(composeService(name).healthcheck?.test.join(' ') ?? '', `127.0.0.1:3000${API.readinessProbe?.httpGet?.path}`)
})

/** How long a worker with these settings takes to stop at most before its own last 30 seconds: the grace, then the drain. */
function drainingSeconds(environment: Record<string, string | undefined>): number {
  assert.ok(environment.WORKER_DRAIN_SECONDS, 'the worker sets WORKER_DRAIN_SECONDS explicitly')
  const config = loadConfig({ NODE_ENV: 'test', WORKER_DRAIN_SECONDS: environment.WORKER_DRAIN_SECONDS, SHUTDOWN_GRACE_SECONDS: environment.SHUTDOWN_GRACE_SECONDS })
  return config.http.shutdownGraceSeconds + config.voice.drainSeconds
}

deployment('workers are given longer to stop than their grace and drain time, and every pod has budgets', () => {
  const worker = MANIFESTS.find((m) => m.kind === 'Deployment' && m.metadata.name === 'answerline-worker')
  assert.ok((worker?.spec?.template?.spec.terminationGracePeriodSeconds ?? 30) > drainingSeconds(environmentOf(WORKER, MANIFESTS)))
  const composeGrace = Number.parseInt(composeService('worker').stop_grace_period ?? '10s', 10)
  assert.ok(composeGrace > drainingSeconds(composeService('worker').environment ?? {}), 'compose stop_grace_period exceeds grace and drain')
  for (const container of [API, WORKER, MIGRATE]) {
    assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory && container.resources.limits?.memory, `${container.name} resources`)
  }
  for (const name of ['answerline-api', 'answerline-worker']) {
    const deployment = MANIFESTS.find((m) => m.kind === 'Deployment' && m.metadata.name === name)
    const labels = deployment?.spec?.template?.metadata?.labels ?? {}
    const selects = (selector: Record<string, string> = {}) => Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)
    assert.ok(MANIFESTS.some((m) => m.kind === 'PodDisruptionBudget' && selects(m.spec?.selector?.matchLabels)), `${name} has a PodDisruptionBudget`)
    const service = MANIFESTS.find((m) => m.kind === 'Service' && m.metadata.name === name)
    assert.ok(selects(service?.spec?.selector as Record<string, string> | undefined), `Service ${name} selects its pods`)
  }
})

deployment('Twilio media streams reach workers, everything else the api, in Kubernetes and compose', () => {
  const ingress = MANIFESTS.find((m) => m.kind === 'Ingress')
  const routes = new Map(ingress?.spec?.rules?.flatMap((rule) => rule.http.paths.map((p) => [p.path, p.backend.service.name] as const)))
  assert.is(routes.get(VOICE_PATHS.stream), 'answerline-worker')
  assert.is(routes.get(VOICE_PATHS.testCall), 'answerline-worker')
  assert.is(routes.get('/'), 'answerline-api')
  const caddyfile = COMPOSE.configs?.caddyfile?.content ?? ''
  assert.match(caddyfile, `@media path ${VOICE_PATHS.stream} ${VOICE_PATHS.testCall}`)
  assert.match(caddyfile, /handle @media \{\s*reverse_proxy worker:3000/)
})

deployment('kubectl kustomize renders the manifests into the namespace', () => {
  const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' })
  if (kubectl.status !== 0) {
    console.log('    skipped kubectl kustomize: kubectl is not installed on this machine (the YAML is still parsed above)')
    return
  }
  const rendered = spawnSync('kubectl', ['kustomize', KUBERNETES_DIR], { encoding: 'utf8', timeout: 60_000 })
  assert.is(rendered.status, 0, rendered.stderr)
  const documents = parseManifests(rendered.stdout)
  assert.is(documents.length, MANIFESTS.length)
  const names = documents.map((d) => `${d.kind}/${d.metadata.name}`)
  for (const expected of ['Deployment/answerline-api', 'Deployment/answerline-worker', 'Job/answerline-migrate', 'Ingress/answerline']) assert.ok(names.includes(expected), expected)
  assert.ok(documents.every((d) => d.kind === 'Namespace' || (d.metadata as { namespace?: string }).namespace === 'answerline'))
  const listed = readdirSync(KUBERNETES_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  assert.equal(listed.sort(), [...KUBERNETES_FILES].sort(), 'every manifest in the folder is in the kustomization')
})

deployment('the Dockerfile builds the widgets, runs cli.ts on Node 24 as a non-root user, on the configured port', () => {
  const instructions = dockerInstructions()
  const of = (keyword: string) => instructions.filter((i) => i.keyword === keyword).map((i) => i.rest)
  assert.ok(of('FROM').length >= 2 && of('FROM').every((from) => /^node:24[\w.-]*(\s|$)/.test(from)), of('FROM').join(' | '))
  const runs = of('RUN').join('\n')
  assert.match(runs, /npm ci\b/)
  assert.match(runs, /npm prune --omit=dev/)
  assert.match(runs, /node scripts\/build-widgets\.ts/)
  const cmd = JSON.parse(of('CMD')[0] ?? '[]') as string[]
  assert.equal(cmd.slice(0, 2), ['node', 'cli.ts'])
  assert.equal(of('ENTRYPOINT'), [], 'manifests give the whole command, so no ENTRYPOINT is prepended to it')
  const referenced = [...`${runs}\n${cmd.join(' ')}`.matchAll(/[\w./-]+\.ts\b/g)].map((m) => m[0])
  assert.ok(referenced.includes('cli.ts') && referenced.includes('scripts/build-widgets.ts'))
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
  for (const file of referenced) {
    assert.ok(existsSync(join(ROOT, file)), `${file} exists`)
    assert.equal(ignored.filter((pattern) => file === pattern || file.startsWith(`${pattern}/`) || matchesGlob(file, pattern)), [], `${file} reaches the image`)
  }
  const user = of('USER').at(-1)
  assert.ok(user && user !== 'root' && user !== '0', 'runs as a non-root user')
  assert.match(of('HEALTHCHECK')[0] ?? '', API.livenessProbe?.httpGet?.path ?? '(no liveness probe)')
  const port = Number(of('ENV').join(' ').match(/\bPORT=(\d+)/)?.[1])
  assert.is(Number(of('EXPOSE')[0]), port)
  assert.is(Number(environmentOf(API, MANIFESTS).PORT), port)
  for (const container of [API, WORKER]) assert.is(container.ports?.[0]?.containerPort, port)
  assert.ok(!/(SECRET|KEY|TOKEN|PASSWORD|PEPPER)\w*=/.test(of('ENV').join(' ')), 'no secret is baked into the image')
})

interface Running {
  child: ChildProcess
  port: number
  output: () => string
  exited: Promise<number | null>
}

/** Runs a manifest's argv here: the image's `node` becomes the Node 24 this test runs on. */
function localArgv(argv: readonly string[]): [string, string[]] {
  assert.is(argv[0], 'node')
  return [process.execPath, argv.slice(1)]
}

function launch(container: Container, env: NodeJS.ProcessEnv, port: number): Running {
  const [command, args] = localArgv(argvOf(container))
  const explicit = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']))
  const child = spawn(command, args, { cwd: ROOT, env: { ...env, ...explicit, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, port, output: () => output, exited }
}

/** Waits for the "listening" line (another process might hold the port), then for the probe to answer 200. */
async function waitForProbe(running: Running, path: string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS
  while (Date.now() < deadline && running.child.exitCode === null) {
    if (running.output().includes('is listening')) {
      const status = await fetch(`http://127.0.0.1:${running.port}${path}`).then((r) => r.status, () => 0)
      if (status === 200) return
    }
    await sleep(200)
  }
  throw new Error(`${path} did not answer 200 within ${READY_WITHIN_MS} ms:\n${running.output().slice(-3_000)}`)
}

deployment('the manifests\' commands migrate a database, start api and worker ready on their probes, and exit cleanly on SIGTERM', async () => {
  const test = await openTestDb({ migrate: false })
  const dataDir = mkdtempSync(join(tmpdir(), 'answerline-deploy-'))
  const started: Running[] = []
  try {
    const env = processEnvironment(test.url, dataDir, {})
    assert.ok((await pendingMigrations(test.db)).length > 0)
    const [command, args] = localArgv(argvOf(MIGRATE))
    const migrated = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 })
    assert.is(migrated.status, 0, migrated.stderr)
    assert.equal(await pendingMigrations(test.db), [])

    const apiPort = await freePort()
    const api = launch(API, env, apiPort)
    started.push(api)
    // Workers reach the api through the internal URL the ConfigMap sets to the api's Service.
    const worker = launch(WORKER, { ...env, API_INTERNAL_URL: `http://127.0.0.1:${apiPort}` }, await freePort())
    started.push(worker)
    for (const [running, container, name] of [[api, API, 'answerline-api'], [worker, WORKER, 'answerline-worker']] as const) {
      await waitForProbe(running, container.readinessProbe?.httpGet?.path ?? '(no readiness probe)')
      await waitForProbe(running, container.livenessProbe?.httpGet?.path ?? '(no liveness probe)')
      // Prometheus scrapes the pod's own address (a private one), as this loopback request does.
      const annotations = MANIFESTS.find((m) => m.kind === 'Deployment' && m.metadata.name === name)?.spec?.template?.metadata?.annotations ?? {}
      assert.is(annotations['prometheus.io/port'], String(container.ports?.[0]?.containerPort))
      const scraped = await fetch(`http://127.0.0.1:${running.port}${annotations['prometheus.io/path']}`)
      assert.is(scraped.status, 200)
      assert.match(await scraped.text(), /^# HELP /m)
    }
    for (const running of started) running.child.kill('SIGTERM')
    for (const running of started) {
      const code = await Promise.race([running.exited, sleep(EXIT_WITHIN_MS, 'timeout' as const, { ref: false })])
      assert.is(code, 0, running.output().slice(-3_000))
    }
  } finally {
    for (const running of started) if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL')
    await Promise.all(started.map((running) => running.exited))
    rmSync(dataDir, { recursive: true, force: true })
    await test.destroy()
  }
})

deployment.run()
