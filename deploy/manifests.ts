import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'

/** The deployment files as data, for checks that they agree with the code they run. */

export const ROOT = new URL('..', import.meta.url).pathname
export const KUBERNETES_DIR = join(ROOT, 'deploy', 'kubernetes')

export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number }
}

export interface Container {
  readonly name: string
  readonly command?: readonly string[]
  readonly args?: readonly string[]
  readonly env?: readonly { readonly name: string; readonly value?: string }[]
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string }; readonly secretRef?: { readonly name: string } }[]
  readonly readinessProbe?: Probe
  readonly livenessProbe?: Probe
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[]
  readonly resources?: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> }
}

export interface PodSpec {
  readonly containers: readonly Container[]
  readonly terminationGracePeriodSeconds?: number
}

export interface Manifest {
  readonly kind: string
  readonly metadata: { readonly name: string }
  readonly data?: Record<string, string>
  readonly stringData?: Record<string, string>
  readonly spec?: {
    readonly template?: { readonly metadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> }; readonly spec: PodSpec }
    readonly selector?: { readonly matchLabels?: Record<string, string> } & Record<string, string>
    readonly rules?: readonly { readonly http: { readonly paths: readonly { readonly path: string; readonly backend: { readonly service: { readonly name: string } } }[] } }[]
  }
}

export interface ComposeService {
  readonly image?: string
  readonly command?: readonly string[]
  readonly environment?: Record<string, string>
  readonly depends_on?: Record<string, { readonly condition: string }>
  readonly healthcheck?: { readonly test: readonly string[] }
  readonly stop_grace_period?: string
}

export interface ComposeFile {
  readonly services: Record<string, ComposeService>
  readonly configs?: Record<string, { readonly content?: string }>
}

/** The files kustomization.yaml lists, and every document in them. */
export function readKubernetesManifests(): { files: string[]; manifests: Manifest[] } {
  const kustomization = parse(readFileSync(join(KUBERNETES_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] }
  const manifests = kustomization.resources.flatMap((file) => parseManifests(readFileSync(join(KUBERNETES_DIR, file), 'utf8')))
  return { files: kustomization.resources, manifests }
}

/** Every document of a multi-document YAML stream; a syntax error anywhere throws. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length) throw new Error(document.errors.map((e) => e.message).join('\n'))
    return document.toJS() as Manifest
  })
}

export function readCompose(): ComposeFile {
  return parse(readFileSync(join(ROOT, 'deploy', 'compose.yaml'), 'utf8')) as ComposeFile
}

/** The one container running Answerline in a Deployment or Job. */
export function answerlineContainer(manifests: Manifest[], kind: string, name: string): Container {
  const workload = manifests.find((m) => m.kind === kind && m.metadata.name === name)
  const container = workload?.spec?.template?.spec.containers.find((c) => argvOf(c).includes('cli.ts'))
  if (!container) throw new Error(`no ${kind} ${name} running cli.ts`)
  return container
}

export function argvOf(container: Container): string[] {
  return [...(container.command ?? []), ...(container.args ?? [])]
}

/** The variables a container gets: its own `env` over those of the ConfigMaps and Secrets it loads. */
export function environmentOf(container: Container, manifests: Manifest[]): Record<string, string> {
  const variables: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret'
    const found = manifests.find((m) => m.kind === kind && m.metadata.name === ref?.name)
    if (!found) throw new Error(`${container.name} loads the missing ${kind} ${ref?.name}`)
    Object.assign(variables, found.data ?? {}, found.stringData ?? {})
  }
  for (const entry of container.env ?? []) variables[entry.name] = entry.value ?? ''
  return variables
}

/** The role after `--role` in an argv, or null. */
export function roleOf(argv: readonly string[]): string | null {
  const at = argv.indexOf('--role')
  return at === -1 ? null : (argv[at + 1] ?? null)
}
