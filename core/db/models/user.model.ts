import { BaseModel } from './base.model.ts'

/** A person who signs in to Answerline. */
export class User extends BaseModel {
  static override tableName = 'users'
  declare id: string
  declare email: string
  declare emailVerifiedAt: Date | null
  declare passwordHash: string | null
  declare displayName: string
  declare status: 'active' | 'disabled' | 'erased'
  declare createdAt: Date
}
