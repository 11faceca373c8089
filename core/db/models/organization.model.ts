import { BaseModel } from './base.model.ts'

export type OrganizationKind = 'direct' | 'agency'
export type OrganizationStatus = 'active' | 'suspended' | 'closed'

/** A customer account: a direct business account or an agency that owns client businesses. */
export class Organization extends BaseModel {
  static override tableName = 'organizations'
  declare id: string
  declare kind: OrganizationKind
  declare name: string
  declare status: OrganizationStatus
  declare branding: Record<string, unknown>
  declare whiteLabel: boolean
  declare billingMode: 'central' | 'per_business'
  declare createdAt: Date
}
