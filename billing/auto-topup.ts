import type { FastifyBaseLogger } from 'fastify'
import Stripe from 'stripe'
import { appendLedger, recordAudit, type AuditEntry, type Config, type JobQueue, type Knex, type Mailer, type UserError, UserInputError } from '../core/index.ts'
import { formatAmount, mailToBillingContacts, sendAll, type PendingMail } from './billing-mail.ts'
import { payingAccount } from './paying-account.ts'

type Row = Record<string, any>

export interface AutoTopupDeps {
  db: Knex
  jobs: JobQueue
  stripe: Stripe
  mailer: Mailer
  billing: Config['billing']
  log: FastifyBaseLogger
}

export type AutoTopupOutcome = 'bought' | 'not_needed' | 'already_tried' | 'declined' | 'no_payment_method' | 'no_pack'

// A suspended or closed organization (inside its 30 days before the purge) buys nothing.
const ofActiveOrganization = (db: Knex) => db('organizations').whereRaw('organizations.id = billing_accounts.organization_id').where('organizations.status', 'active')

/** Queues a purchase for every account below its auto top-up threshold (one queued job per account at most). */
export async function sweepAutoTopups(db: Knex, jobs: JobQueue): Promise<number> {
  const due: Array<{ id: string }> = await db('billing_accounts')
    .whereNotNull('auto_topup_threshold_minutes')
    .whereNull('closed_at')
    .whereExists(ofActiveOrganization(db))
    .whereNotNull('stripe_customer_id')
    .whereRaw('included_minutes + topup_minutes < auto_topup_threshold_minutes')
    .select('id')
  for (const { id } of due) await jobs.enqueue('auto-topup', { billingAccountId: id }, { singletonKey: id })
  return due.length
}

/**
 * Buys the account's chosen pack with its saved payment method, off-session, when its balance is
 * below the threshold it chose: at most once per billing period for a given threshold (raising
 * the threshold allows another). Stripe gets the ledger entry's key as its idempotency key, so a
 * retried job never pays twice; the attempt is claimed on the account before the card is charged,
 * so a declined card is tried once (and the owners told), not on every sweep. Should this process
 * die after the charge, Stripe's payment_intent.succeeded carries the key and credits the minutes.
 */
export async function runAutoTopup(deps: AutoTopupDeps, billingAccountId: string): Promise<AutoTopupOutcome> {
  const { db, stripe } = deps
  const account: Row | undefined = await db('billing_accounts').where({ id: billingAccountId }).whereNull('closed_at').whereExists(ofActiveOrganization(db)).first()
  if (!account?.auto_topup_threshold_minutes || !account.stripe_customer_id) return 'not_needed'
  if (account.included_minutes + account.topup_minutes >= account.auto_topup_threshold_minutes) return 'not_needed'
  const pack = deps.billing.topupPacks.find((candidate) => String(candidate.minutes) === account.auto_topup_pack)
  if (!pack) {
    deps.log.error({ billingAccountId, pack: account.auto_topup_pack }, 'auto top-up names a pack that is no longer sold')
    return 'no_pack'
  }
  const period = account.current_period_start ? new Date(account.current_period_start).toISOString() : 'no-period'
  const key = `auto-topup:${account.id}:${period}:${account.auto_topup_threshold_minutes}`
  if (await db('minute_ledger').where({ idempotency_key: key }).first('id')) return 'already_tried'

  // Anything failing up to the charge fails the job, which is retried: nothing is claimed yet.
  const customer = await stripe.customers.retrieve(account.stripe_customer_id)
  const method = 'deleted' in customer ? null : customer.invoice_settings?.default_payment_method
  const price = await stripe.prices.retrieve(pack.price)
  const claimed = await db('billing_accounts').where({ id: account.id }).whereRaw('auto_topup_attempt_key is distinct from ?', [key]).update({ auto_topup_attempt_key: key })
  if (!claimed) return 'already_tried'

  const mail: PendingMail[] = []
  const tell = async (template: Parameters<typeof mailToBillingContacts>[3]) => mail.push(...(await mailToBillingContacts(db, deps.mailer, account.organization_id, template)))
  const failed = (reason: string) => tell({ kind: 'auto_topup_failed', accountName: account.display_name, minutes: pack.minutes, reason })
  let outcome: AutoTopupOutcome = 'bought'
  if (!method) {
    await failed('there is no saved payment method.')
    outcome = 'no_payment_method'
  } else {
    try {
      const intent = await stripe.paymentIntents.create(
        {
          amount: price.unit_amount ?? 0,
          currency: price.currency,
          customer: account.stripe_customer_id,
          payment_method: typeof method === 'string' ? method : method.id,
          off_session: true,
          confirm: true,
          description: `Auto top-up: ${pack.minutes} minutes`,
          metadata: { billingAccountId: account.id, kind: 'auto_topup', minutes: String(pack.minutes), ledgerKey: key },
        },
        { idempotencyKey: key },
      )
      if (intent.status === 'succeeded') {
        await creditTopup(db, account.id, pack.minutes, key, 'Auto top-up')
        await tell({ kind: 'topup_receipt', accountName: account.display_name, minutes: pack.minutes, amount: formatAmount(intent.amount, intent.currency), automatic: true })
      } else {
        await failed(`the payment is ${intent.status.replaceAll('_', ' ')}.`)
        outcome = 'declined'
      }
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeCardError)) {
        // Unknown whether Stripe charged: let go of the claim; the retry sends the same key, and Stripe answers as before.
        await db('billing_accounts').where({ id: account.id, auto_topup_attempt_key: key }).update({ auto_topup_attempt_key: null })
        throw error
      }
      await failed(error.message)
      outcome = 'declined'
    }
  }
  await sendAll(mail, (error) => deps.log.warn({ err: error }, 'auto top-up email not sent'))
  return outcome
}

/** Credits a paid top-up once, whoever learns of the payment first (the buyer, or Stripe's webhook). */
export async function creditTopup(db: Knex, billingAccountId: string, minutes: number, key: string, what: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [key])
    if (await trx('minute_ledger').where({ idempotency_key: key }).first('id')) return false
    await appendLedger(trx, billingAccountId, [{ kind: 'topup', bucket: 'topup', minutes, idempotencyKey: key, note: `${what} of ${minutes} minutes` }])
    return true
  })
}

/**
 * Auto top-up for the account that pays for the business: below `thresholdMinutes`, buy the pack
 * of `packMinutes` with the saved payment method. Both null turns it off.
 */
export async function setAutoTopup(deps: { db: Knex; config: Config }, input: { business: { id: string; organizationId: string }; thresholdMinutes: number | null; packMinutes: number | null; actor: AuditEntry['actor'] }): Promise<void> {
  const { thresholdMinutes, packMinutes } = input
  const errors: UserError[] = []
  if ((thresholdMinutes === null) !== (packMinutes === null)) errors.push({ field: ['input', 'packMinutes'], code: 'REQUIRED', message: 'Give both a threshold and a pack, or neither to turn auto top-up off' })
  if (thresholdMinutes !== null && !(Number.isInteger(thresholdMinutes) && thresholdMinutes >= 1 && thresholdMinutes <= 100_000)) errors.push({ field: ['input', 'thresholdMinutes'], code: 'OUT_OF_RANGE', message: 'Between 1 and 100000 minutes' })
  if (packMinutes !== null && !deps.config.billing.topupPacks.some((pack) => pack.minutes === packMinutes)) errors.push({ field: ['input', 'packMinutes'], code: 'INVALID', message: 'Not a top-up pack on sale' })
  if (errors.length) throw new UserInputError(errors)
  const account = await payingAccount(deps.db, input.business)
  if (thresholdMinutes !== null && !account.stripe_customer_id) {
    throw new UserInputError([{ field: ['input', 'thresholdMinutes'], code: 'NOT_ALLOWED', message: 'Buy a plan or a pack first, so that a payment method is saved' }])
  }
  await deps.db.transaction(async (trx) => {
    await trx('billing_accounts').where({ id: account.id }).update({ auto_topup_threshold_minutes: thresholdMinutes, auto_topup_pack: packMinutes === null ? null : String(packMinutes) })
    await recordAudit(trx, { action: 'billing.auto_topup_changed', actor: input.actor, organizationId: account.organization_id, businessId: input.business.id, target: { type: 'billing_account', id: account.id }, metadata: { thresholdMinutes, packMinutes } })
  })
}
