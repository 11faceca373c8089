import { appendLedger, FREE_PERIOD_DAYS, includedMinutesOf, type Knex } from '../core/index.ts'
// Accounts renewed per sweep; the next sweep takes the rest.
const BATCH = 500

/**
 * Renews the included minutes of free accounts (no live subscription) whose period is over: what
 * is left expires and the plan's minutes are granted for a new 30-day period, once (an
 * idempotency key per account and period). Paid plans renew from Stripe's invoices instead.
 */
export async function renewFreeAllowances(db: Knex, now = new Date()): Promise<number> {
  const due: Array<{ id: string }> = await db('billing_accounts')
    .where({ plan: 'free' })
    .whereNull('closed_at')
    .whereNotIn('subscription_status', ['active', 'trialing', 'past_due', 'unpaid', 'paused'])
    .where((q) => q.whereNull('current_period_end').orWhere('current_period_end', '<=', now))
    .orderBy('id')
    .limit(BATCH)
    .select('id')
  let renewed = 0
  for (const { id } of due) {
    renewed += await db.transaction(async (trx) => {
      const account = await trx('billing_accounts').where({ id, plan: 'free' }).whereNull('closed_at').forUpdate().first()
      if (!account || (account.current_period_end && account.current_period_end > now)) return 0
      // A period starts where the last one ended (now, after a long gap or for an account that never had one).
      const start = account.current_period_end && now.getTime() - account.current_period_end.getTime() < FREE_PERIOD_DAYS * 86_400_000 ? account.current_period_end : now
      const end = new Date(start.getTime() + FREE_PERIOD_DAYS * 86_400_000)
      const key = `allowance:${id}:${start.toISOString()}`
      await trx('billing_accounts').where({ id }).update({ current_period_start: start, current_period_end: end })
      if (await trx('minute_ledger').where({ idempotency_key: key }).first('id')) return 0
      await appendLedger(trx, id, [
        { kind: 'expiry', bucket: 'included', minutes: -Math.max(0, account.included_minutes), periodStart: start, idempotencyKey: `expiry:${id}:${start.toISOString()}`, note: 'Included minutes of the last period' },
        { kind: 'allowance', bucket: 'included', minutes: includedMinutesOf(account), periodStart: start, idempotencyKey: key, note: `Free plan, period from ${start.toISOString().slice(0, 10)}` },
      ])
      return 1
    })
  }
  return renewed
}
