import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'

/** The dependency rules of the layout: core imports no domain, and domains reach core through its index. */
const architecture = suite('architecture: imports point down, through public faces')

const ROOT = new URL('.', import.meta.url).pathname
const DOMAINS = ['core', 'graphql', 'voice', 'leads', 'connectors', 'billing', 'privacy', 'widgets']

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1] as string)
}

/** The top-level folder an import lands in, resolved from the importing file. */
function targetDomain(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null
  const resolved = relative(ROOT, join(ROOT, file, '..', specifier))
  return resolved.split('/')[0] ?? null
}

architecture('core imports nothing from the domains built on it', () => {
  const offenders = sourceFiles('core').flatMap((file) =>
    importsOf(file)
      .filter((s) => DOMAINS.filter((d) => d !== 'core').includes(targetDomain(file, s) ?? '') || s.startsWith('../app.ts') || s.includes('/app.ts'))
      .map((s) => `${file} -> ${s}`),
  )
  assert.equal(offenders, [])
})

architecture('outside core, production code reaches core only through core/index.ts', () => {
  const offenders: string[] = []
  for (const domain of DOMAINS.filter((d) => d !== 'core')) {
    let files: string[] = []
    try {
      files = sourceFiles(domain)
    } catch {
      continue
    }
    for (const file of files.filter((f) => !f.endsWith('.test.ts') && !f.includes('/testing/'))) {
      for (const specifier of importsOf(file)) {
        if (targetDomain(file, specifier) === 'core' && !specifier.endsWith('core/index.ts')) offenders.push(`${file} -> ${specifier}`)
      }
    }
  }
  assert.equal(offenders, [])
})

architecture('domains do not import each other\'s internals', () => {
  const offenders: string[] = []
  for (const domain of ['graphql', 'voice', 'leads', 'connectors']) {
    let files: string[] = []
    try {
      files = sourceFiles(domain)
    } catch {
      continue
    }
    for (const file of files.filter((f) => !f.endsWith('.test.ts') && !f.includes('/testing/'))) {
      for (const specifier of importsOf(file)) {
        const target = targetDomain(file, specifier)
        if (target && target !== domain && target !== 'core' && DOMAINS.includes(target) && !specifier.endsWith(`${target}/index.ts`)) offenders.push(`${file} -> ${specifier}`)
      }
    }
  }
  assert.equal(offenders, [])
})

architecture.run()
