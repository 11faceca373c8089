import type { Config } from '../config/config.ts'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts'

// How much of the embedded server's own log to show when it fails to start.
const STARTUP_LOG_LINES = 40

export interface ResolvedDatabase {
  url: string
  /** Set when this process started the embedded server and must stop it. */
  embedded: EmbeddedPostgres | null
}

/** Uses DATABASE_URL when configured, else starts (or restarts) the embedded PostgreSQL. */
export async function resolveDatabase(config: Config, log: (line: string) => void = () => {}): Promise<ResolvedDatabase> {
  if (config.database.url) return { url: config.database.url, embedded: null }
  const recent: string[] = []
  try {
    const embedded = await startEmbeddedPostgres({
      ...config.database.embedded,
      notice: log,
      log: (line) => {
        recent.push(line)
        if (recent.length > STARTUP_LOG_LINES) recent.shift()
      },
    })
    return { url: embedded.url, embedded }
  } catch (error) {
    for (const line of recent) log(`[postgres] ${line}`)
    throw error
  }
}
