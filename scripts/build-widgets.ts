/**
 * npm run build:widgets — bundles the Lit widgets for browsers into widgets/dist: one module with
 * every element (answerline.js) and one per element (call-log.js, ...), minified, with source maps.
 * Prints the size of the full bundle minified and gzipped, and fails above the 50 KB budget.
 * Options: --quiet (print only the size line).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ROOT = new URL('../widgets/', import.meta.url).pathname
const OUT = join(ROOT, 'dist')
const BUDGET_BYTES = 50 * 1024
const quiet = process.argv.includes('--quiet')

// Each element folder with a define.ts becomes its own entry; index.ts defines them all.
const elements = readdirSync(ROOT).filter((name) => statSync(join(ROOT, name)).isDirectory() && readdirSync(join(ROOT, name)).includes('define.ts'))
await build({
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
  logLevel: quiet ? 'error' : 'warning',
})

// The full bundle is answerline.js plus the shared chunks it imports.
const files = [join(OUT, 'answerline.js'), ...readdirSync(join(OUT, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => join(OUT, 'chunks', f))]
const source = Buffer.concat(files.map((file) => readFileSync(file)))
const gzipped = gzipSync(source, { level: 9 }).length
process.stdout.write(`widgets: ${elements.length} elements; full bundle ${(source.length / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)\n`)
if (gzipped > BUDGET_BYTES) {
  process.stderr.write('widgets: the bundle is over its budget\n')
  process.exitCode = 1
}
