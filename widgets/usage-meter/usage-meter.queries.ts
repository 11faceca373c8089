// The usage meter's GraphQL document and the shape it returns.

export interface Usage {
  plan: string
  includedMinutesLeft: number
  topupMinutesLeft: number
  includedMinutesPerPeriod: number
  minutesUsedThisPeriod: number
  periodEnd: string | null
  /** Stripe's status, lower case: none, trialing, active, past_due, unpaid, canceled, ... */
  subscriptionStatus: string
}

export interface UsageData {
  node: { usage: Usage | null } | null
  plans: { nodes: Array<{ key: string; name: string }> }
}

// The plan catalog is public and tiny; it gives the plan's display name in the same round trip.
export const USAGE_QUERY = `query UsageMeter($id: ID!) {
  node(id: $id) { ... on Business { usage { plan includedMinutesLeft topupMinutesLeft includedMinutesPerPeriod minutesUsedThisPeriod periodEnd subscriptionStatus } } }
  plans(first: 20) { nodes { key name } }
}`
