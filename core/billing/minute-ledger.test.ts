import { randomUUID } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createKnex, type Knex } from '../db/knex.ts'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { insertOrganization } from '../testing/accounts.ts'
import { appendLedger, settleReservation } from './minute-ledger.ts'

const ledger = suite<{ test: TestDb; db: Knex }>('billing: the minute ledger under concurrent calls')

ledger.before(async (ctx) => {
  ctx.test = await openTestDb()
  // Enough connections that the reservations really race in the database, not in the pool.
  ctx.db = createKnex(ctx.test.url, 40)
})
ledger.after(async (ctx) => {
  await ctx.db.destroy()
  await ctx.test.destroy()
})

async function balances(db: Knex, accountId: string) {
  const account = await db('billing_accounts').where({ id: accountId }).first('included_minutes', 'topup_minutes')
  const sums: Array<{ bucket: string; total: string }> = await db('minute_ledger').where({ billing_account_id: accountId }).groupBy('bucket').select('bucket').sum({ total: 'minutes' })
  const sum = (bucket: string) => Number(sums.find((row) => row.bucket === bucket)?.total ?? 0)
  return { included: account.included_minutes, topup: account.topup_minutes, ledgerIncluded: sum('included'), ledgerTopup: sum('topup') }
}

ledger('100 concurrent reservations against 10 minutes: 10 succeed, the ledger balances to the minute, nothing goes negative', async ({ db }) => {
  const org = await insertOrganization(db)
  const businessId = org.businessIds[0] as string
  const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: 'Race', plan: 'starter', subscription_status: 'active' }).returning('id')
  await db.transaction((trx) =>
    appendLedger(trx, account.id, [
      { kind: 'allowance', bucket: 'included', minutes: 6 },
      { kind: 'topup', bucket: 'topup', minutes: 4 },
    ]),
  )

  const calls = Array.from({ length: 100 }, () => randomUUID())
  const reserved = await Promise.all(
    calls.map(async (callId) => {
      const { rows } = await db.raw('select reserved from answerline_reserve_minutes(?, ?, ?, 1, 1)', [account.id, callId, businessId])
      return { callId, minutes: rows[0].reserved as number }
    }),
  )
  const answered = reserved.filter((r) => r.minutes > 0)
  assert.is(answered.length, 10, 'exactly the 10 minutes are handed out')
  assert.ok(answered.every((r) => r.minutes === 1))
  assert.equal(await balances(db, account.id), { included: 0, topup: 0, ledgerIncluded: 0, ledgerTopup: 0 }, 'every minute of both buckets is reserved, and no more')

  // The answered calls end at once, concurrently: half used their minute, half hung up at once.
  const used = await Promise.all(
    answered.map((r, i) => db.transaction((trx) => settleReservation(trx, { billingAccountId: account.id, callId: r.callId, businessId, usedMinutes: i % 2 })))
  )
  assert.is(used.reduce((a, b) => a + b, 0), 5)
  const after = await balances(db, account.id)
  assert.equal([after.included, after.topup], [after.ledgerIncluded, after.ledgerTopup], 'each balance is the sum of its ledger entries')
  assert.is(after.included + after.topup, 5, 'ten minutes, five used')
  assert.ok(after.included >= 0 && after.topup >= 0)
})

ledger('included minutes are spent before top-ups, which stay for later', async ({ db }) => {
  const org = await insertOrganization(db)
  const businessId = org.businessIds[0] as string
  const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: 'Order', plan: 'starter', subscription_status: 'active' }).returning('id')
  await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: 6 }, { kind: 'topup', bucket: 'topup', minutes: 4 }]))
  const callId = randomUUID()
  await db.raw('select reserved from answerline_reserve_minutes(?, ?, ?, 7, 1)', [account.id, callId, businessId])
  const reserved = await db('minute_ledger').where({ call_id: callId, kind: 'reservation' }).orderBy('bucket').select('bucket', 'minutes')
  assert.equal(reserved, [{ bucket: 'included', minutes: -6 }, { bucket: 'topup', minutes: -1 }])
  await db.transaction((trx) => settleReservation(trx, { billingAccountId: account.id, callId, businessId, usedMinutes: 5 }))
  assert.equal(await balances(db, account.id), { included: 1, topup: 4, ledgerIncluded: 1, ledgerTopup: 4 }, 'five used, all from the included minutes')
})

ledger('a reservation that would overdraw fails whole: the balance columns refuse to go negative', async ({ db }) => {
  const org = await insertOrganization(db)
  const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: 'Overdraw', plan: 'starter', subscription_status: 'active' }).returning('id')
  await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: 2 }]))
  const overdraw = db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'adjustment', bucket: 'included', minutes: -3, note: 'too much' }]))
  await overdraw.then(
    () => assert.unreachable('the overdraft was accepted'),
    (error: { code?: string }) => assert.is(error.code, '23514'),
  )
  assert.equal(await balances(db, account.id), { included: 2, topup: 0, ledgerIncluded: 2, ledgerTopup: 0 })
})

ledger('billing records outlive their organization: its purge keeps the account, the ledger and the invoices (kept 7 years)', async ({ db }) => {
  const org = await insertOrganization(db)
  const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: 'Closing Co', plan: 'starter', subscription_status: 'canceled' }).returning('id')
  await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: 300, businessId: org.businessIds[0] ?? null }]))
  await db('invoices').insert({ billing_account_id: account.id, stripe_invoice_id: 'in_closing1', status: 'paid', currency: 'usd', amount_due: 4900, amount_paid: 4900, paid_at: new Date() })

  await db('organizations').where({ id: org.id }).delete()
  const kept = await db('billing_accounts').where({ id: account.id }).first('organization_id', 'display_name')
  assert.equal(kept, { organization_id: null, display_name: 'Closing Co' }, 'the account stays, readable by its copied name')
  assert.is((await db('minute_ledger').where({ billing_account_id: account.id })).length, 1)
  assert.is((await db('invoices').where({ billing_account_id: account.id })).length, 1)
  // Nor can the ledger be trimmed before its seven years are up.
  await db('minute_ledger').where({ billing_account_id: account.id }).delete().then(
    () => assert.unreachable('a recent ledger row was deleted'),
    (error: { message: string }) => assert.match(error.message, /append-only/),
  )
})

ledger.run()
