import type { IResolvers } from 'mercurius'
import { connectionFromArray, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { type Plan, PLAN_KEYS, PLANS } from '../../core/index.ts'

const CATALOG = PLAN_KEYS.map((key) => PLANS[key])

/** The plan catalog is public, so any caller may load a plan by id. */
export function loadPlanNode(key: string): Plan | null {
  return CATALOG.find((plan) => plan.key === key) ?? null
}

export const planResolvers: IResolvers = {
  Query: {
    plans: (_root, args: ConnectionArgs) => connectionFromArray(CATALOG, args),
  },
  Plan: {
    id: (plan: Plan) => toGlobalId('Plan', plan.key),
    key: (plan: Plan) => plan.key.toUpperCase(),
    features: (plan: Plan) => plan.features.map((feature) => feature.toUpperCase()),
  },
}
