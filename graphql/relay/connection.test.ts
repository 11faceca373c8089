import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from '../../core/testing/rejects.ts'
import { openTestDb, type TestDb } from '../../core/testing/test-db.ts'
import { connectionFromArray, paginateQuery, type ConnectionArgs } from './connection.ts'

const keyset = suite<{ test: TestDb; organizationId: string; names: string[] }>('relay: keyset pagination on PostgreSQL')

const BUSINESSES = 23

keyset.before(async (ctx) => {
  ctx.test = await openTestDb()
  const [org] = await ctx.test.db('organizations').insert({ kind: 'agency', name: 'Paging Agency' }).returning('id')
  const [other] = await ctx.test.db('organizations').insert({ kind: 'direct', name: 'Someone Else' }).returning('id')
  ctx.organizationId = org.id
  // Several rows share a timestamp, so the id tie-breaker is exercised.
  const base = Date.parse('2026-01-01T00:00:00Z')
  const rows = Array.from({ length: BUSINESSES }, (_, i) => ({ organization_id: org.id, name: `Business ${String(i).padStart(2, '0')}`, created_at: new Date(base + Math.floor(i / 3) * 60_000) }))
  await ctx.test.db('businesses').insert(rows)
  await ctx.test.db('businesses').insert({ organization_id: other.id, name: 'Not mine' })
  const sorted = await ctx.test.db('businesses').where({ organization_id: org.id }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
  ctx.names = sorted.map((b: { name: string }) => b.name)
})
keyset.after(async (ctx) => {
  await ctx.test.destroy()
})

const page = (ctx: { test: TestDb; organizationId: string }, args: ConnectionArgs) =>
  paginateQuery<{ id: string; name: string }>(ctx.test.db('businesses').where({ organization_id: ctx.organizationId }), args, { column: 'created_at', direction: 'desc' })

keyset('paging forward visits every row exactly once, in order', async (ctx) => {
  const seen: string[] = []
  let after: string | null = null
  for (let guard = 0; guard < 10; guard++) {
    const connection = await page(ctx, { first: 5, after })
    seen.push(...connection.nodes.map((n) => n.name))
    if (!connection.pageInfo.hasNextPage) break
    after = connection.pageInfo.endCursor
  }
  assert.equal(seen, ctx.names)
})

keyset('paging backward from the end gives the same order', async (ctx) => {
  const seen: string[] = []
  let before: string | null = null
  for (let guard = 0; guard < 10; guard++) {
    const connection = await page(ctx, { last: 4, before })
    seen.unshift(...connection.nodes.map((n) => n.name))
    if (!connection.pageInfo.hasPreviousPage) break
    before = connection.pageInfo.startCursor
  }
  assert.equal(seen, ctx.names)
})

keyset('pageInfo and totalCount describe the page', async (ctx) => {
  const first = await page(ctx, { first: 10 })
  assert.equal(first.pageInfo.hasPreviousPage, false)
  assert.equal(first.pageInfo.hasNextPage, true)
  assert.is(first.edges[0]?.cursor, first.pageInfo.startCursor)
  assert.is(typeof first.totalCount === 'function' ? await first.totalCount() : first.totalCount, BUSINESSES)
  const tail = await page(ctx, { first: 10, after: first.pageInfo.endCursor })
  const end = await page(ctx, { first: 10, after: tail.pageInfo.endCursor })
  assert.is(end.nodes.length, 3)
  assert.is(end.pageInfo.hasNextPage, false)
  assert.is(end.pageInfo.hasPreviousPage, true)
})

keyset('rows added after the first page do not shift later pages', async (ctx) => {
  const first = await page(ctx, { first: 5 })
  await ctx.test.db('businesses').insert({ organization_id: ctx.organizationId, name: 'Newest', created_at: new Date() })
  const second = await page(ctx, { first: 5, after: first.pageInfo.endCursor })
  assert.equal(second.nodes.map((n) => n.name), ctx.names.slice(5, 10))
  await ctx.test.db('businesses').where({ name: 'Newest' }).delete()
})

keyset('a tampered cursor is BAD_USER_INPUT', async (ctx) => {
  for (const after of ['%%%', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('["2026-01-01",5]').toString('base64url'), Buffer.from('["2026-01-01","x"]').toString('base64url'), Buffer.from('["not a date","5eed0000-0000-4000-8000-000000000001"]').toString('base64url')]) {
    const error = await rejects(page(ctx, { first: 5, after }))
    assert.is(error.code, 'BAD_USER_INPUT', after)
  }
})

keyset('arrays page the same way', () => {
  const items = ['a', 'b', 'c', 'd', 'e']
  const first = connectionFromArray(items, { first: 2 })
  assert.equal(first.nodes, ['a', 'b'])
  assert.equal(connectionFromArray(items, { first: 2, after: first.pageInfo.endCursor }).nodes, ['c', 'd'])
  assert.equal(connectionFromArray(items, { last: 2 }).nodes, ['d', 'e'])
  assert.equal(connectionFromArray(items, { last: 2, before: connectionFromArray(items, { last: 2 }).pageInfo.startCursor }).nodes, ['b', 'c'])
  assert.equal(connectionFromArray(items, { first: 0 }).nodes, [])
})

keyset.run()
