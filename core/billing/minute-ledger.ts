import type { Knex } from 'knex'
import { FREE_PERIOD_DAYS, PLANS } from './plans.ts'

export type Bucket = 'included' | 'topup'
export type LedgerKind = 'allowance' | 'topup' | 'reservation' | 'release' | 'usage' | 'adjustment' | 'expiry'

export interface LedgerEntry {
  kind: LedgerKind
  bucket: Bucket
  /** Signed: positive adds minutes, negative takes them. */
  minutes: number
  businessId?: string | null
  callId?: string | null
  idempotencyKey?: string | null
  note?: string | null
  periodStart?: Date | null
}

/**
 * Appends entries and moves the account's balances by the same amounts, in the caller's
 * transaction. The balance columns refuse to go negative, so an entry that would overdraw
 * fails the whole transaction.
 */
export async function appendLedger(trx: Knex.Transaction, billingAccountId: string, entries: LedgerEntry[]): Promise<void> {
  const moves = entries.filter((e) => e.minutes !== 0)
  if (moves.length === 0) return
  await trx('minute_ledger').insert(
    moves.map((e) => ({
      billing_account_id: billingAccountId,
      kind: e.kind,
      bucket: e.bucket,
      minutes: e.minutes,
      business_id: e.businessId ?? null,
      call_id: e.callId ?? null,
      idempotency_key: e.idempotencyKey ?? null,
      note: e.note ?? null,
      period_start: e.periodStart ?? null,
    })),
  )
  const sum = (bucket: Bucket) => moves.filter((e) => e.bucket === bucket).reduce((total, e) => total + e.minutes, 0)
  await trx('billing_accounts')
    .where({ id: billingAccountId })
    .update({ included_minutes: trx.raw('included_minutes + ?', [sum('included')]), topup_minutes: trx.raw('topup_minutes + ?', [sum('topup')]) })
}

/**
 * Settles a call: its reservations are released to their buckets and the minutes used are
 * debited, included first. Usage never exceeds what was reserved (the worker ends a call before
 * its reservation runs out), so settling can never overdraw. The caller makes it run once.
 */
export async function settleReservation(trx: Knex.Transaction, input: { billingAccountId: string; callId: string; businessId: string; usedMinutes: number }): Promise<number> {
  const reserved: Array<{ bucket: Bucket; minutes: number }> = await trx('minute_ledger')
    .where({ call_id: input.callId, kind: 'reservation', billing_account_id: input.billingAccountId })
    .select('bucket', 'minutes')
  const held = (bucket: Bucket) => -reserved.filter((r) => r.bucket === bucket).reduce((total, r) => total + r.minutes, 0)
  const total = held('included') + held('topup')
  const used = Math.min(Math.max(0, input.usedMinutes), total)
  const account = await trx('billing_accounts').where({ id: input.billingAccountId }).forUpdate().first('included_minutes')
  const includedAfterRelease = account.included_minutes + held('included')
  const usedIncluded = Math.min(used, includedAfterRelease)
  const base = { callId: input.callId, businessId: input.businessId }
  await appendLedger(trx, input.billingAccountId, [
    { kind: 'release', bucket: 'included', minutes: held('included'), ...base },
    { kind: 'release', bucket: 'topup', minutes: held('topup'), ...base },
    { kind: 'usage', bucket: 'included', minutes: -usedIncluded, ...base },
    { kind: 'usage', bucket: 'topup', minutes: -(used - usedIncluded), ...base },
  ])
  return used
}


/** The account that pays for a business's calls: its own (an agency billing per client) or its organization's. */
export async function billingAccountFor(db: Knex, business: { id: string; organizationId: string }): Promise<{ id: string; plan: string; subscription_status: string; grace_until: Date | null } | undefined> {
  return payerOf(db, business).first('id', 'plan', 'subscription_status', 'grace_until')
}

/** The same account, every column (balances, period, Stripe ids, auto top-up). */
export async function billingAccountRowFor(db: Knex, business: { id: string; organizationId: string }): Promise<Record<string, any> | undefined> {
  return payerOf(db, business).first()
}

function payerOf(db: Knex, business: { id: string; organizationId: string }) {
  return db('billing_accounts')
    .whereNull('closed_at')
    .where((q) => q.where({ business_id: business.id }).orWhere((o) => o.where({ organization_id: business.organizationId }).whereNull('business_id')))
    .orderByRaw('business_id is null')
}

/**
 * Opens a billing account on the free plan with that plan's included minutes for its first
 * 30-day period, so calls can be taken from the start: every new organization's central account,
 * or a client business billed on its own. A paid plan replaces the free one through checkout.
 */
export async function openBillingAccount(trx: Knex.Transaction, owner: { organizationId: string; businessId?: string; displayName: string }): Promise<string> {
  const [account] = await trx('billing_accounts')
    .insert({
      organization_id: owner.organizationId,
      business_id: owner.businessId ?? null,
      display_name: owner.displayName,
      plan: 'free',
      subscription_status: 'none',
      current_period_start: trx.fn.now(),
      current_period_end: trx.raw(`now() + make_interval(days => ${FREE_PERIOD_DAYS})`),
    })
    .returning('id')
  const minutes = PLANS.free.includedMinutes ?? 0
  await appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes, businessId: owner.businessId ?? null, idempotencyKey: `allowance:${account.id}:opening`, note: 'Free plan, on opening the account' }])
  return account.id
}
