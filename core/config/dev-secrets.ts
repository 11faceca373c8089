import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { withDevSecrets, type Config } from './config.ts'

interface DevSecrets {
  jwtKeys: Array<{ kid: string; secret: string }>
  pepper: string
  twilioAuthToken: string
  workerSecret: string
  connectorKey: { kid: string; key: string }
}

const randomSecret = () => randomBytes(32).toString('base64url')

/**
 * Outside production, secrets that are not configured are generated once and kept in
 * DATA_DIR/dev-secrets.json (mode 0600), so sign-ins survive a restart of the demo. Production
 * refuses to start without them (see loadConfig). A configured value always wins.
 */
export async function resolveDevSecrets(config: Config): Promise<Config> {
  const complete = config.auth.jwtKeys.length > 0 && config.auth.pepper && config.twilio.authToken && config.voice.workerSecret && config.connectors.keys.length > 0
  if (complete) return config
  const file = resolve(config.database.embedded.dataDir, 'dev-secrets.json')
  let stored: Partial<DevSecrets> = {}
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<DevSecrets>
  } catch {
    // first start: nothing stored yet
  }
  const secrets: DevSecrets = {
    jwtKeys: stored.jwtKeys ?? [{ kid: `dev-${randomBytes(4).toString('hex')}`, secret: randomSecret() }],
    pepper: stored.pepper ?? randomSecret(),
    twilioAuthToken: stored.twilioAuthToken ?? randomSecret(),
    workerSecret: stored.workerSecret ?? randomSecret(),
    connectorKey: stored.connectorKey ?? { kid: `dev-${randomBytes(4).toString('hex')}`, key: randomBytes(32).toString('base64') },
  }
  if (JSON.stringify(secrets) !== JSON.stringify(stored)) {
    await mkdir(config.database.embedded.dataDir, { recursive: true })
    await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 })
  }
  return withDevSecrets(config, {
    jwtKeys: config.auth.jwtKeys.length > 0 ? [...config.auth.jwtKeys] : secrets.jwtKeys,
    pepper: config.auth.pepper ?? secrets.pepper,
    twilioAuthToken: config.twilio.authToken ?? secrets.twilioAuthToken,
    workerSecret: config.voice.workerSecret ?? secrets.workerSecret,
    connectorKeys: config.connectors.keys.length > 0 ? [...config.connectors.keys] : [{ kid: secrets.connectorKey.kid, key: Buffer.from(secrets.connectorKey.key, 'base64') }],
  })
}
