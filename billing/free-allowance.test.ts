/** Free accounts' included minutes renew every 30 days: what is left expires, the plan's minutes come, once per period. */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { openBillingAccount } from '../core/index.ts'
import { insertOrganization } from '../core/testing/accounts.ts'
import { openTestDb, type TestDb } from '../core/testing/test-db.ts'
import { renewFreeAllowances } from './free-allowance.ts'

const free = suite<{ test: TestDb }>('billing: the free plan renews its minutes')
free.before(async (ctx) => {
  ctx.test = await openTestDb()
})
free.after(async (ctx) => {
  await ctx.test.destroy()
})

const DAY = 86_400_000

free('an account opened today keeps its opening minutes; 30 days on, the rest expires and 30 new minutes come, once', async ({ test }) => {
  const org = await insertOrganization(test.db)
  const accountId = await test.db.transaction((trx) => openBillingAccount(trx, { organizationId: org.id, displayName: 'Free Co' }))
  await test.db('billing_accounts').where({ id: accountId }).update({ included_minutes: 12 })
  await test.db('minute_ledger').insert({ billing_account_id: accountId, kind: 'usage', bucket: 'included', minutes: -18, call_id: '00000000-0000-4000-8000-000000000001' })
  const now = new Date()
  await renewFreeAllowances(test.db, now)
  const opened = await test.db('billing_accounts').where({ id: accountId }).first('included_minutes', 'current_period_start', 'current_period_end')
  assert.is(opened.included_minutes, 12, 'no second grant in the opening period')
  assert.is(opened.current_period_end.getTime() - opened.current_period_start.getTime(), 30 * DAY)

  const later = new Date(opened.current_period_end.getTime() + 60_000)
  assert.is(await renewFreeAllowances(test.db, later), 1)
  assert.is(await renewFreeAllowances(test.db, later), 0, 'once per period')
  const renewed = await test.db('billing_accounts').where({ id: accountId }).first('included_minutes', 'current_period_start')
  assert.is(renewed.included_minutes, 30)
  assert.is(renewed.current_period_start.getTime(), opened.current_period_end.getTime(), 'the new period starts where the last ended')
  const kinds = await test.db('minute_ledger').where({ billing_account_id: accountId }).whereIn('kind', ['expiry', 'allowance']).orderBy('created_at').select('kind', 'minutes')
  assert.equal(kinds.map((e: { kind: string; minutes: number }) => `${e.kind} ${e.minutes}`).sort(), ['allowance 30', 'allowance 30', 'expiry -12'])
})

free('paid plans and live subscriptions are left to Stripe', async ({ test }) => {
  const org = await insertOrganization(test.db)
  const [paid] = await test.db('billing_accounts').insert({ organization_id: org.id, display_name: 'Paid Co', plan: 'starter', subscription_status: 'active', current_period_start: new Date(Date.now() - 40 * DAY), current_period_end: new Date(Date.now() - 10 * DAY) }).returning('id')
  await renewFreeAllowances(test.db, new Date())
  assert.is((await test.db('minute_ledger').where({ billing_account_id: paid.id })).length, 0)
})

free.run()
