import { randomBytes } from 'node:crypto'
import { z } from 'zod'

/** Every deployment variable Answerline reads; the README documents each one. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(300).default(5),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).optional(),
  DATABASE_REPLICA_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  MIGRATE_ON_START: z.stringbool().default(true),
  SEED_DEMO: z.stringbool().optional(),
  GRAPHIQL: z.stringbool().optional(),
  DEMO_PHONE_NUMBER: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15005550006').default('+15005550006'),
  TRUST_PROXY: z.stringbool().default(false),
  ALLOWED_ORIGINS: z.string().optional(),
  GRAPHQL_INTROSPECTION: z.stringbool().optional(),
  SOCKET_CREDENTIAL_CHECK_SECONDS: z.coerce.number().min(0.1).max(3600).default(60),
  AUTH_JWT_KEYS: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}=[^,\s]{32,}(,[A-Za-z0-9_-]{1,40}=[^,\s]{32,})*$/, 'must be kid=secret pairs separated by commas, each secret at least 32 characters')
    .optional(),
  AUTH_PEPPER: z.string().min(32, 'must be at least 32 characters').optional(),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  EMBED_TOKEN_TTL_MINUTES: z.coerce.number().int().min(1).max(60).default(10),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_JWKS_URL: z.url().default('https://www.googleapis.com/oauth2/v3/certs'),
  GOOGLE_ISSUERS: z.string().default('https://accounts.google.com,accounts.google.com'),
  RESEND_API_KEY: z.string().min(1).optional(),
  RESEND_BASE_URL: z.url().optional(),
  MAIL_FROM: z.string().min(3).default('Answerline <no-reply@answerline.local>'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-f]{32}$/, 'must be a Twilio account SID (AC followed by 32 hex digits)').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TWILIO_API_BASE_URL: z.url().default('https://api.twilio.com'),
  WORKER_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  CALL_RESERVATION_MINUTES: z.coerce.number().int().min(1).max(240).default(10),
  CALL_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(120),
  WORKER_DRAIN_SECONDS: z.coerce.number().min(0).max(3600).default(120),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_REALTIME_URL: z.url({ protocol: /^wss?$/ }).default('wss://api.openai.com/v1/realtime'),
  OPENAI_REALTIME_MODEL: z.string().min(1).default('gpt-realtime'),
  OPENAI_TRANSCRIBE_MODEL: z.string().min(1).default('gpt-4o-mini-transcribe'),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENAI_EXTRACTION_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  OPENAI_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  CONNECTOR_KEYS: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}=[A-Za-z0-9+/]{43}=(,[A-Za-z0-9_-]{1,40}=[A-Za-z0-9+/]{43}=)*$/, 'must be kid=key pairs separated by commas, each key 32 bytes in base64')
    .optional(),
  HUBSPOT_CLIENT_ID: z.string().min(1).optional(),
  HUBSPOT_CLIENT_SECRET: z.string().min(1).optional(),
  HUBSPOT_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.hubapi.com'),
  SALESFORCE_CLIENT_ID: z.string().min(1).optional(),
  SALESFORCE_CLIENT_SECRET: z.string().min(1).optional(),
  SALESFORCE_LOGIN_URL: z.url({ protocol: /^https?$/ }).default('https://login.salesforce.com'),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.stringbool().optional(),
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(32),
  JOBS_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  JOBS_EXPIRE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  JOBS_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
  API_INTERNAL_URL: z.url({ protocol: /^https?$/ }).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_CHANNEL_PREFIX: z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1 to 64 letters, digits or :._-').default('answerline:'),
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name').default('answerline'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: z.stringbool().optional(),
  EMBEDDED_S3_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'must be a Stripe secret or restricted key (sk_… or rk_…)').optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9_+/=]+$/, 'must be a webhook signing secret (whsec_…)').optional(),
  STRIPE_API_URL: z.url({ protocol: /^https?$/ }).default('https://api.stripe.com'),
  STRIPE_PLAN_PRICES: z
    .string()
    .regex(/^(starter|growth|pro|enterprise)=price_[A-Za-z0-9]+(,(starter|growth|pro|enterprise)=price_[A-Za-z0-9]+)*$/, 'must be plan=price_… pairs separated by commas (plans: starter, growth, pro, enterprise)')
    .optional(),
  STRIPE_TOPUP_PRICES: z.string().regex(/^[1-9]\d{0,5}=price_[A-Za-z0-9]+(,[1-9]\d{0,5}=price_[A-Za-z0-9]+)*$/, 'must be minutes=price_… pairs separated by commas').optional(),
  BILLING_GRACE_DAYS: z.coerce.number().int().min(0).max(60).default(7),
})

export type Role = 'api' | 'worker' | 'all'

export interface Config {
  readonly env: 'development' | 'test' | 'production'
  /** shutdownGraceSeconds: after SIGTERM, how long the instance reports draining but still serves, so load balancers notice. */
  readonly http: { readonly host: string; readonly port: number; readonly publicBaseUrl: string; readonly shutdownGraceSeconds: number }
  readonly log: { readonly level: string }
  /** Bearer token for GET /metrics; null means only direct loopback or private-network clients may read it. */
  readonly metrics: { readonly token: string | null }
  /** `url` null means: start the embedded PostgreSQL under `embedded.dataDir`. */
  readonly database: {
    readonly url: string | null
    /** Connections per process; null means the role's default (see poolSizeFor). */
    readonly poolMax: number | null
    /** A read replica for read-only GraphQL queries; null sends everything to the primary. */
    readonly replicaUrl: string | null
    readonly migrateOnStart: boolean
    readonly embedded: { readonly dataDir: string; readonly port: number }
  }
  readonly graphql: {
    readonly graphiql: boolean
    readonly introspection: boolean
    readonly allowedOrigins: readonly string[]
    /** How often an open WebSocket's credential is checked again (a revoked key or ended session closes it). */
    readonly socketCredentialCheckSeconds: number
  }
  readonly demo: { readonly seedOnStart: boolean; readonly phoneNumber: string }
  /** Client addresses come from X-Forwarded-For only behind a trusted proxy. */
  readonly trustProxy: boolean
  readonly auth: {
    /** Signing keys for access and embed tokens; the first signs, all verify (rotation). Empty until resolved in development. */
    readonly jwtKeys: readonly { readonly kid: string; readonly secret: string }[]
    /** Keyed hash secret for one-time codes; null until resolved in development. */
    readonly pepper: string | null
    readonly bcryptCost: number
    readonly accessTokenTtlSeconds: number
    readonly refreshTokenTtlDays: number
    readonly embedTokenTtlMinutes: number
    readonly google: { readonly clientId: string | null; readonly jwksUrl: string; readonly issuers: readonly string[] }
  }
  readonly mail: { readonly resendApiKey: string | null; readonly resendBaseUrl: string | null; readonly from: string }
  readonly twilio: {
    /** Null outside production when unset: numbers cannot be bought, but webhooks still verify. */
    readonly accountSid: string | null
    /** Signs Twilio's webhooks; generated into DATA_DIR outside production when unset. */
    readonly authToken: string | null
    readonly apiBaseUrl: string
  }
  readonly voice: {
    /** Shared bearer secret between the media worker and the api; generated outside production when unset. */
    readonly workerSecret: string | null
    readonly reservationMinutes: number
    readonly callTokenTtlSeconds: number
    /** Where the media worker reaches the api (it holds no database credentials of its own). */
    readonly apiInternalUrl: string
    /** On shutdown, how long a worker lets live calls go on before it ends them with a goodbye. */
    readonly drainSeconds: number
  }
  readonly openai: {
    readonly apiKey: string | null
    /** Where the SDK sends REST calls (chat completions); null means OpenAI itself. */
    readonly baseUrl: string | null
    readonly realtimeUrl: string
    readonly realtimeModel: string
    readonly transcribeModel: string
    readonly extractionModel: string
    readonly timeoutMs: number
    readonly maxRetries: number
  }
  readonly connectors: {
    /** AES-256-GCM keys sealing connector credentials; the first seals, all open (rotation). Empty until resolved in development. */
    readonly keys: readonly { readonly kid: string; readonly key: Buffer }[]
    readonly hubspot: { readonly clientId: string | null; readonly clientSecret: string | null; readonly baseUrl: string }
    readonly salesforce: { readonly clientId: string | null; readonly clientSecret: string | null; readonly loginUrl: string }
    /** Webhook targets on loopback or private networks are refused unless this is set (tests, the demo). */
    readonly allowPrivateTargets: boolean
    /** Deliveries one worker process makes at once. */
    readonly deliveryConcurrency: number
  }
  /** The PostgreSQL job queue (pg-boss) the worker role runs. */
  /** Where domain events and GraphQL subscriptions fan out across instances; `url` null means in-process only. */
  readonly redis: { readonly url: string | null; readonly channelPrefix: string }
  readonly jobs: {
    /** Jobs of one queue a worker runs at once. */
    readonly concurrency: number
    /** A job active this long is presumed lost with its worker, and retried. */
    readonly expireSeconds: number
    readonly pollSeconds: number
  }
  /** Stripe: plans and top-up packs are sold through it; null `secretKey` means billing is off (everyone keeps their plan). */
  readonly billing: {
    readonly stripe: { readonly secretKey: string | null; readonly webhookSecret: string | null; readonly apiUrl: string }
    /** Stripe price of each paid plan (the catalog lives in configuration; Enterprise may have none). */
    readonly planPrices: Readonly<Partial<Record<'starter' | 'growth' | 'pro' | 'enterprise', string>>>
    /** Top-up packs: minutes and the Stripe price that sells them. */
    readonly topupPacks: readonly { readonly minutes: number; readonly price: string }[]
    /** Days a failed payment leaves calls running before the account is suspended. */
    readonly graceDays: number
  }
  /** S3 or any S3-compatible store; `endpoint` null means the embedded one under DATA_DIR/s3 (or AWS when credentials are set). */
  readonly storage: {
    readonly endpoint: string | null
    readonly region: string
    readonly bucket: string
    readonly accessKeyId: string | null
    readonly secretAccessKey: string | null
    readonly forcePathStyle: boolean
    readonly embedded: { readonly dataDir: string; readonly port: number }
  }
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
  const problems: string[] = []
  if (e.NODE_ENV === 'production') {
    // Development generates these into DATA_DIR; production must bring its own.
    if (!e.AUTH_JWT_KEYS) problems.push('AUTH_JWT_KEYS: required in production')
    if (!e.AUTH_PEPPER) problems.push('AUTH_PEPPER: required in production')
    // Without it, emails (with their codes) would go to the dev outbox on stdout.
    if (!e.RESEND_API_KEY) problems.push('RESEND_API_KEY: required in production')
    if (!e.TWILIO_AUTH_TOKEN) problems.push('TWILIO_AUTH_TOKEN: required in production')
    if (!e.TWILIO_ACCOUNT_SID) problems.push('TWILIO_ACCOUNT_SID: required in production')
    if (!e.WORKER_SECRET) problems.push('WORKER_SECRET: required in production')
    if (!e.CONNECTOR_KEYS) problems.push('CONNECTOR_KEYS: required in production')
  }
  // Events that cannot be verified must never be applied, so a key without its webhook secret is refused.
  if (e.STRIPE_SECRET_KEY && !e.STRIPE_WEBHOOK_SECRET) problems.push('STRIPE_WEBHOOK_SECRET: required when STRIPE_SECRET_KEY is set')
  if (e.NODE_ENV !== 'test' && e.BCRYPT_COST < 12) problems.push('BCRYPT_COST: must be at least 12 outside tests')
  if (problems.length) throw new ConfigError(problems)
  const host = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST
  return deepFreeze({
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://${host}:${e.PORT}`).replace(/\/+$/, ''),
      shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
    },
    log: { level: e.LOG_LEVEL },
    metrics: { token: e.METRICS_TOKEN ?? null },
    database: {
      url: e.DATABASE_URL ?? null,
      poolMax: e.DATABASE_POOL_MAX ?? null,
      replicaUrl: e.DATABASE_REPLICA_URL ?? null,
      migrateOnStart: e.MIGRATE_ON_START,
      embedded: { dataDir: e.DATA_DIR, port: e.EMBEDDED_POSTGRES_PORT },
    },
    graphql: {
      graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production',
      introspection: e.GRAPHQL_INTROSPECTION ?? e.NODE_ENV !== 'production',
      allowedOrigins: listOf(e.ALLOWED_ORIGINS ?? new URL(e.PUBLIC_BASE_URL ?? `http://${host}:${e.PORT}`).origin),
      socketCredentialCheckSeconds: e.SOCKET_CREDENTIAL_CHECK_SECONDS,
    },
    // The demo seed belongs to the zero-configuration start; a real database opts in explicitly.
    demo: { seedOnStart: e.SEED_DEMO ?? e.DATABASE_URL === undefined, phoneNumber: e.DEMO_PHONE_NUMBER },
    trustProxy: e.TRUST_PROXY,
    auth: {
      jwtKeys: listOf(e.AUTH_JWT_KEYS).map(parseJwtKey),
      pepper: e.AUTH_PEPPER ?? null,
      bcryptCost: e.BCRYPT_COST,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
      embedTokenTtlMinutes: e.EMBED_TOKEN_TTL_MINUTES,
      google: { clientId: e.GOOGLE_CLIENT_ID ?? null, jwksUrl: e.GOOGLE_JWKS_URL, issuers: listOf(e.GOOGLE_ISSUERS) },
    },
    mail: { resendApiKey: e.RESEND_API_KEY ?? null, resendBaseUrl: e.RESEND_BASE_URL ?? null, from: e.MAIL_FROM },
    twilio: { accountSid: e.TWILIO_ACCOUNT_SID ?? null, authToken: e.TWILIO_AUTH_TOKEN ?? null, apiBaseUrl: e.TWILIO_API_BASE_URL.replace(/\/+$/, '') },
    voice: {
      workerSecret: e.WORKER_SECRET ?? null,
      reservationMinutes: e.CALL_RESERVATION_MINUTES,
      callTokenTtlSeconds: e.CALL_TOKEN_TTL_SECONDS,
      drainSeconds: e.WORKER_DRAIN_SECONDS,
      apiInternalUrl: (e.API_INTERNAL_URL ?? `http://${host}:${e.PORT}`).replace(/\/+$/, ''),
    },
    openai: {
      apiKey: e.OPENAI_API_KEY ?? null,
      baseUrl: e.OPENAI_BASE_URL?.replace(/\/+$/, '') ?? null,
      realtimeUrl: e.OPENAI_REALTIME_URL,
      realtimeModel: e.OPENAI_REALTIME_MODEL,
      transcribeModel: e.OPENAI_TRANSCRIBE_MODEL,
      extractionModel: e.OPENAI_EXTRACTION_MODEL,
      timeoutMs: e.OPENAI_TIMEOUT_MS,
      maxRetries: e.OPENAI_MAX_RETRIES,
    },
    connectors: {
      keys: listOf(e.CONNECTOR_KEYS).map((pair) => {
        const { kid, secret } = parseJwtKey(pair)
        return { kid, key: Buffer.from(secret, 'base64') }
      }),
      hubspot: { clientId: e.HUBSPOT_CLIENT_ID ?? null, clientSecret: e.HUBSPOT_CLIENT_SECRET ?? null, baseUrl: e.HUBSPOT_BASE_URL.replace(/\/+$/, '') },
      salesforce: { clientId: e.SALESFORCE_CLIENT_ID ?? null, clientSecret: e.SALESFORCE_CLIENT_SECRET ?? null, loginUrl: e.SALESFORCE_LOGIN_URL.replace(/\/+$/, '') },
      // The demo's webhook receiver runs on this machine, so outside production private targets are allowed.
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS ?? e.NODE_ENV !== 'production',
      deliveryConcurrency: e.DELIVERY_CONCURRENCY,
    },
    billing: {
      stripe: { secretKey: e.STRIPE_SECRET_KEY ?? null, webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? null, apiUrl: e.STRIPE_API_URL.replace(/\/+$/, '') },
      planPrices: Object.fromEntries(listOf(e.STRIPE_PLAN_PRICES).map((pair) => pair.split('=') as [string, string])),
      topupPacks: listOf(e.STRIPE_TOPUP_PRICES).map((pair) => {
        const [minutes, price] = pair.split('=') as [string, string]
        return { minutes: Number(minutes), price }
      }),
      graceDays: e.BILLING_GRACE_DAYS,
    },
    redis: { url: e.REDIS_URL ?? null, channelPrefix: e.REDIS_CHANNEL_PREFIX },
    jobs: { concurrency: e.JOBS_CONCURRENCY, expireSeconds: e.JOBS_EXPIRE_SECONDS, pollSeconds: e.JOBS_POLL_SECONDS },
    storage: {
      endpoint: e.S3_ENDPOINT ?? null,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      accessKeyId: e.S3_ACCESS_KEY_ID ?? null,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY ?? null,
      forcePathStyle: e.S3_FORCE_PATH_STYLE ?? e.S3_ENDPOINT !== undefined,
      embedded: { dataDir: `${e.DATA_DIR}/s3`, port: e.EMBEDDED_S3_PORT },
    },
  })
}

function listOf(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean)
}

function parseJwtKey(pair: string): { kid: string; secret: string } {
  const at = pair.indexOf('=')
  return { kid: pair.slice(0, at), secret: pair.slice(at + 1) }
}

/** A config for tests: the defaults plus the given overrides, without touching process.env. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const secret = () => randomBytes(32).toString('base64url')
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    BCRYPT_COST: '4',
    AUTH_JWT_KEYS: `test=${secret()}`,
    AUTH_PEPPER: secret(),
    TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: secret(),
    WORKER_SECRET: secret(),
    CONNECTOR_KEYS: `test=${randomBytes(32).toString('base64')}`,
    ...overrides,
  })
}

/** The same config with the object store resolved (the embedded store's address is known only at start). */
export function withStorage(config: Config, storage: { endpoint: string; accessKeyId: string; secretAccessKey: string }): Config {
  return deepFreeze({ ...config, storage: { ...config.storage, ...storage, forcePathStyle: true } })
}

/** The same config with development secrets filled in (see dev-secrets.ts). */
export function withDevSecrets(
  config: Config,
  secrets: { jwtKeys: Array<{ kid: string; secret: string }>; pepper: string; twilioAuthToken: string; workerSecret: string; connectorKeys: Array<{ kid: string; key: Buffer }> },
): Config {
  return deepFreeze({
    ...config,
    auth: { ...config.auth, jwtKeys: secrets.jwtKeys, pepper: secrets.pepper },
    twilio: { ...config.twilio, authToken: secrets.twilioAuthToken },
    voice: { ...config.voice, workerSecret: secrets.workerSecret },
    connectors: { ...config.connectors, keys: secrets.connectorKeys },
  })
}

function deepFreeze<T extends object>(value: T): T {
  // Key material stays a Buffer; typed arrays cannot be frozen.
  if (ArrayBuffer.isView(value)) return value
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child)
  }
  return Object.freeze(value)
}

/** The same config with the database resolved (the embedded server's URL is known only at start). */
export function withDatabaseUrl(config: Config, url: string): Config {
  return deepFreeze({ ...config, database: { ...config.database, url } })
}
