import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { withAuthSecrets, type Config } from './config.ts'

interface DevSecrets {
  jwtKeys: Array<{ kid: string; secret: string }>
  pepper: string
}

/**
 * Outside production, secrets that are not configured are generated once and kept in
 * DATA_DIR/dev-secrets.json (mode 0600), so sign-ins survive a restart of the demo. Production
 * refuses to start without them (see loadConfig).
 */
export async function resolveDevSecrets(config: Config): Promise<Config> {
  if (config.auth.jwtKeys.length > 0 && config.auth.pepper) return config
  const file = resolve(config.database.embedded.dataDir, 'dev-secrets.json')
  let secrets: DevSecrets
  try {
    secrets = JSON.parse(await readFile(file, 'utf8')) as DevSecrets
  } catch {
    secrets = { jwtKeys: [{ kid: `dev-${randomBytes(4).toString('hex')}`, secret: randomBytes(32).toString('base64url') }], pepper: randomBytes(32).toString('base64url') }
    await mkdir(config.database.embedded.dataDir, { recursive: true })
    await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 })
  }
  return withAuthSecrets(config, {
    jwtKeys: config.auth.jwtKeys.length > 0 ? [...config.auth.jwtKeys] : secrets.jwtKeys,
    pepper: config.auth.pepper ?? secrets.pepper,
  })
}
