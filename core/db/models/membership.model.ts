import { BaseModel } from './base.model.ts'

export type Role = 'owner' | 'admin' | 'member'

/** A user's role in an organization, optionally narrowed to one of its businesses. */
export class Membership extends BaseModel {
  static override tableName = 'memberships'
  declare id: string
  declare organizationId: string
  declare userId: string
  declare businessId: string | null
  declare role: Role
}
