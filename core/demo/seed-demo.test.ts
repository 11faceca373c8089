import bcrypt from 'bcryptjs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { DEMO_IDS, DEMO_LOGIN, seedDemo } from './seed-demo.ts'

const seed = suite<{ test: TestDb }>('demo seed')

const SEEDED_TABLES = ['organizations', 'businesses', 'users', 'memberships', 'agent_configs', 'phone_numbers', 'number_slot_events', 'billing_accounts', 'minute_ledger', 'calls', 'consent_records', 'transcript_segments', 'contacts', 'leads']
const ACTIVITY_TABLES = ['leads', 'contacts', 'transcript_segments', 'consent_records', 'calls']

async function rowCounts(test: TestDb): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const table of SEEDED_TABLES) counts[table] = Number((await test.db(table).count({ n: '*' }).first())?.n)
  return counts
}

seed.before(async (ctx) => {
  ctx.test = await openTestDb()
})
seed.after(async (ctx) => {
  await ctx.test.destroy()
})

seed('creates an agency with two client businesses, an owner, agents, the demo number and minutes', async ({ test }) => {
  const result = await seedDemo(test.db, { phoneNumber: '+15005550006' })
  assert.is(result.created, true)
  const agency = await test.db('organizations').where({ id: DEMO_IDS.agency }).first()
  assert.is(agency.kind, 'agency')
  const businesses = await test.db('businesses').where({ organization_id: agency.id }).orderBy('name')
  assert.equal(businesses.map((b: { name: string }) => b.name), ['Bright Smile Dental', 'Harbor Plumbing Co.'])
  const owner = await test.db('users').where({ email: DEMO_LOGIN.email }).first()
  assert.ok(await bcrypt.compare(DEMO_LOGIN.password, owner.password_hash))
  assert.is(Number(owner.password_hash.split('$')[2]), 12)
  const membership = await test.db('memberships').where({ user_id: owner.id, organization_id: agency.id }).first()
  assert.is(membership.role, 'owner')
  assert.is((await test.db('agent_configs').whereIn('business_id', businesses.map((b: { id: string }) => b.id))).length, 2)
  const number = await test.db('phone_numbers').where({ e164: '+15005550006', status: 'active' }).first()
  assert.is(number.business_id, DEMO_IDS.dental)
  const balance = await test.db('minute_ledger').where({ billing_account_id: DEMO_IDS.billing }).sum({ minutes: 'minutes' }).first()
  assert.is(Number(balance?.minutes), 1000)
  const account = await test.db('billing_accounts').where({ id: DEMO_IDS.billing }).first()
  assert.is(account.subscription_status, 'active')
  assert.ok(account.current_period_end > new Date())
})

seed('each business gets a month of finished calls with transcripts, consent, contacts and leads', async ({ test }) => {
  const now = Date.now()
  for (const businessId of [DEMO_IDS.dental, DEMO_IDS.plumbing]) {
    const calls = await test.db('calls').where({ business_id: businessId })
    assert.ok(calls.length >= 55 && calls.length <= 65, `${calls.length} calls`)
    assert.ok(calls.every((c) => c.ended_at && now - c.started_at.getTime() <= 30 * 86_400_000 && c.started_at.getTime() < now))
    const statuses = new Set(calls.map((c) => c.status))
    assert.equal([...statuses].sort(), ['completed', 'no_answer', 'refused'])
    assert.ok(calls.some((c) => c.escalated), 'some calls were escalated')
    assert.ok(new Set(calls.map((c) => c.from_number)).size >= 15, 'varied callers')
    const completed = calls.filter((c) => c.status === 'completed')
    const lines = await test.db('transcript_segments').where({ business_id: businessId }).groupBy('call_id').select('call_id').count({ n: '*' })
    assert.is(lines.length, completed.length)
    assert.ok(lines.every((l) => Number(l.n) >= 4 && Number(l.n) <= 8))
    const decisions = await test.db('consent_records').where({ business_id: businessId }).distinct('decision').pluck('decision')
    assert.equal(decisions.sort(), ['declined', 'given', 'not_completed'])
    const leads = await test.db('leads').where({ business_id: businessId })
    assert.ok(leads.length >= completed.length * 0.7 && leads.length <= completed.length, `${leads.length} leads for ${completed.length} answered calls`)
    assert.ok(leads.every((l) => l.contact_id && completed.some((c) => c.id === l.call_id)))
    assert.ok(leads.some((l) => l.needs_review && l.review_fields.length > 0))
    assert.ok(leads.some((l) => l.extraction_method === 'fallback' && l.fallback_reason === 'not_configured'))
    assert.ok(leads.some((l) => l.extraction_method === 'model' && l.extraction_model && l.prompt_version))
    assert.equal(new Set(leads.map((l) => l.temperature)).size, 3)
    assert.ok(new Set(leads.map((l) => l.status)).size >= 4)
    const contacts = await test.db('contacts').where({ business_id: businessId })
    assert.is(new Set(contacts.map((c) => c.phone)).size, contacts.length)
    assert.ok(contacts.length < leads.length, 'some callers called more than once')
  }
})

seed('the demo activity is the same on every machine, and is added to a demo seeded before it existed, in under a second', async ({ test }) => {
  const fingerprint = (db: typeof test.db) => db('leads').join('calls', 'calls.id', 'leads.call_id').orderBy('calls.twilio_call_sid').select('calls.twilio_call_sid', 'calls.status', 'leads.name', 'leads.temperature', 'leads.status')
  const before = await fingerprint(test.db)
  const other = await openTestDb()
  try {
    await seedDemo(other.db, { phoneNumber: '+15005550006' })
    assert.equal(await fingerprint(other.db), before)
    await other.db.raw(`truncate ${ACTIVITY_TABLES.join(', ')} cascade`)
    const started = performance.now()
    const result = await seedDemo(other.db, { phoneNumber: '+15005550006' })
    const ms = performance.now() - started
    assert.equal([result.created, result.activityCreated], [false, true])
    assert.ok(ms < 1000, `the activity took ${ms.toFixed(0)} ms`)
    assert.equal(await fingerprint(other.db), before)
  } finally {
    await other.destroy()
  }
})

seed('a second run changes nothing', async ({ test }) => {
  const before = await rowCounts(test)
  const result = await seedDemo(test.db, { phoneNumber: '+15005550006' })
  assert.equal([result.created, result.activityCreated], [false, false])
  assert.equal(await rowCounts(test), before)
})

seed('concurrent runs still leave exactly one demo', async ({ test }) => {
  const before = await rowCounts(test)
  const results = await Promise.all([1, 2, 3].map(() => seedDemo(test.db, { phoneNumber: '+15005550006' })))
  assert.ok(results.every((r) => !r.created))
  assert.equal(await rowCounts(test), before)
})

seed('concurrent first runs on an empty database create one demo', async () => {
  const fresh = await openTestDb()
  try {
    const results = await Promise.all([1, 2, 3].map(() => seedDemo(fresh.db, { phoneNumber: '+15005550006' })))
    assert.is(results.filter((r) => r.created).length, 1)
    assert.is(Number((await fresh.db('organizations').count({ n: '*' }).first())?.n), 1)
  } finally {
    await fresh.destroy()
  }
})

seed('a changed DEMO_PHONE_NUMBER is attached to the demo business on the next run', async ({ test }) => {
  await seedDemo(test.db, { phoneNumber: '+15005550009' })
  const numbers = await test.db('phone_numbers').where({ business_id: DEMO_IDS.dental, status: 'active' }).orderBy('e164')
  assert.equal(numbers.map((n: { e164: string }) => n.e164), ['+15005550006', '+15005550009'])
  const events = await test.db('number_slot_events').where({ business_id: DEMO_IDS.dental, kind: 'attached' })
  assert.is(events.length, 2)
})

seed.run()
