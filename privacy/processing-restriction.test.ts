/**
 * Restriction of processing: a user who sets it keeps using the product, but it stops acting on
 * their data of its own accord. No balance alerts, billing notices or disabled-webhook notices; no
 * new leads assigned to them; no sign-in tracking. Security email still reaches them. Each effect
 * is checked beside an unrestricted co-owner, who still gets everything.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { openBillingAccount } from '../core/index.ts'
import { insertMembership, insertOrganization, insertUser } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { mailToBillingContacts, sendAll } from '../billing/billing-mail.ts'
import { disableFailingEndpoint } from '../connectors/delivery/failing-endpoints.ts'
import { toGlobalId } from '../graphql/relay/global-id.ts'
import { alertBalance } from '../voice/balance-alerts.ts'
import { lastMailTo, mutate, signIn } from './testing/signed-in-user.ts'

interface Ctx {
  t: TestApp
  orgId: string
  businessId: string
  restricted: { id: string; email: string; token: string }
  unrestricted: { id: string; email: string; token: string }
}

const restriction = suite<Ctx>('privacy: restriction of processing')

const RESTRICT = ['setMyProcessingRestriction', 'SetMyProcessingRestrictionInput', 'user { processingRestricted }'] as const

restriction.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  const db = ctx.t.test.db
  const org = await insertOrganization(db, { kind: 'direct', name: 'Restricted Plumbing' })
  ctx.orgId = org.id
  ctx.businessId = org.businessIds[0] as string
  await db.transaction((trx) => openBillingAccount(trx, { organizationId: org.id, displayName: 'Restricted Plumbing' }))
  const owner = async () => {
    const user = await insertUser(db)
    await insertMembership(db, user.id, org.id, 'owner')
    return { ...user, token: await signIn(ctx.t, user.email) }
  }
  ctx.restricted = await owner()
  ctx.unrestricted = await owner()
  const set = await mutate(ctx.t, ctx.restricted.token, ...RESTRICT, { restricted: true })
  assert.equal(set, { user: { processingRestricted: true }, userErrors: [] })
})
restriction.after((ctx) => ctx.t.close())

const mailCount = (ctx: Ctx, to: string) => ctx.t.app.mailer.outbox.filter((m) => m.to === to).length

restriction('the flag is set and cleared by the user, shown on their User, and each change is audited once', async (ctx) => {
  const { t } = ctx
  const user = await insertUser(t.test.db)
  const token = await signIn(t, user.email)
  const me = async () => (await graphqlRequest(t.app, '{ me { user { processingRestricted } } }', {}, { token })).data.me.user.processingRestricted
  assert.is(await me(), false)
  await mutate(t, token, ...RESTRICT, { restricted: true })
  const since = (await t.test.db('users').where({ id: user.id }).first('processing_restricted_at')).processing_restricted_at
  await mutate(t, token, ...RESTRICT, { restricted: true })
  assert.is(await me(), true)
  assert.equal((await t.test.db('users').where({ id: user.id }).first('processing_restricted_at')).processing_restricted_at, since, 'restricting again keeps the original date')
  assert.equal(await mutate(t, token, ...RESTRICT, { restricted: false }), { user: { processingRestricted: false }, userErrors: [] })
  const audit = await t.test.db('audit_log').where({ actor_id: user.id }).where('action', 'like', 'user.processing%').orderBy('created_at').pluck('action')
  assert.equal(audit, ['user.processing_restricted', 'user.processing_unrestricted'])
  assert.equal(errorCodes(await graphqlRequest(t.app, 'mutation { setMyProcessingRestriction(input: { restricted: true }) { user { id } } }')), ['UNAUTHENTICATED'])
})

restriction('balance alerts go to the unrestricted owner only', async (ctx) => {
  const before = mailCount(ctx, ctx.restricted.email)
  assert.ok(await alertBalance(ctx.t.app, ctx.businessId, 'low'))
  assert.ok(lastMailTo(ctx.t, ctx.unrestricted.email, /minutes? of calls left/))
  assert.is(mailCount(ctx, ctx.restricted.email), before)
})

restriction('billing notices go to the unrestricted owner only, and to the other again once the restriction is lifted', async (ctx) => {
  const { t } = ctx
  const template = { kind: 'payment_failed' as const, accountName: 'Restricted Plumbing', amount: '$49.00', attempt: 1, callsStopOn: null }
  const warn = (error: unknown) => assert.unreachable(String(error))
  const before = mailCount(ctx, ctx.restricted.email)
  await sendAll(await mailToBillingContacts(t.test.db, t.app.mailer, ctx.orgId, template), warn)
  assert.ok(lastMailTo(t, ctx.unrestricted.email, /Payment failed/))
  assert.is(mailCount(ctx, ctx.restricted.email), before)

  await mutate(t, ctx.restricted.token, ...RESTRICT, { restricted: false })
  await sendAll(await mailToBillingContacts(t.test.db, t.app.mailer, ctx.orgId, template), warn)
  assert.ok(lastMailTo(t, ctx.restricted.email, /Payment failed/))
  await mutate(t, ctx.restricted.token, ...RESTRICT, { restricted: true })
})

restriction('a disabled-webhook notice goes to the unrestricted owner only', async (ctx) => {
  const db = ctx.t.test.db
  const [connector] = await db('connectors')
    .insert({ business_id: ctx.businessId, kind: 'webhook', name: 'Failing hook', config: { url: 'https://hooks.example/fail' }, event_types: ['lead.captured'], status: 'active', failing_since: new Date(Date.now() - 4 * 86_400_000) })
    .returning('*')
  const before = mailCount(ctx, ctx.restricted.email)
  await disableFailingEndpoint({ db, mailer: ctx.t.app.mailer }, connector)
  assert.is((await db('connectors').where({ id: connector.id }).first('status')).status, 'disabled')
  assert.ok(lastMailTo(ctx.t, ctx.unrestricted.email, /Webhook "Failing hook"/))
  assert.is(mailCount(ctx, ctx.restricted.email), before)
})

restriction('no new lead is assigned to a restricted member; leads they already have stay theirs', async (ctx) => {
  const db = ctx.t.test.db
  const [call] = await db('calls').insert({ business_id: ctx.businessId, twilio_call_sid: `CA${'c3'.repeat(16)}`, direction: 'inbound', from_number: '+15550303031', to_number: '+15550101011', status: 'completed' }).returning('id')
  const [lead] = await db('leads').insert({ business_id: ctx.businessId, call_id: call.id, extraction_method: 'fallback', fallback_reason: 'not_configured' }).returning('id')
  const assign = (ownerId: string, status = 'CONTACTED') =>
    mutate(ctx.t, ctx.unrestricted.token, 'updateLead', 'UpdateLeadInput', 'lead { owner { id } status }', { leadId: toGlobalId('Lead', lead.id), ownerId: toGlobalId('User', ownerId), status })
  const refused = await assign(ctx.restricted.id)
  assert.equal(refused.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code]), [['input.ownerId', 'NOT_ALLOWED']])
  assert.is((await db('leads').where({ id: lead.id }).first('owner_user_id', 'status')).owner_user_id, null)
  assert.equal((await assign(ctx.unrestricted.id)).lead.owner, { id: toGlobalId('User', ctx.unrestricted.id) })

  // Assigned before the restriction: the lead stays theirs, and editing it otherwise still works.
  await db('leads').where({ id: lead.id }).update({ owner_user_id: ctx.restricted.id })
  const kept = await assign(ctx.restricted.id, 'QUALIFIED')
  assert.equal(kept, { lead: { owner: { id: toGlobalId('User', ctx.restricted.id) }, status: 'QUALIFIED' }, userErrors: [] })
})

restriction('sign-ins of a restricted user are not tracked; an unrestricted user\'s are', async (ctx) => {
  const lastLogin = async (id: string) => (await ctx.t.test.db('users').where({ id }).first('last_login_at')).last_login_at
  await ctx.t.test.db('users').whereIn('id', [ctx.restricted.id, ctx.unrestricted.id]).update({ last_login_at: null })
  await signIn(ctx.t, ctx.restricted.email)
  await signIn(ctx.t, ctx.unrestricted.email)
  assert.is(await lastLogin(ctx.restricted.id), null)
  assert.instance(await lastLogin(ctx.unrestricted.id), Date)
})

restriction('security email still reaches a restricted user', async (ctx) => {
  const reset = await mutate(ctx.t, null, 'requestPasswordReset', 'RequestPasswordResetInput', 'requested', { email: ctx.restricted.email })
  assert.is(reset.requested, true)
  assert.ok(lastMailTo(ctx.t, ctx.restricted.email, /Reset your .* password/))
})

restriction.run()
