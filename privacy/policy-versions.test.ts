/**
 * Policy versions: platform operators publish them at least 14 days ahead; every active user is
 * emailed once (restricted users too: it is a legal notice), by a job that resumes where it
 * stopped and never writes twice; and each user sees a notice until they acknowledge it.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import pino from 'pino'
import { buildApp } from '../app.ts'
import { JOBS_SCHEMA, type Mailer } from '../core/index.ts'
import { insertUser } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { rejects } from '../core/testing/rejects.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId } from '../graphql/relay/global-id.ts'
import { eventually } from '../leads/testing/lead-fixture.ts'
import { sendPolicyNotices } from './policy-notices.ts'
import { mutate, signIn } from './testing/signed-in-user.ts'

const policies = suite<{ t: TestApp; operator: string }>('privacy: policy versions')

const DAY = 86_400_000
const PUBLISH = ['publishPolicyVersion', 'PublishPolicyVersionInput', 'policyVersion { id kind version summary url effectiveAt }'] as const
const ACKNOWLEDGE = ['acknowledgePolicy', 'AcknowledgePolicyInput', 'policyVersion { id }'] as const
const NOTICES = '{ me { policyNotices { totalCount nodes { policyVersion { id version } kind summary url effectiveAt inEffect } } } }'

policies.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  const operator = await insertUser(ctx.t.test.db)
  await ctx.t.test.db('users').where({ id: operator.id }).update({ platform_operator: true })
  ctx.operator = await signIn(ctx.t, operator.email)
})
policies.after((ctx) => ctx.t.close())

const input = (overrides: Record<string, unknown> = {}) => ({ kind: 'PRIVACY', version: '2026-12', summary: 'We now keep recordings for 60 days by default.', url: 'https://answerline.example/privacy/2026-12', effectiveAt: new Date(Date.now() + 15 * DAY).toISOString(), ...overrides })
const errorsOf = (payload: Record<string, any>) => payload.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code])
const mailsTo = (t: TestApp, to: string) => t.app.mailer.outbox.filter((m) => m.to === to && /We are updating our/.test(m.subject))

/** A version inserted as if published `publishedDaysAgo` days ago, with no notice job behind it. */
async function pastVersion(t: TestApp, kind: string, version: string, publishedDaysAgo: number, noticeDays = 14): Promise<string> {
  const published = new Date(Date.now() - publishedDaysAgo * DAY)
  const [row] = await t.test.db('policy_versions').insert({ kind, version, summary: `Version ${version}`, url: `https://answerline.example/${kind}/${version}`, published_at: published, effective_at: new Date(published.getTime() + noticeDays * DAY) }).returning('id')
  return row.id
}

policies('only platform operators publish; too soon, bad links and repeated versions are typed user errors that change nothing', async ({ t, operator }) => {
  const user = await insertUser(t.test.db)
  const query = 'mutation($i: PublishPolicyVersionInput!) { publishPolicyVersion(input: $i) { policyVersion { id } } }'
  assert.equal(errorCodes(await graphqlRequest(t.app, query, { i: input() })), ['UNAUTHENTICATED'])
  assert.equal(errorCodes(await graphqlRequest(t.app, query, { i: input() }, { token: await signIn(t, user.email) })), ['FORBIDDEN'])

  const soon = await mutate(t, operator, ...PUBLISH, input({ effectiveAt: new Date(Date.now() + 13 * DAY).toISOString() }))
  assert.equal([soon.policyVersion, errorsOf(soon)], [null, [['input.effectiveAt', 'OUT_OF_RANGE']]])
  const bad = await mutate(t, operator, ...PUBLISH, input({ url: 'javascript:alert(1)', summary: '  ', version: '' }))
  assert.equal(errorsOf(bad), [['input.version', 'TOO_SHORT'], ['input.summary', 'TOO_SHORT'], ['input.url', 'INVALID']])
  assert.equal(await t.test.db('policy_versions'), [])
  assert.equal(await t.test.db(`${JOBS_SCHEMA}.job`).where({ name: 'policy-notice' }), [])
})

policies('the database itself refuses a version that takes effect less than 14 days after publication', async ({ t }) => {
  const error = await rejects(t.test.db('policy_versions').insert({ kind: 'dpa', version: 'x', summary: 'x', url: 'https://x.example', effective_at: new Date(Date.now() + 13 * DAY) }))
  assert.is(error.constraint, 'policy_versions_notice_period')
})

policies('publishing emails every active, verified user once, restricted users included; the notice shows until acknowledged', async ({ t, operator }) => {
  const db = t.test.db
  const active = await insertUser(db)
  const restricted = await insertUser(db)
  await db('users').where({ id: restricted.id }).update({ processing_restricted_at: new Date() })
  const disabled = await insertUser(db, { status: 'disabled' })
  const unverified = await insertUser(db, { verified: false })
  const erased = await insertUser(db, { email: 'erased-0@erased.invalid', status: 'erased' })

  const published = await mutate(t, operator, ...PUBLISH, input())
  assert.equal(published.userErrors, [])
  assert.equal([published.policyVersion.kind, published.policyVersion.version], ['PRIVACY', '2026-12'])
  const version = await db('policy_versions').first('id', 'effective_at')
  const versionId = version.id as string
  assert.equal(await db('audit_log').where({ action: 'policy.published' }).select('target_id', 'metadata'), [{ target_id: versionId, metadata: { kind: 'privacy', version: '2026-12', effectiveAt: version.effective_at.toISOString() } }])
  assert.equal((await t.test.db(`${JOBS_SCHEMA}.job`).where({ name: 'policy-notice' }).first('data')).data, { policyVersionId: versionId })

  await eventually(async () => mailsTo(t, active.email).length > 0 && mailsTo(t, restricted.email).length > 0)
  await eventually(async () => (await db('audit_log').where({ action: 'policy.notified' })).length === 1)
  const mail = mailsTo(t, restricted.email)[0]
  assert.match(mail?.subject ?? '', /Privacy Policy/)
  assert.match(mail?.text ?? '', /keep recordings for 60 days/)
  assert.match(mail?.text ?? '', /https:\/\/answerline\.example\/privacy\/2026-12/)
  for (const user of [disabled, unverified, erased]) assert.equal(mailsTo(t, user.email), [], `${user.email} is not written to`)
  for (const user of [active, restricted]) assert.is(mailsTo(t, user.email).length, 1)
  assert.equal(await db('policy_notifications').where({ policy_version_id: versionId }).whereNull('sent_at'), [])

  // The banner: announced, not yet in effect, until acknowledged (once, however often asked).
  const token = await signIn(t, active.email)
  const notices = (await graphqlRequest(t.app, NOTICES, {}, { token })).data.me.policyNotices
  assert.equal(notices.nodes.map((n: Record<string, any>) => [n.policyVersion.id, n.kind, n.summary, n.url, n.inEffect]), [[published.policyVersion.id, 'PRIVACY', input().summary, input().url, false]])
  for (let i = 0; i < 2; i++) assert.equal(await mutate(t, token, ...ACKNOWLEDGE, { policyVersionId: published.policyVersion.id }), { policyVersion: { id: published.policyVersion.id }, userErrors: [] })
  assert.is((await graphqlRequest(t.app, NOTICES, {}, { token })).data.me.policyNotices.totalCount, 0)
  assert.equal(await db('audit_log').where({ action: 'policy.acknowledged', actor_id: active.id }).select('target_id', 'metadata'), [{ target_id: versionId, metadata: { kind: 'privacy', version: '2026-12' } }])
})

policies('acknowledging a version that does not exist is NOT_FOUND; only people acknowledge', async ({ t }) => {
  const user = await insertUser(t.test.db)
  const query = 'mutation($i: AcknowledgePolicyInput!) { acknowledgePolicy(input: $i) { policyVersion { id } } }'
  const missing = { i: { policyVersionId: toGlobalId('PolicyVersion', '6f1c3e7a-0000-4000-8000-000000000000') } }
  assert.equal(errorCodes(await graphqlRequest(t.app, query, missing, { token: await signIn(t, user.email) })), ['NOT_FOUND'])
  assert.equal(errorCodes(await graphqlRequest(t.app, query, { i: { policyVersionId: toGlobalId('Lead', 'x') } }, { token: await signIn(t, user.email) })), ['NOT_FOUND'])
  assert.equal(errorCodes(await graphqlRequest(t.app, query, missing)), ['UNAUTHENTICATED'])
})

policies('the notice is the latest version of each kind; signing up accepts the versions then in effect', async ({ t }) => {
  const db = t.test.db
  await pastVersion(t, 'terms', 'v1', 60)
  const v2 = await pastVersion(t, 'terms', 'v2', 20) // in effect for 6 days now
  const dpa = await pastVersion(t, 'dpa', 'd1', 2) // announced, in effect in 12 days
  const veteran = await insertUser(db)
  await db('users').where({ id: veteran.id }).update({ created_at: new Date(Date.now() - 90 * DAY) })
  const newcomer = await insertUser(db) // signed up under terms v2, before dpa d1 takes effect

  const versionsShown = async (email: string) => {
    const nodes = (await graphqlRequest(t.app, NOTICES, {}, { token: await signIn(t, email) })).data.me.policyNotices.nodes
    return nodes.map((n: Record<string, any>) => [n.policyVersion.id, n.inEffect]).filter(([id]: [string]) => [v2, dpa].some((v) => toGlobalId('PolicyVersion', v) === id))
  }
  assert.equal(await versionsShown(veteran.email), [[toGlobalId('PolicyVersion', v2), true], [toGlobalId('PolicyVersion', dpa), false]])
  assert.equal(await versionsShown(newcomer.email), [[toGlobalId('PolicyVersion', dpa), false]])
  // Policies are public: anyone may read a version by id.
  assert.equal((await graphqlRequest(t.app, 'query($id: ID!) { node(id: $id) { ... on PolicyVersion { version kind } } }', { id: toGlobalId('PolicyVersion', v2) })).data.node, { version: 'v2', kind: 'TERMS' })
})

policies('the notice job resumes where it stopped and never emails anyone twice', async ({ t }) => {
  const db = t.test.db
  const versionId = await pastVersion(t, 'dpa', 'resume', 1, 20)
  const users = await db('users').where({ status: 'active' }).whereNotNull('email_verified_at').orderBy('id').select('id', 'email')
  // A run that died between claiming one user and emailing them: that user is not written to again.
  const [lost, ...others] = users as Array<{ id: string; email: string }>
  await db('policy_notifications').insert({ user_id: lost?.id, policy_version_id: versionId })
  const failing = others[2] as { email: string }
  const sent: string[] = []
  const flaky: Mailer = {
    outbox: [],
    async send(message) {
      if (message.to === failing.email) throw new Error('provider unavailable')
      sent.push(message.to)
      return t.app.mailer.send(message)
    },
  }
  const deps = { db, mailer: flaky, log: pino({ level: 'silent' }) }
  const error = await rejects(sendPolicyNotices(deps, versionId, 2))
  assert.match(error.message, /1 policy notices could not be sent/)
  assert.equal(sent.sort(), others.filter((u) => u !== failing).map((u) => u.email).sort())
  assert.equal(await db('policy_notifications').where({ policy_version_id: versionId, user_id: (users as Array<{ id: string; email: string }>).find((u) => u.email === failing.email)?.id }), [], 'the failed send gave its claim back')

  // The retry reaches only the one who was missed; a third run has nobody left.
  sent.length = 0
  const healthy = { ...deps, mailer: { outbox: [], send: (message: Parameters<Mailer['send']>[0]) => (sent.push(message.to), t.app.mailer.send(message)) } as Mailer }
  assert.equal(await sendPolicyNotices(healthy, versionId, 2), { sent: 1, failed: 0 })
  assert.equal(sent, [failing.email])
  assert.equal(await sendPolicyNotices(healthy, versionId, 2), { sent: 0, failed: 0 })
  assert.is((await db('policy_notifications').where({ policy_version_id: versionId })).length, users.length)
  assert.equal(await db('policy_notifications').where({ policy_version_id: versionId }).whereNull('sent_at').pluck('user_id'), [lost?.id])
})

policies.run()
