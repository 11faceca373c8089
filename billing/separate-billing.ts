import { openBillingAccount, recordAudit, type AuditEntry, type Knex, UserInputError } from '../core/index.ts'

// Ongoing subscriptions keep an account open: they are cancelled (in the billing portal) first.
const LIVE_SUBSCRIPTIONS = ['active', 'trialing', 'past_due', 'unpaid', 'paused']

/**
 * An agency bills a client business on its own account, or centrally on the organization's. A
 * business's own account starts on the free plan with its included minutes; going back to central
 * billing closes it (kept, like every billing record), which needs no live subscription and no
 * unspent top-up minutes, so nothing paid for is lost.
 */
export async function setSeparateBilling(db: Knex, input: { businessId: string; organizationId: string; separate: boolean; actor: AuditEntry['actor'] }): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`billing-account:${input.businessId}`])
    const own = await trx('billing_accounts').where({ business_id: input.businessId }).whereNull('closed_at').first()
    if (input.separate === (own !== undefined)) return
    if (input.separate) {
      const business = await trx('businesses').where({ id: input.businessId }).first('name')
      const accountId = await openBillingAccount(trx, { organizationId: input.organizationId, businessId: input.businessId, displayName: business.name })
      await audit(trx, input, accountId, 'billing.account_opened')
      return
    }
    if (LIVE_SUBSCRIPTIONS.includes(own.subscription_status)) {
      throw new UserInputError([{ field: ['input', 'separate'], code: 'NOT_ALLOWED', message: "Cancel the business's own subscription in the billing portal first" }])
    }
    if (own.topup_minutes > 0) {
      throw new UserInputError([{ field: ['input', 'separate'], code: 'NOT_ALLOWED', message: `The business's own account still has ${own.topup_minutes} bought minutes; use them first` }])
    }
    await trx('billing_accounts').where({ id: own.id }).update({ closed_at: trx.fn.now() })
    await audit(trx, input, own.id, 'billing.account_closed')
  })
}

function audit(trx: Knex.Transaction, input: { businessId: string; organizationId: string; actor: AuditEntry['actor'] }, accountId: string, action: string) {
  return recordAudit(trx, { action, actor: input.actor, organizationId: input.organizationId, businessId: input.businessId, target: { type: 'billing_account', id: accountId } })
}
