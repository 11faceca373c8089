import { randomUUID } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import type { Config } from '../core/index.ts'
import { insertApiKey, insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'

const jobs = suite<{ t: TestApp; operator: string; customer: string; apiKey: string }>('graphql: job queues for platform operators')

const logIn = async (t: TestApp, email: string) =>
  (await graphqlRequest(t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email, password: TEST_PASSWORD } })).data.logIn.tokens.accessToken as string

jobs.before(async (ctx) => {
  // The api role runs no job workers, so jobs stay where the test puts them.
  ctx.t = await openTestApp((config: Config) => buildApp(config, { role: 'api' }))
  const db = ctx.t.test.db
  const operator = await insertUser(db, { email: 'ops@answerline.example' })
  await db('users').where({ id: operator.id }).update({ platform_operator: true })
  const customer = await insertUser(db, { email: 'owner@customer.example' })
  const org = await insertOrganization(db)
  await insertMembership(db, customer.id, org.id, 'owner')
  ctx.apiKey = (await insertApiKey(db, org.id, ['business:read', 'business:manage'])).secret
  ctx.operator = await logIn(ctx.t, operator.email)
  ctx.customer = await logIn(ctx.t, customer.email)
})
jobs.after((ctx) => ctx.t.close())

const QUEUES = '{ jobQueues { nodes { name queued active failed oldestQueuedAt } } }'

jobs('customers, API keys and strangers cannot see the queues', async (ctx) => {
  assert.equal(errorCodes(await graphqlRequest(ctx.t.app, QUEUES, {}, { token: ctx.customer })), ['FORBIDDEN'])
  assert.equal(errorCodes(await graphqlRequest(ctx.t.app, QUEUES, {}, { token: ctx.apiKey })), ['FORBIDDEN'])
  assert.equal(errorCodes(await graphqlRequest(ctx.t.app, QUEUES)), ['UNAUTHENTICATED'])
})

jobs('an operator sees each queue\'s depth and the age of its oldest waiting job', async (ctx) => {
  for (const callId of [randomUUID(), randomUUID()]) await ctx.t.app.jobs.enqueue('lead-extract', { callId }, { singletonKey: callId })
  const result = await graphqlRequest(ctx.t.app, QUEUES, {}, { token: ctx.operator })
  const queues = result.data.jobQueues.nodes as Array<Record<string, any>>
  assert.ok(queues.some((q) => q.name === 'dead-letter'))
  const extract = queues.find((q) => q.name === 'lead-extract')
  assert.equal([extract?.queued, extract?.active, extract?.failed], [2, 0, 0])
  assert.ok(Date.now() - Date.parse(extract?.oldestQueuedAt) < 60_000)
})

jobs('an operator lists failed jobs with their error and runs one again', async (ctx) => {
  const callId = randomUUID()
  const id = (await ctx.t.app.jobs.enqueue('lead-extract', { callId }, { singletonKey: callId })) as string
  await ctx.t.test.db.withSchema('pgboss').from('job').where({ id }).update({ state: 'failed', retry_count: 6, completed_on: new Date(), output: { message: 'the model did not answer: 503' } })
  const listed = await graphqlRequest(ctx.t.app, '{ jobs(queue: "lead-extract") { nodes { id state data retryCount error } } }', {}, { token: ctx.operator })
  assert.equal(listed.data.jobs.nodes, [{ id, state: 'FAILED', data: { callId }, retryCount: 6, error: 'the model did not answer: 503' }])

  const retry = (jobId: string) => graphqlRequest(ctx.t.app, 'mutation($i: RetryJobInput!) { retryJob(input: $i) { job { state } userErrors { field code } } }', { i: { queue: 'lead-extract', jobId } }, { token: ctx.operator })
  const retried = await retry(id)
  assert.equal(retried.data.retryJob, { job: { state: 'RETRY' }, userErrors: [] })
  assert.equal((await retry(id)).data.retryJob.userErrors, [{ field: ['input', 'jobId'], code: 'NOT_ALLOWED' }], 'only failed jobs')
  assert.equal((await retry(randomUUID())).data.retryJob.userErrors, [{ field: ['input', 'jobId'], code: 'INVALID' }])
  const asCustomer = await graphqlRequest(ctx.t.app, 'mutation($i: RetryJobInput!) { retryJob(input: $i) { job { state } } }', { i: { queue: 'lead-extract', jobId: id } }, { token: ctx.customer })
  assert.equal(errorCodes(asCustomer), ['FORBIDDEN'])
})

jobs('an operator runs a sweep now; only sweeps can be run this way, and only by operators', async (ctx) => {
  const run = (queue: string, token: string) => graphqlRequest(ctx.t.app, 'mutation($i: RunSweepInput!) { runSweep(input: $i) { job { id queue } userErrors { field code } } }', { i: { queue } }, { token })
  const since = new Date()
  const started = await run('retention-sweep', ctx.operator)
  assert.equal(started.data.runSweep.userErrors, [])
  assert.is(started.data.runSweep.job.queue, 'retention-sweep')
  const queued = await ctx.t.test.db.withSchema('pgboss').from('job').where({ name: 'retention-sweep' }).where('created_on', '>=', since)
  assert.is(queued.length, 1)
  assert.is((await ctx.t.test.db('audit_log').where({ action: 'job.sweep_started', target_id: 'retention-sweep' })).length, 1)

  assert.equal((await run('lead-extract', ctx.operator)).data.runSweep.userErrors, [{ field: ['input', 'queue'], code: 'INVALID' }], 'a queue whose jobs carry data is not a sweep')
  assert.equal(errorCodes(await run('retention-sweep', ctx.customer)), ['FORBIDDEN'])
  assert.is((await ctx.t.test.db.withSchema('pgboss').from('job').where({ name: 'retention-sweep' }).where('created_on', '>=', since)).length, 1, 'refused runs queue nothing')
})

jobs.run()
