import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { getNamedType, getNullableType, isCompositeType, isInputObjectType, isListType, isNonNullType, isObjectType } from 'graphql'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { buildApiSchema } from './schema.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'

const schema = suite<{ t: TestApp; app: FastifyInstance }>('graphql: published schema')

schema.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  ctx.app = ctx.t.app
})
schema.after((ctx) => ctx.t.close())

schema('the committed SDL is exactly the running schema (run `npm run schema:write` after API changes)', async ({ app }) => {
  const response = await app.inject({ url: '/graphql/schema.graphql' })
  assert.is(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^text\/plain/)
  const committed = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')
  assert.fixture(response.body, committed)
})

schema('every list of objects is a cursor connection', () => {
  const offenders: string[] = []
  for (const type of Object.values(buildApiSchema().getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || /(Connection|Edge)$/.test(type.name)) continue
    for (const field of Object.values(type.getFields())) {
      const listsObjects = isListType(getNullableType(field.type)) && isCompositeType(getNamedType(field.type))
      // Exceptions by convention: nodes(ids:) fetches explicit ids; userErrors belong to one payload.
      const exempt = `${type.name}.${field.name}` === 'Query.nodes' || field.name === 'userErrors'
      if (listsObjects && !exempt) offenders.push(`${type.name}.${field.name}`)
    }
  }
  assert.equal(offenders, [])
})

schema('every mutation takes one input object and answers a payload whose only required field is userErrors', () => {
  const problems: string[] = []
  const mutations = buildApiSchema().getMutationType()
  for (const field of Object.values(mutations?.getFields() ?? {})) {
    if (field.args.length !== 1 || field.args[0]?.name !== 'input' || !isInputObjectType(getNamedType(field.args[0].type))) problems.push(`${field.name}: arguments`)
    const payload = getNamedType(field.type)
    if (!isObjectType(payload) || !payload.name.endsWith('Payload')) {
      problems.push(`${field.name}: returns ${payload.name}`)
      continue
    }
    for (const [name, payloadField] of Object.entries(payload.getFields())) {
      // A refused input leaves every other field empty, so only userErrors may be non-null.
      if (name === 'userErrors' ? String(payloadField.type) !== '[UserError!]!' : isNonNullType(payloadField.type)) problems.push(`${payload.name}.${name}`)
    }
  }
  assert.equal(problems, [])
})

schema.run()
