import { BaseModel } from './base.model.ts'

/** A number a business answers on; at most one active owner per E.164 number. */
export class PhoneNumber extends BaseModel {
  static override tableName = 'phone_numbers'
  declare id: string
  declare businessId: string
  declare e164: string
  declare twilioSid: string | null
  declare source: 'purchased' | 'attached'
  declare friendlyName: string | null
  declare status: 'active' | 'released'
}
