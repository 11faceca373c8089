import { auditServer } from 'graphql-http'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'

const compliance = suite<{ t: TestApp; url: string }>('graphql: GraphQL-over-HTTP compliance')

compliance.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  ctx.url = `${await ctx.t.app.listen({ host: '127.0.0.1', port: 0 })}/graphql`
})
compliance.after((ctx) => ctx.t.close())

compliance('passes every MUST audit of the graphql-http suite', async ({ url }) => {
  const results = await auditServer({ url })
  const describe = (r: (typeof results)[number]) => `${r.id} ${r.name}${'reason' in r ? `: ${r.reason}` : ''}`
  const failures = results.filter((r) => r.status === 'error').map(describe)
  const warnings = results.filter((r) => r.status === 'warn').map(describe)
  console.log(`graphql-http audits: ${results.length - failures.length - warnings.length} ok, ${warnings.length} warnings, ${failures.length} failures`)
  for (const warning of warnings) console.log(`  warn ${warning}`)
  assert.equal(failures, [])
})

compliance.run()
