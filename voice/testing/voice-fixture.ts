import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import twilio from 'twilio'
import { appendLedger } from '../../core/index.ts'
import { insertMembership, insertOrganization, insertUser } from '../../core/testing/accounts.ts'

let sequence = 1000
/** A fresh, valid Twilio CallSid. */
export const callSid = () => `CA${(sequence++).toString(16).padStart(32, '0')}`
/** A fresh E.164 number in the 555 range. */
export const e164 = () => `+1555${String(sequence++).padStart(7, '0')}`

export interface VoiceBusiness {
  organizationId: string
  businessId: string
  billingAccountId: string
  number: string
  ownerEmail: string
}

/**
 * A business ready to take calls: an owner, an agent (always open unless told otherwise), an
 * active number and a billing account with `minutes` available.
 */
export async function insertVoiceBusiness(db: Knex, options: { minutes?: number; agent?: Record<string, unknown>; subscriptionStatus?: string; plan?: string } = {}): Promise<VoiceBusiness> {
  const org = await insertOrganization(db, { kind: 'direct' })
  const businessId = org.businessIds[0] as string
  const owner = await insertUser(db)
  await insertMembership(db, owner.id, org.id, 'owner')
  await db('agent_configs').insert({
    business_id: businessId,
    version: 1,
    greeting: 'Hello, how can I help?',
    disclosure_text: 'You are speaking with an AI assistant.',
    consent_prompt: 'May we record this call? Say yes or press 1, or say no or press 2.',
    working_hours: {},
    forwarding_number: '+15005550001',
    ...options.agent,
  })
  const number = e164()
  await db('phone_numbers').insert({ business_id: businessId, e164: number, source: 'attached' })
  const [account] = await db('billing_accounts')
    .insert({ organization_id: org.id, display_name: 'Test account', plan: options.plan ?? 'starter', subscription_status: options.subscriptionStatus ?? 'active' })
    .returning('id')
  if (options.minutes) await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: options.minutes as number }]))
  return { organizationId: org.id, businessId, billingAccountId: account.id, number, ownerEmail: owner.email }
}

/** Posts a form to a voice webhook signed exactly as Twilio signs it (with the SDK's own helper). */
export async function postTwilio(app: FastifyInstance, path: string, params: Record<string, string>, options: { signature?: string; signedUrl?: string } = {}) {
  const url = options.signedUrl ?? `${app.config.http.publicBaseUrl}${path}`
  const signature = options.signature ?? twilio.getExpectedTwilioSignature(app.config.twilio.authToken as string, url, params)
  return app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature && { 'x-twilio-signature': signature }) },
    payload: new URLSearchParams(params).toString(),
  })
}

/** The available minutes of an account, from its balance columns and, independently, from its ledger. */
export async function minutesOf(db: Knex, billingAccountId: string): Promise<{ balance: number; ledger: number }> {
  const account = await db('billing_accounts').where({ id: billingAccountId }).first('included_minutes', 'topup_minutes')
  const ledger = await db('minute_ledger').where({ billing_account_id: billingAccountId }).sum({ total: 'minutes' }).first()
  return { balance: account.included_minutes + account.topup_minutes, ledger: Number(ledger?.total ?? 0) }
}
