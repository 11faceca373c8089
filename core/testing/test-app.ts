import type { FastifyInstance } from 'fastify'
import { createApp } from '../app-factory.ts'
import { testConfig, type Config } from '../config/config.ts'
import { openTestDb, type TestDb } from './test-db.ts'

export interface TestApp {
  readonly app: FastifyInstance
  readonly test: TestDb
  /** Closes the app, then drops its database. */
  close(): Promise<void>
}

/**
 * An app on a fresh, migrated database of its own. `build` is the factory under test: core's
 * `createApp`, or the root `buildApp` for the whole product.
 */
export async function openTestApp(
  build: (config: Config) => Promise<FastifyInstance> = createApp,
  env: Record<string, string> = {},
): Promise<TestApp> {
  const test = await openTestDb()
  const app = await build(testConfig({ DATABASE_URL: test.url, ...env }))
  return {
    app,
    test,
    async close() {
      await app.close()
      await test.destroy()
    },
  }
}
