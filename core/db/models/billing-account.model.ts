import type { PlanKey } from '../../billing/plans.ts'
import { BaseModel } from './base.model.ts'

/** Who pays: an organization centrally, or one of an agency's client businesses. */
export class BillingAccount extends BaseModel {
  static override tableName = 'billing_accounts'
  declare id: string
  declare organizationId: string | null
  declare businessId: string | null
  declare displayName: string
  declare plan: PlanKey
  declare subscriptionStatus: string
  declare currentPeriodStart: Date | null
  declare currentPeriodEnd: Date | null
}
