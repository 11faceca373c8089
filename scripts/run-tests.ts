/**
 * Runs every *.test.ts file (or those whose path contains one of the arguments), each in its own
 * Node process, two at a time. Without DATABASE_URL it starts an embedded PostgreSQL for the run;
 * each test file then creates and drops its own database on that server.
 * Ends with the line "N passed, N failed" and a non-zero exit code on any failure.
 */
import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { loadConfig, resolveDatabase } from '../core/index.ts'

const ROOT = new URL('..', import.meta.url).pathname
const SKIP_DIRS = new Set(['node_modules', '.data', '.git', '.test-output'])
// A test file that runs longer than this is stuck; it is killed and counted as failed.
const FILE_TIMEOUT_MS = 180_000

interface FileResult {
  file: string
  passed: number
  failed: number
  skipped: number
  output: string
  ms: number
}

async function findTestFiles(dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) found.push(...(await findTestFiles(join(dir, entry.name))))
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) found.push(join(dir, entry.name))
  }
  return found.sort()
}

function runFile(file: string, env: NodeJS.ProcessEnv): Promise<FileResult> {
  const started = Date.now()
  return new Promise((resolveResult) => {
    const child = spawn(process.execPath, [file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const timer = setTimeout(() => {
      output += `\n[run-tests] killed after ${FILE_TIMEOUT_MS / 1000}s\n`
      child.kill('SIGKILL')
    }, FILE_TIMEOUT_MS)
    child.on('close', (code) => {
      clearTimeout(timer)
      const plain = output.replace(/\x1b\[[0-9;]*m/g, '')
      const count = (label: string) => Number(plain.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'))?.[1] ?? 0)
      const total = count('Total')
      const passed = count('Passed')
      const skipped = count('Skipped')
      let failed = total - passed - skipped
      // A file that crashed, or exited non-zero with nothing failed, still counts as a failure.
      if (code !== 0 && failed === 0) failed = 1
      if (total === 0 && failed === 0) failed = 1
      resolveResult({ file: relative(ROOT, file), passed, failed, skipped, output, ms: Date.now() - started })
    })
  })
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2)
  const files = (await findTestFiles(ROOT)).filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  if (files.length === 0) throw new Error(`no test files match ${filters.join(', ')}`)

  const config = loadConfig({ ...process.env, NODE_ENV: 'test', DATA_DIR: join(ROOT, '.data', 'test') })
  const database = await resolveDatabase(config, (line) => process.stdout.write(`${line}\n`))
  process.stdout.write(`Running ${files.length} test files against ${database.embedded ? 'an embedded PostgreSQL' : 'DATABASE_URL'}\n`)
  const env = { ...process.env, NODE_ENV: 'test', DATABASE_URL: database.url }

  const results: FileResult[] = []
  const queue = [...files]
  const workers = Array.from({ length: Math.min(availableParallelism(), 2) }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const result = await runFile(file, env)
      results.push(result)
      const status = result.failed ? 'FAIL' : 'ok  '
      process.stdout.write(`\n${status} ${result.file} (${result.passed} passed, ${result.failed} failed, ${result.ms} ms)\n`)
      if (result.failed || process.env.TEST_VERBOSE) process.stdout.write(result.output)
    }
  })
  try {
    await Promise.all(workers)
  } finally {
    await database.embedded?.stop()
  }

  const passed = results.reduce((sum, r) => sum + r.passed, 0)
  const failed = results.reduce((sum, r) => sum + r.failed, 0)
  const skipped = results.reduce((sum, r) => sum + r.skipped, 0)
  for (const result of results.filter((r) => r.failed)) process.stdout.write(`failed: ${result.file}\n`)
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  process.exitCode = failed ? 1 : 0
}

await main()
