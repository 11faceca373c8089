import type { Knex } from 'knex'
import { UserInputError } from '../errors/user-error.ts'
import { billingAccountFor } from './minute-ledger.ts'
import { PLANS, type PlanFeature, type PlanKey } from './plans.ts'

const FEATURE_NAMES: Record<PlanFeature, string> = {
  recording: 'call recording',
  crm_connectors: 'CRM connectors',
  webhooks: 'webhooks',
  api_access: 'API access',
  white_label: 'white labelling',
  custom_capture_fields: 'custom capture fields',
}

/** Whether a plan includes a feature; an organization no billing account covers (an unbilled deployment) is not limited. */
export function planIncludes(plan: string | null | undefined, feature: PlanFeature): boolean {
  if (!plan) return true
  return PLANS[plan as PlanKey]?.features.includes(feature) ?? false
}

/**
 * Refuses, as a user error on `field`, a change that needs a feature the plan paying for the
 * business does not include; nothing is written.
 */
export async function requirePlanFeature(db: Knex, business: { id: string; organizationId: string }, feature: PlanFeature, field: string[]): Promise<void> {
  const account = await billingAccountFor(db, business)
  if (planIncludes(account?.plan, feature)) return
  const plan = PLANS[account?.plan as PlanKey]?.name ?? account?.plan
  throw new UserInputError([{ field, code: 'NOT_ALLOWED', message: `The ${plan} plan does not include ${FEATURE_NAMES[feature]}; upgrade the plan to use it` }])
}
