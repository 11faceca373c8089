import { BaseModel } from './base.model.ts'

/** A business whose calls Answerline answers; every call-data row is keyed by its id. */
export class Business extends BaseModel {
  static override tableName = 'businesses'
  declare id: string
  declare organizationId: string
  declare name: string
  declare timeZone: string
  declare country: string
  declare status: 'active' | 'suspended' | 'closed'
  declare retentionDays: number
  declare createdAt: Date
}
