import type { FastifyBaseLogger } from 'fastify'
import type Stripe from 'stripe'
import { type Knex, recordAudit } from '../core/index.ts'

export interface SubscriptionSyncDeps {
  db: Knex
  /** Null when billing is off: there is nothing at Stripe to change. */
  stripe: Stripe | null
  log: FastifyBaseLogger
}

// Marks the subscriptions a closure set to end, so a reopening renews those and not one the
// customer had already cancelled themselves.
const CLOSURE_MARK = 'answerline_closed_organization'
const ENDED = new Set(['canceled', 'incomplete_expired'])

/**
 * Brings the Stripe subscriptions of every billing account of the organization (its central
 * account, and those of client businesses billed on their own) in line with its status: while
 * closed (or gone), each ends at the close of its paid period and is not renewed; once reopened,
 * those the closure ended renew again. Decided from the status now, not from what was asked, so
 * repeated or out-of-order jobs converge; the job is retried while Stripe fails. Returns how many
 * subscriptions were changed.
 */
export async function syncClosureSubscriptions(deps: SubscriptionSyncDeps, organizationId: string): Promise<number> {
  const { stripe } = deps
  if (!stripe) return 0
  const org = await deps.db('organizations').where({ id: organizationId }).first('status')
  const closing = org?.status !== 'active'
  const accounts: Array<{ id: string; stripe_subscription_id: string }> = await deps.db('billing_accounts')
    .where({ organization_id: organizationId })
    .whereNotNull('stripe_subscription_id')
    .select('id', 'stripe_subscription_id')
  let changed = 0
  for (const account of accounts) {
    const subscription = await stripe.subscriptions.retrieve(account.stripe_subscription_id)
    if (ENDED.has(subscription.status)) continue
    const marked = subscription.metadata?.[CLOSURE_MARK] === organizationId
    if (closing && !subscription.cancel_at_period_end) {
      await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true, metadata: { [CLOSURE_MARK]: organizationId } })
      await audit(deps.db, organizationId, account.id, 'billing.subscription_ending')
      changed++
    } else if (!closing && subscription.cancel_at_period_end && marked) {
      // An empty value unsets the key (Stripe's metadata rule).
      await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: false, metadata: { [CLOSURE_MARK]: '' } })
      await audit(deps.db, organizationId, account.id, 'billing.subscription_renewing')
      changed++
    }
  }
  if (changed) deps.log.info({ organizationId, changed, closing }, 'closure: subscriptions brought in line with the organization')
  return changed
}

function audit(db: Knex, organizationId: string, billingAccountId: string, action: string): Promise<void> {
  return recordAudit(db, { action, actor: { type: 'system', id: null }, organizationId, target: { type: 'billing_account', id: billingAccountId }, metadata: { reason: 'organization_closure' } })
}
