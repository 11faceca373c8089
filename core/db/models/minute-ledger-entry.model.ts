import { BaseModel } from './base.model.ts'

export type LedgerKind = 'allowance' | 'topup' | 'reservation' | 'release' | 'usage' | 'adjustment' | 'expiry'

/** One append-only movement of minutes; balances are sums of these. */
export class MinuteLedgerEntry extends BaseModel {
  static override tableName = 'minute_ledger'
  declare id: string
  declare billingAccountId: string
  declare businessId: string | null
  declare callId: string | null
  declare kind: LedgerKind
  declare bucket: 'included' | 'topup'
  declare minutes: number
  declare periodStart: Date | null
  declare idempotencyKey: string | null
  declare note: string | null
  declare createdAt: Date
}
