#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { ConfigError, createKnex, loadConfig, type Role } from './core/index.ts'
import { prepareDatabase, startServer, withDatabase } from './server.ts'

const USAGE = `Usage: answerline <command> [options]

Commands:
  start [--role api|worker|all]   Run Answerline (default role: all)
  migrate                         Apply pending database migrations
  seed-demo                       Create the demo agency, businesses, owner and number (idempotent)
  grant-operator <email>          Let a user see and retry background jobs (platform operators)

Configuration comes from environment variables; see README.md.`

const ROLES: readonly Role[] = ['api', 'worker', 'all']

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string', default: 'all' }, help: { type: 'boolean', short: 'h' } },
  })
  const [command] = positionals
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`)
    process.exitCode = command || values.help ? 0 : 2
    return
  }
  const config = loadConfig()
  switch (command) {
    case 'start': {
      const role = values.role as Role
      if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`)
      await startServer(config, role)
      return
    }
    case 'migrate':
      await withDatabase(config, (url) => prepareDatabase(config, url, { migrate: true, seed: false }))
      process.stdout.write('Database schema is up to date.\n')
      return
    case 'seed-demo':
      await withDatabase(config, (url) => prepareDatabase(config, url, { migrate: true, seed: true }))
      return
    case 'grant-operator': {
      const email = positionals[1]?.trim().toLowerCase()
      if (!email) throw new UsageError('grant-operator needs the email of an existing user')
      const updated = await withDatabase(config, async (url) => {
        const db = createKnex(url, 1)
        try {
          return await db('users').where({ email }).update({ platform_operator: true })
        } finally {
          await db.destroy()
        }
      })
      if (!updated) throw new UsageError(`No user has the email ${email}`)
      process.stdout.write(`${email} is now a platform operator.\n`)
      return
    }
    default:
      throw new UsageError(`Unknown command "${command}".`)
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${error instanceof UsageError ? `\n${USAGE}\n` : ''}`)
    process.exit(error instanceof UsageError ? 2 : 1)
  }
  process.stderr.write(`answerline: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
