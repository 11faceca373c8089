/** A free account's period: its included minutes renew this often (paid plans renew with each paid invoice). */
export const FREE_PERIOD_DAYS = 30

/** Plan keys, cheapest first. Stored in billing_accounts.plan. */
export const PLAN_KEYS = ['free', 'starter', 'growth', 'pro', 'enterprise'] as const
export type PlanKey = (typeof PLAN_KEYS)[number]

export type PlanFeature = 'recording' | 'crm_connectors' | 'webhooks' | 'api_access' | 'white_label' | 'custom_capture_fields'

export interface Plan {
  readonly key: PlanKey
  readonly name: string
  /** Minutes included in each billing period; null when agreed per contract (Enterprise). */
  readonly includedMinutes: number | null
  /** How many phone numbers the business may hold; null when agreed per contract. */
  readonly numberSlots: number | null
  readonly features: readonly PlanFeature[]
}

/** What each plan includes. Prices live in Stripe; their price ids come from the configuration. */
export const PLANS: Readonly<Record<PlanKey, Plan>> = Object.freeze({
  free: { key: 'free', name: 'Free', includedMinutes: 30, numberSlots: 1, features: ['webhooks'] },
  starter: { key: 'starter', name: 'Starter', includedMinutes: 300, numberSlots: 1, features: ['recording', 'webhooks', 'crm_connectors'] },
  growth: {
    key: 'growth',
    name: 'Growth',
    includedMinutes: 1000,
    numberSlots: 3,
    features: ['recording', 'webhooks', 'crm_connectors', 'api_access', 'custom_capture_fields'],
  },
  pro: {
    key: 'pro',
    name: 'Pro',
    includedMinutes: 3000,
    numberSlots: 10,
    features: ['recording', 'webhooks', 'crm_connectors', 'api_access', 'custom_capture_fields', 'white_label'],
  },
  enterprise: {
    key: 'enterprise',
    name: 'Enterprise',
    includedMinutes: null,
    numberSlots: null,
    features: ['recording', 'webhooks', 'crm_connectors', 'api_access', 'custom_capture_fields', 'white_label'],
  },
})

/** Minutes an account's plan includes each period; Enterprise contracts state theirs in custom_terms.minutes. */
export function includedMinutesOf(account: Record<string, any>): number {
  const contract: unknown = account.custom_terms?.minutes
  return PLANS[account.plan as PlanKey]?.includedMinutes ?? (Number.isInteger(contract) ? (contract as number) : 0)
}
