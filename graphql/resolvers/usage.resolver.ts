import type { IResolvers } from 'mercurius'
import { billingAccountRowFor, includedMinutesOf } from '../../core/index.ts'

type Row = Record<string, any>

// Without a subscription period (free plans, accounts before their first invoice), "this period" is a rolling window.
const FALLBACK_PERIOD_DAYS = 30

export const usageResolvers: IResolvers = {
  Business: {
    usage: async (b: Row, _args, ctx) => {
      await (await ctx.access()).requireBusiness(b.id, 'billing:read')
      return (await billingAccountRowFor(ctx.db, { id: b.id, organizationId: b.organization_id })) ?? null
    },
  },
  Usage: {
    plan: (a: Row) => a.plan.toUpperCase(),
    includedMinutesLeft: (a: Row) => a.included_minutes,
    topupMinutesLeft: (a: Row) => a.topup_minutes,
    includedMinutesPerPeriod: (a: Row) => includedMinutesOf(a),
    // Settled call minutes (usage entries are negative); reservations of calls in progress are not usage yet.
    minutesUsedThisPeriod: async (a: Row, _args, ctx) => {
      const since = a.current_period_start ?? new Date(Date.now() - FALLBACK_PERIOD_DAYS * 86_400_000)
      const used = await ctx.db('minute_ledger').where({ billing_account_id: a.id, kind: 'usage' }).where('created_at', '>=', since).sum({ total: 'minutes' }).first()
      return -Number(used?.total ?? 0)
    },
    periodEnd: (a: Row) => a.current_period_end,
    subscriptionStatus: (a: Row) => a.subscription_status,
  },
}
