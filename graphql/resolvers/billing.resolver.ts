import type { IResolvers, MercuriusContext } from 'mercurius'
import { openBillingPortal, setAutoTopup, setSeparateBilling, startCheckout, type CheckoutDeps } from '../../billing/index.ts'
import { billingAccountRowFor, type PlanKey } from '../../core/index.ts'
import { paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { auditActor, fromEnum, localId, mutation, toEnum } from './support.ts'

type Row = Record<string, any>

const NEWEST_FIRST = { column: 'created_at', direction: 'desc' } as const

/** The billing fields of Usage (reached with billing:read) and the mutations that buy (billing:manage). */
export function billingResolvers(deps: () => CheckoutDeps): IResolvers {
  /** The business, after checking the caller may spend its organization's money. */
  const payingBusiness = async (ctx: MercuriusContext, businessGlobalId: string) => {
    const scope = await (await ctx.access()).requireBusiness(localId(businessGlobalId, 'Business'), 'billing:manage')
    return { id: scope.businessId, organizationId: scope.organizationId }
  }
  return {
    Usage: {
      billedSeparately: (a: Row) => a.business_id !== null,
      autoTopup: (a: Row) => (a.auto_topup_threshold_minutes === null ? null : { thresholdMinutes: a.auto_topup_threshold_minutes, packMinutes: Number(a.auto_topup_pack) }),
      failedPayments: (a: Row) => a.failed_payment_count,
      graceUntil: (a: Row) => a.grace_until,
      topupPacks: () => deps().config.billing.topupPacks.map((pack) => pack.minutes),
      ledger: (a: Row, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('minute_ledger').where({ billing_account_id: a.id }), args, NEWEST_FIRST),
      invoices: (a: Row, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('invoices').where({ billing_account_id: a.id }), args, NEWEST_FIRST),
    },
    LedgerEntry: {
      kind: (e: Row) => toEnum(e.kind),
      bucket: (e: Row) => toEnum(e.bucket),
      createdAt: (e: Row) => e.created_at,
    },
    Invoice: {
      status: (i: Row) => toEnum(i.status),
      amountDue: (i: Row) => Number(i.amount_due),
      amountPaid: (i: Row) => Number(i.amount_paid),
      hostedInvoiceUrl: (i: Row) => i.hosted_invoice_url,
      pdfUrl: (i: Row) => i.pdf_url,
      periodStart: (i: Row) => i.period_start,
      periodEnd: (i: Row) => i.period_end,
      issuedAt: (i: Row) => i.issued_at,
      paidAt: (i: Row) => i.paid_at,
    },
    Mutation: {
      startCheckout: mutation(async (input: { businessId: string; plan?: string | null; topupMinutes?: number | null; successUrl: string; cancelUrl: string }, ctx) => {
        const business = await payingBusiness(ctx, input.businessId)
        const checkoutUrl = await startCheckout(deps(), {
          business,
          plan: input.plan ? (fromEnum(input.plan) as PlanKey) : null,
          topupMinutes: input.topupMinutes ?? null,
          successUrl: input.successUrl,
          cancelUrl: input.cancelUrl,
          actor: await auditActor(ctx),
        })
        return { checkoutUrl }
      }),
      updateAutoTopup: mutation(async (input: { businessId: string; thresholdMinutes?: number | null; packMinutes?: number | null }, ctx) => {
        const business = await payingBusiness(ctx, input.businessId)
        await setAutoTopup(deps(), { business, thresholdMinutes: input.thresholdMinutes ?? null, packMinutes: input.packMinutes ?? null, actor: await auditActor(ctx) })
        return { usage: (await billingAccountRowFor(ctx.db, business)) ?? null }
      }),
      setSeparateBilling: mutation(async (input: { businessId: string; separate: boolean }, ctx) => {
        const business = await (await ctx.access()).requireBusiness(localId(input.businessId, 'Business'), 'business:read')
        // Whose money pays is the organization's decision: its billing managers over every business.
        await (await ctx.access()).requireOrganization(business.organizationId, 'billing:manage')
        const scope = { id: business.businessId, organizationId: business.organizationId }
        await setSeparateBilling(ctx.db, { businessId: scope.id, organizationId: scope.organizationId, separate: input.separate, actor: await auditActor(ctx) })
        return { usage: (await billingAccountRowFor(ctx.db, scope)) ?? null }
      }),
      openBillingPortal: mutation(async (input: { businessId: string; returnUrl: string }, ctx) => {
        const business = await payingBusiness(ctx, input.businessId)
        return { portalUrl: await openBillingPortal(deps(), { business, returnUrl: input.returnUrl }) }
      }),
    },
  }
}
