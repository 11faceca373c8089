/**
 * npm run build:widgets — bundles the Lit widgets for browsers into widgets/dist: one module with
 * every element (answerline.js) and one per element (call-log.js, ...), minified, with source maps.
 * Prints the size of the full bundle minified and gzipped, and fails above the 50 KB budget.
 * Options: --quiet (print only the size line).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ROOT = new URL('../widgets/', import.meta.url).pathname
const OUT = join(ROOT, 'dist')
const BUDGET_BYTES = 50 * 1024
const quiet = process.argv.includes('--quiet')

// Each element folder with a define.ts becomes its own entry (core/define.ts is the shared
// registration helper, not an element); index.ts defines them all.
const elements = readdirSync(ROOT).filter((name) => name !== 'core' && statSync(join(ROOT, name)).isDirectory() && readdirSync(join(ROOT, name)).includes('define.ts'))
const result = await build({
  entryPoints: [{ in: join(ROOT, 'index.ts'), out: 'answerline' }, ...elements.map((name) => ({ in: join(ROOT, name, 'define.ts'), out: name }))],
  outdir: OUT,
  bundle: true,
  format: 'esm',
  splitting: true,
  minify: true,
  sourcemap: true,
  target: 'es2022',
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: quiet ? 'error' : 'warning',
})
// The test call's microphone encoder is an AudioWorklet module: it needs a URL of its own (CSP
// rules out blob: workers), and is built apart so that it imports no shared chunk. It loads only
// when a test call starts, so it is not part of the budget.
await build({
  entryPoints: [{ in: join(ROOT, 'agent-settings', 'mulaw-worklet.ts'), out: 'mulaw-worklet' }],
  outdir: OUT,
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  target: 'es2022',
  legalComments: 'none',
  logLevel: quiet ? 'error' : 'warning',
})

// The full bundle is answerline.js plus the chunks it imports, followed through this build's
// metafile: dist/chunks also keeps chunks of earlier builds (the directory is never emptied, so a
// running server keeps serving them), which must not count.
const outputs = result.metafile.outputs
const queue = Object.keys(outputs).filter((path) => resolve(path) === join(OUT, 'answerline.js'))
const files = new Set<string>()
for (let path = queue.shift(); path; path = queue.shift()) {
  if (files.has(path)) continue
  files.add(path)
  for (const imported of outputs[path]?.imports ?? []) if (imported.kind === 'import-statement') queue.push(imported.path)
}
if (files.size === 0) throw new Error('widgets: esbuild reported no answerline.js')
const source = Buffer.concat([...files].map((file) => readFileSync(resolve(file))))
const gzipped = gzipSync(source, { level: 9 }).length
process.stdout.write(`widgets: ${elements.length} elements; full bundle ${(source.length / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)\n`)
if (gzipped > BUDGET_BYTES) {
  process.stderr.write('widgets: the bundle is over its budget\n')
  process.exitCode = 1
}
