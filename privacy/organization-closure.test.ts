/**
 * Closing an organization through GraphQL: owners only, confirmed by its name; from the commit on
 * its members, API keys and embed tokens reach nothing of it (queries and subscriptions), its
 * numbers refuse calls, while the same people keep their other organizations; owners and admins
 * are told; an owner reopens it within 30 days, and not after; then the hourly job purges it.
 */
import { createClient, type Client } from 'graphql-ws'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../app.ts'
import { appendLedger, JOBS_SCHEMA } from '../core/index.ts'
import { insertApiKey, insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest, type GraphQLResult } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId as g } from '../graphql/index.ts'
import { eventually } from '../leads/testing/lead-fixture.ts'
import { callSid, e164, postTwilio } from '../voice/testing/voice-fixture.ts'

interface Ctx {
  t: TestApp
  wsUrl: string
  orgId: string
  businessId: string
  otherOrgBusinessId: string
  /** A call in each of the two businesses, for subscription events. */
  callIds: [string, string]
  tokens: { owner: string; admin: string; member: string; stranger: string; apiKey: string; embed: string }
  emails: { owner: string; admin: string; member: string }
  number: string
}

const closure = suite<Ctx>('privacy: closing and reopening an organization')

const CLOSE = 'mutation($i: CloseOrganizationInput!) { closeOrganization(input: $i) { closedOrganization { organizationId name kind closedAt purgeAfter } userErrors { field code } } }'
const REOPEN = 'mutation($i: ReopenOrganizationInput!) { reopenOrganization(input: $i) { organization { id status } userErrors { field code } } }'
const BUSINESS = 'query($id: ID!) { node(id: $id) { ... on Business { name calls { totalCount } } } }'
const NAME = 'Closing Dental Group'

closure.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp, { JOBS_POLL_SECONDS: '0.5' })
  const db = ctx.t.test.db
  const org = await insertOrganization(db, { kind: 'agency', name: NAME, businesses: 2 })
  ctx.orgId = org.id
  ctx.businessId = org.businessIds[0] as string
  const other = await insertOrganization(db, { kind: 'direct', name: 'Other Practice' })
  ctx.otherOrgBusinessId = other.businessIds[0] as string
  const [owner, admin, member, stranger] = [await insertUser(db), await insertUser(db), await insertUser(db), await insertUser(db)]
  await insertMembership(db, owner.id, org.id, 'owner')
  await insertMembership(db, admin.id, org.id, 'admin')
  await insertMembership(db, member.id, org.id, 'member')
  // The member owns another organization, which must stay theirs.
  await insertMembership(db, member.id, other.id, 'owner')
  await insertMembership(db, stranger.id, (await insertOrganization(db)).id, 'owner')
  const call = async (businessId: string) =>
    (await db('calls').insert({ business_id: businessId, twilio_call_sid: callSid(), direction: 'inbound', from_number: '+15550303030', to_number: '+15550101010', status: 'completed' }).returning('id'))[0].id as string
  ctx.callIds = [await call(ctx.businessId), await call(ctx.otherOrgBusinessId)]
  ctx.number = e164()
  await db('phone_numbers').insert({ business_id: ctx.businessId, e164: ctx.number, source: 'attached' })
  await db('agent_configs').insert({ business_id: ctx.businessId, version: 1, greeting: 'Hello', disclosure_text: 'You are speaking with an AI assistant.', consent_prompt: 'May we record?' })
  const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: NAME, plan: 'starter', subscription_status: 'active' }).returning('id')
  await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: 100 }]))
  const key = await insertApiKey(db, org.id, ['business:read', 'calls:read', 'embed_tokens:create'])
  const embed = await graphqlRequest(ctx.t.app, 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token } }', { i: { businessId: g('Business', ctx.businessId), permissions: ['BUSINESS_READ', 'CALLS_READ'] } }, { token: key.secret })
  ctx.emails = { owner: owner.email, admin: admin.email, member: member.email }
  ctx.tokens = {
    owner: await logIn(ctx.t, owner.email),
    admin: await logIn(ctx.t, admin.email),
    member: await logIn(ctx.t, member.email),
    stranger: await logIn(ctx.t, stranger.email),
    apiKey: key.secret,
    embed: embed.data.createEmbedToken.token,
  }
  ctx.wsUrl = (await ctx.t.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws') + '/graphql'
})
closure.after((ctx) => ctx.t.close())

async function logIn(t: TestApp, email: string): Promise<string> {
  const result = await graphqlRequest(t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email, password: TEST_PASSWORD } })
  return result.data.logIn.tokens.accessToken
}

const as = (ctx: Ctx, token: string, query: string, variables: Record<string, unknown> = {}) => graphqlRequest(ctx.t.app, query, variables, { token })
const close = (ctx: Ctx, token: string, confirmName = NAME) => as(ctx, token, CLOSE, { i: { organizationId: g('Organization', ctx.orgId), confirmName } })
const reopen = (ctx: Ctx, token: string) => as(ctx, token, REOPEN, { i: { organizationId: g('Organization', ctx.orgId) } })
const status = async (ctx: Ctx) => (await ctx.t.test.db('organizations').where({ id: ctx.orgId }).first('status')).status as string
const audits = (ctx: Ctx, action: string) => ctx.t.test.db('audit_log').where({ action, organization_id: ctx.orgId }).select('actor_id', 'metadata')
const closureMail = (ctx: Ctx) => ctx.t.app.mailer.outbox.filter((m) => m.subject === `${NAME} was closed on Answerline`).map((m) => m.to).sort()

/** What each credential reads of the organization's first business: its name, or the error codes. */
async function reach(ctx: Ctx): Promise<Record<string, string>> {
  const seen: Record<string, string> = {}
  for (const who of ['member', 'apiKey', 'embed'] as const) {
    const result = await as(ctx, ctx.tokens[who], BUSINESS, { id: g('Business', ctx.businessId) })
    seen[who] = result.data?.node?.name ?? (errorCodes(result).join(',') || 'null')
  }
  return seen
}

closure('only an owner closes it: an admin is FORBIDDEN, strangers and keys are refused, a wrong name is a user error; nothing changes', async (ctx) => {
  assert.equal(errorCodes(await close(ctx, ctx.tokens.admin)), ['FORBIDDEN'])
  assert.equal(errorCodes(await close(ctx, ctx.tokens.stranger)), ['NOT_FOUND'])
  assert.equal(errorCodes(await close(ctx, ctx.tokens.apiKey)), ['FORBIDDEN'])
  assert.equal(errorCodes(await close(ctx, ctx.tokens.embed)), ['FORBIDDEN'])
  const wrong = await close(ctx, ctx.tokens.owner, 'closing dental group')
  assert.equal(wrong.data.closeOrganization, { closedOrganization: null, userErrors: [{ field: ['input', 'confirmName'], code: 'INVALID' }] })
  assert.is(await status(ctx), 'active')
  assert.equal(await audits(ctx, 'organization.closed'), [])
  assert.equal(closureMail(ctx), [])
  assert.equal(await reach(ctx), { member: 'Business 1', apiKey: 'Business 1', embed: 'Business 1' })
})

closure('closing cuts off members, API keys and embed tokens at once; the member keeps their other organization', async (ctx) => {
  // Widgets already subscribed before the closure: they hear the closed organization's calls until it.
  const member = listen(ctx, ctx.tokens.member, ctx.businessId)
  const widget = listen(ctx, ctx.tokens.embed, ctx.businessId)
  const elsewhere = listen(ctx, ctx.tokens.member, ctx.otherOrgBusinessId)
  const published = (index: 0 | 1) => ctx.t.app.events.publish({ type: 'call.completed', businessId: index ? ctx.otherOrgBusinessId : ctx.businessId, callId: ctx.callIds[index] })
  try {
    // A subscription is in place once an event gets through; a loaded machine takes its time to open one.
    for (let tries = 0; !(member.received.length && widget.received.length && elsewhere.received.length); tries++) {
      if (tries === 100) assert.unreachable('the subscriptions never heard an event')
      await Promise.all([published(0), published(1)])
      await sleep(100)
    }
    await sleep(300)
    const heard = [member.received.length, widget.received.length, elsewhere.received.length]

    const result = await close(ctx, ctx.tokens.owner, `  ${NAME} `)
    await published(0)
    await published(1)
    await until(() => elsewhere.received.length === (heard[2] as number) + 1)
    await sleep(300)
    assert.equal([member.received.length, widget.received.length], heard.slice(0, 2), 'open subscriptions hear nothing more of the closed organization')
    await closedFor(ctx, result)
  } finally {
    await Promise.all([member, widget, elsewhere].map((l) => l.client.dispose()))
  }
})

async function closedFor(ctx: Ctx, result: GraphQLResult): Promise<void> {
  const closed = result.data.closeOrganization.closedOrganization
  assert.equal(result.data.closeOrganization.userErrors, [])
  assert.equal([closed.organizationId, closed.name, closed.kind], [g('Organization', ctx.orgId), NAME, 'AGENCY'])
  assert.is(new Date(closed.purgeAfter).getTime() - new Date(closed.closedAt).getTime(), 30 * 86_400_000)
  assert.is(await status(ctx), 'closed')

  assert.equal(await reach(ctx), { member: 'null', apiKey: 'UNAUTHENTICATED', embed: 'UNAUTHENTICATED' })
  const organizations = await as(ctx, ctx.tokens.member, '{ organizations { nodes { name } } }')
  assert.equal(organizations.data.organizations.nodes, [{ name: 'Other Practice' }])
  const kept = await as(ctx, ctx.tokens.member, BUSINESS, { id: g('Business', ctx.otherOrgBusinessId) })
  assert.equal(kept.data.node, { name: 'Business 1', calls: { totalCount: 1 } })
  const minted = await as(ctx, ctx.tokens.apiKey, 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token } }', { i: { businessId: g('Business', ctx.businessId), permissions: ['BUSINESS_READ'] } })
  assert.equal(errorCodes(minted), ['UNAUTHENTICATED'], 'no new widget tokens either')

  const [audit] = await audits(ctx, 'organization.closed')
  assert.ok(audit?.metadata.purgeAfter, 'the closure is audited with its purge date')
  assert.equal(closureMail(ctx), [ctx.emails.admin, ctx.emails.owner].sort(), 'owners and admins are told; plain members are not')
  const notice = ctx.t.app.mailer.outbox.find((m) => m.to === ctx.emails.owner && m.subject.includes('was closed'))
  assert.match(notice?.text ?? '', new RegExp(`deleted for good on ${closed.purgeAfter.slice(0, 16).replace('T', ' ')} UTC`))
  assert.match(notice?.text ?? '', /any owner can reopen it/)

  const listed = async (token: string) => (await as(ctx, token, '{ me { closedOrganizations { nodes { organizationId purgeAfter } } } }')).data.me.closedOrganizations.nodes
  assert.equal(await listed(ctx.tokens.owner), [{ organizationId: g('Organization', ctx.orgId), purgeAfter: closed.purgeAfter }])
  assert.equal(await listed(ctx.tokens.admin), [], 'only owners see it to reopen it')
}

/** A callChanged subscription over graphql-ws: what it has heard so far, and the error codes that ended it (CLOSED for a refused connection). */
function listen(ctx: Ctx, token: string, businessId: string): { client: Client; received: unknown[]; refused: string[] } {
  const client = createClient({ url: ctx.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } })
  const heard = { client, received: [] as unknown[], refused: [] as string[] }
  client.subscribe({ query: 'subscription($b: ID!) { callChanged(businessId: $b) { id } }', variables: { b: g('Business', businessId) } }, {
    next: (value) => void heard.received.push(value.data),
    error: (errors) => void heard.refused.push(...(Array.isArray(errors) ? errors.map((e: { extensions?: { code?: string } }) => e.extensions?.code ?? 'UNKNOWN') : ['CLOSED'])),
    complete: () => {},
  })
  return heard
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  for (const started = Date.now(); !check(); await sleep(20)) if (Date.now() - started > timeoutMs) assert.unreachable('timed out waiting for subscription events')
}

closure("calls to its numbers are refused and use no minutes", async (ctx) => {
  const sid = callSid()
  const response = await ring(ctx, sid)
  assert.is(response.statusCode, 200)
  assert.match(response.body, /not taking calls through this line/)
  const refused = await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first('refusal_reason', 'reserved_minutes')
  assert.equal(refused, { refusal_reason: 'organization_inactive', reserved_minutes: 0 })
})

const ring = (ctx: Ctx, sid: string) => postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: ctx.number, AccountSid: `AC${'0'.repeat(32)}` })

closure('subscriptions: new ones are refused, and one already open hears nothing more of the closed organization', async (ctx) => {
  const member = listen(ctx, ctx.tokens.member, ctx.businessId)
  const widget = listen(ctx, ctx.tokens.embed, ctx.businessId)
  try {
    await until(() => member.refused.length > 0 && widget.refused.length > 0)
    assert.equal(member.refused, ['NOT_FOUND'])
    assert.equal(widget.refused, ['CLOSED'], 'the embed token is refused at the handshake')
  } finally {
    await Promise.all([member.client.dispose(), widget.client.dispose()])
  }
})

closure('an owner reopens it within 30 days: access and calls come back as they were', async (ctx) => {
  assert.equal(errorCodes(await reopen(ctx, ctx.tokens.admin)), ['NOT_FOUND'])
  assert.equal(errorCodes(await reopen(ctx, ctx.tokens.stranger)), ['NOT_FOUND'])
  assert.equal(errorCodes(await reopen(ctx, ctx.tokens.apiKey)), ['UNAUTHENTICATED'])
  assert.is(await status(ctx), 'closed')
  const result = await reopen(ctx, ctx.tokens.owner)
  assert.equal(result.data.reopenOrganization, { organization: { id: g('Organization', ctx.orgId), status: 'ACTIVE' }, userErrors: [] })
  assert.equal(await ctx.t.test.db('organizations').where({ id: ctx.orgId }).first('status', 'closed_at', 'purge_after'), { status: 'active', closed_at: null, purge_after: null })
  assert.equal(await reach(ctx), { member: 'Business 1', apiKey: 'Business 1', embed: 'Business 1' })
  const sid = callSid()
  assert.match((await ring(ctx, sid)).body, /You are speaking with an AI assistant/)
  assert.equal(await ctx.t.test.db('calls').where({ twilio_call_sid: sid }).first('status', 'refusal_reason'), { status: 'in_progress', refusal_reason: null })
  assert.is((await audits(ctx, 'organization.reopened')).length, 1)
  assert.equal((await as(ctx, ctx.tokens.owner, '{ me { closedOrganizations { nodes { name } } } }')).data.me.closedOrganizations.nodes, [])
})

closure('after its 30 days it can no longer be reopened, and stays closed', async (ctx) => {
  const closed = await close(ctx, ctx.tokens.owner)
  assert.equal(closed.data?.closeOrganization.userErrors, [], JSON.stringify(closed.errors))
  await ctx.t.test.db('organizations').where({ id: ctx.orgId }).update({ closed_at: new Date(Date.now() - 31 * 86_400_000), purge_after: new Date(Date.now() - 86_400_000) })
  const late = await reopen(ctx, ctx.tokens.owner)
  assert.equal(late.data.reopenOrganization, { organization: null, userErrors: [{ field: ['input', 'organizationId'], code: 'EXPIRED' }] })
  assert.is(await status(ctx), 'closed')
  assert.equal((await as(ctx, ctx.tokens.owner, '{ me { closedOrganizations { nodes { name } } } }')).data.me.closedOrganizations.nodes, [], 'no longer offered for reopening')
  assert.is((await audits(ctx, 'organization.reopened')).length, 1)
})

closure('the hourly purge job then removes it, and the owner has nothing left to reopen', async (ctx) => {
  const { rows } = await ctx.t.test.db.raw(`select cron from ${JOBS_SCHEMA}.schedule where name = 'organization-purge-sweep'`)
  assert.equal(rows, [{ cron: '41 * * * *' }])
  await ctx.t.app.jobs.enqueue('organization-purge-sweep', {})
  await eventually(async () => !(await ctx.t.test.db('organizations').where({ id: ctx.orgId }).first('id')))
  assert.is((await ctx.t.test.db('businesses').where({ organization_id: ctx.orgId })).length, 0)
  assert.is((await audits(ctx, 'organization.purged')).length, 1)
  assert.equal(errorCodes(await reopen(ctx, ctx.tokens.owner)), ['NOT_FOUND'])
  const kept = await as(ctx, ctx.tokens.member, '{ organizations { nodes { name } } }')
  assert.equal(kept.data.organizations.nodes, [{ name: 'Other Practice' }])
})

closure.run()
