import type { MercuriusContext } from 'mercurius'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { batchResolvers, type BatchQuery } from './batch-resolvers.ts'

const batches = suite('graphql: batched field resolvers')
type Resolve = (obj: Record<string, unknown>, params: Record<string, unknown>, ctx: MercuriusContext) => Promise<unknown>

/** A Call.lead resolver over a load that records each batch it was given. */
function leadOfCall(answer: (queries: BatchQuery[]) => unknown[] | Promise<unknown[]> = (queries) => queries.map((q) => `lead of ${q.obj.id}`)) {
  const seen: string[][] = []
  const resolvers = batchResolvers({
    Call: {
      lead: async (queries) => {
        seen.push(queries.map((q) => String(q.obj.id)))
        return answer(queries)
      },
    },
  }) as unknown as { Call: { lead: Resolve } }
  return { resolve: resolvers.Call.lead, seen }
}
const ctx = () => ({}) as MercuriusContext

batches('the rows of one tick are answered by one load, each with its own result', async () => {
  const { resolve, seen } = leadOfCall()
  const request = ctx()
  const results = await Promise.all(['a', 'b', 'c'].map((id) => resolve({ id }, {}, request)))
  assert.equal(results, ['lead of a', 'lead of b', 'lead of c'])
  assert.equal(seen, [['a', 'b', 'c']])
})

batches('requests never share a batch, and nothing is kept past its tick (a subscription reads fresh rows)', async () => {
  const { resolve, seen } = leadOfCall()
  const [first, second] = [ctx(), ctx()]
  await Promise.all([resolve({ id: 'a' }, {}, first), resolve({ id: 'b' }, {}, second)])
  await resolve({ id: 'a' }, {}, first)
  assert.equal(seen, [['a'], ['b'], ['a']])
})

batches('a failed load fails every row of its batch, and the next batch runs', async () => {
  let fail = true
  const { resolve } = leadOfCall((queries) => (fail ? Promise.reject(new Error('database gone')) : queries.map(() => 'ok')))
  const request = ctx()
  const failed = await Promise.allSettled([resolve({ id: 'a' }, {}, request), resolve({ id: 'b' }, {}, request)])
  assert.equal(failed.map((r) => r.status === 'rejected' && (r.reason as Error).message), ['database gone', 'database gone'])
  fail = false
  assert.is(await resolve({ id: 'c' }, {}, request), 'ok')
})

batches('a load that answers too few rows is an error, not a silent null', async () => {
  const { resolve } = leadOfCall(() => ['only one'])
  const request = ctx()
  const settled = await Promise.allSettled([resolve({ id: 'a' }, {}, request), resolve({ id: 'b' }, {}, request)])
  assert.ok(settled.every((r) => r.status === 'rejected' && /answered 1 of 2/.test((r.reason as Error).message)))
})

batches.run()
