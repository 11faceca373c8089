import { z } from 'zod'

/** Every deployment variable Answerline reads; the README documents each one. */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  MIGRATE_ON_START: z.stringbool().default(true),
  SEED_DEMO: z.stringbool().optional(),
  GRAPHIQL: z.stringbool().optional(),
  DEMO_PHONE_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15005550006').default('+15005550006'),
})

export type Role = 'api' | 'worker' | 'all'

export interface Config {
  readonly env: 'development' | 'test' | 'production'
  readonly http: { readonly host: string; readonly port: number; readonly publicBaseUrl: string }
  readonly log: { readonly level: string }
  /** `url` null means: start the embedded PostgreSQL under `embedded.dataDir`. */
  readonly database: {
    readonly url: string | null
    readonly poolMax: number
    readonly migrateOnStart: boolean
    readonly embedded: { readonly dataDir: string; readonly port: number }
  }
  readonly graphql: { readonly graphiql: boolean }
  readonly demo: { readonly seedOnStart: boolean; readonly phoneNumber: string }
}

/** Thrown when the environment is invalid; `problems` names every bad variable at once. */
export class ConfigError extends Error {
  readonly problems: readonly string[]
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

/**
 * Reads and validates the environment once. Messages name the variable and the rule it broke,
 * never the value, because values may be secrets (DATABASE_URL carries a password).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as they do in most .env tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = envSchema.safeParse(present)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`)
    throw new ConfigError(problems)
  }
  const e = parsed.data
  const host = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST
  return deepFreeze({
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://${host}:${e.PORT}`).replace(/\/+$/, ''),
    },
    log: { level: e.LOG_LEVEL },
    database: {
      url: e.DATABASE_URL ?? null,
      poolMax: e.DATABASE_POOL_MAX,
      migrateOnStart: e.MIGRATE_ON_START,
      embedded: { dataDir: e.DATA_DIR, port: e.EMBEDDED_POSTGRES_PORT },
    },
    graphql: { graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production' },
    // The demo seed belongs to the zero-configuration start; a real database opts in explicitly.
    demo: { seedOnStart: e.SEED_DEMO ?? e.DATABASE_URL === undefined, phoneNumber: e.DEMO_PHONE_NUMBER },
  })
}

/** A config for tests: the defaults plus the given overrides, without touching process.env. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', ...overrides })
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child)
  }
  return Object.freeze(value)
}

/** The same config with the database resolved (the embedded server's URL is known only at start). */
export function withDatabaseUrl(config: Config, url: string): Config {
  return deepFreeze({ ...config, database: { ...config.database, url } })
}
