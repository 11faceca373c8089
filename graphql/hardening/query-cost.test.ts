import { parse } from 'graphql'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApiSchema } from '../schema.ts'
import { estimateQueryCost } from './query-cost.ts'

const cost = suite('graphql: query cost estimate')
const schema = buildApiSchema()
const estimate = (query: string, variables?: Record<string, unknown>) => estimateQueryCost(schema, parse(query), variables)

cost('a scalar field costs one point', () => {
  assert.is(estimate('{ serviceStatus { state version } }'), 3)
})

cost('a connection multiplies what is under it by its page size, counting edges and nodes once', () => {
  assert.is(estimate('{ plans(first: 5) { totalCount nodes { key name } } }'), 1 + 5 * (1 + 1 + 2))
  assert.is(estimate('{ plans { nodes { key } } }'), 1 + 20 * (1 + 1))
  assert.is(estimate('query($n: Int) { plans(first: $n) { nodes { key } } }', { n: 2 }), 1 + 2 * 2)
})

cost('nested connections multiply', () => {
  const nested = estimate('{ organizations(first: 10) { nodes { businesses(first: 10) { nodes { name } } } } }')
  assert.is(nested, 1 + 10 * (1 + 1 + 10 * (1 + 1)))
})

cost('fragments count, and the dearest operation of a document sets its cost', () => {
  assert.is(estimate('{ ...F } fragment F on Query { plans(first: 1) { totalCount } }'), 1 + 1)
  assert.is(estimate('query Cheap { serviceStatus { state } } query Dear { plans(first: 100) { nodes { key name } } }'), 1 + 100 * 3)
})

cost('nodes(ids:) is priced by the number of ids', () => {
  assert.is(estimate('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['a', 'b', 'c'] }), 1 + 3)
})

cost.run()
