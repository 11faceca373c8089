import type { Knex } from 'knex'
import { AppError, billingAccountFor, PLANS, UserInputError, type PlanKey } from '../core/index.ts'
import type { TwilioClient } from './twilio/twilio-client.ts'
import { VOICE_PATHS } from './twiml.ts'

export interface NumberDeps {
  db: Knex
  twilio: TwilioClient | null
  publicBaseUrl: string
}

export interface AvailableNumber {
  e164: string
  friendlyName: string
  locality: string | null
  region: string | null
}

// Twilio error codes we answer with a user error rather than an outage.
const NUMBER_UNAVAILABLE = 21422

function twilioOf(deps: NumberDeps): TwilioClient {
  if (!deps.twilio) throw new AppError('UPSTREAM_UNAVAILABLE', 'Twilio is not configured on this server (TWILIO_ACCOUNT_SID)')
  return deps.twilio
}

function upstream(error: unknown, what: string): AppError {
  const { status } = error as { status?: number }
  return new AppError('UPSTREAM_UNAVAILABLE', `Twilio could not ${what}`, { status }, { cause: error })
}

/** Numbers that can be bought in a country, optionally near an area code or containing digits. */
export async function searchAvailableNumbers(deps: NumberDeps, query: { country: string; areaCode?: number | null; contains?: string | null; limit: number }): Promise<AvailableNumber[]> {
  try {
    const found = await twilioOf(deps)
      .availablePhoneNumbers(query.country)
      .local.list({ limit: query.limit, ...(query.areaCode && { areaCode: query.areaCode }), ...(query.contains && { contains: query.contains }), voiceEnabled: true })
    return found.map((n) => ({ e164: n.phoneNumber, friendlyName: n.friendlyName, locality: n.locality ?? null, region: n.region ?? null }))
  } catch (error) {
    throw upstream(error, 'search for numbers')
  }
}

/** The plan's number slots are a hard limit: a business holds at most that many active numbers. */
async function assertSlotFree(db: Knex, businessId: string): Promise<void> {
  const business = await db('businesses').where({ id: businessId }).first('organization_id')
  const account = await billingAccountFor(db, { id: businessId, organizationId: business.organization_id })
  const slots = PLANS[(account?.plan ?? 'free') as PlanKey]?.numberSlots ?? null
  if (slots === null) return
  const held = Number((await db('phone_numbers').where({ business_id: businessId, status: 'active' }).count({ n: '*' }).first())?.n ?? 0)
  if (held >= slots) throw new UserInputError([{ field: ['input', 'phoneNumber'], code: 'NOT_ALLOWED', message: `Your plan includes ${slots} phone number${slots === 1 ? '' : 's'}; release one or upgrade` }])
}

const webhookSettings = (deps: NumberDeps) => ({
  voiceUrl: `${deps.publicBaseUrl}${VOICE_PATHS.inbound}`,
  voiceMethod: 'POST',
  statusCallback: `${deps.publicBaseUrl}${VOICE_PATHS.status}`,
  statusCallbackMethod: 'POST',
})

async function recordNumber(deps: NumberDeps, input: { businessId: string; e164: string; twilioSid: string; source: 'purchased' | 'attached'; friendlyName: string | null; actorUserId: string | null }): Promise<string> {
  return deps.db.transaction(async (trx) => {
    const [row] = await trx('phone_numbers')
      .insert({ business_id: input.businessId, e164: input.e164, twilio_sid: input.twilioSid, source: input.source, friendly_name: input.friendlyName })
      .returning('id')
    await trx('number_slot_events').insert({ business_id: input.businessId, phone_number_id: row.id, kind: input.source, actor_user_id: input.actorUserId })
    return row.id as string
  })
}

/**
 * Buys a number and points its voice URL and status callback at Answerline. Twilio is called
 * first; if recording the number then fails, the purchase is released so no number is left
 * paid for and unused.
 */
export async function purchaseNumber(deps: NumberDeps, input: { businessId: string; e164: string; actorUserId: string | null }): Promise<string> {
  await assertSlotFree(deps.db, input.businessId)
  const twilio = twilioOf(deps)
  let bought: { sid: string; phoneNumber: string; friendlyName: string }
  try {
    bought = await twilio.incomingPhoneNumbers.create({ phoneNumber: input.e164, ...webhookSettings(deps) })
  } catch (error) {
    if ((error as { code?: number }).code === NUMBER_UNAVAILABLE) {
      throw new UserInputError([{ field: ['input', 'phoneNumber'], code: 'NOT_ALLOWED', message: 'This number is no longer available; pick another' }])
    }
    throw upstream(error, 'buy the number')
  }
  try {
    return await recordNumber(deps, { businessId: input.businessId, e164: bought.phoneNumber, twilioSid: bought.sid, source: 'purchased', friendlyName: bought.friendlyName, actorUserId: input.actorUserId })
  } catch (error) {
    await twilio.incomingPhoneNumbers(bought.sid).remove().catch(() => {})
    throw error
  }
}

/** Points a number the Twilio account already owns at Answerline for this business. */
export async function attachNumber(deps: NumberDeps, input: { businessId: string; e164: string; actorUserId: string | null }): Promise<string> {
  await assertSlotFree(deps.db, input.businessId)
  const twilio = twilioOf(deps)
  let owned: Array<{ sid: string; phoneNumber: string; friendlyName: string }>
  try {
    owned = await twilio.incomingPhoneNumbers.list({ phoneNumber: input.e164, limit: 1 })
  } catch (error) {
    throw upstream(error, 'look up the number')
  }
  const number = owned[0]
  if (!number) throw new UserInputError([{ field: ['input', 'phoneNumber'], code: 'INVALID', message: 'This number is not in the Twilio account' }])
  try {
    await twilio.incomingPhoneNumbers(number.sid).update(webhookSettings(deps))
  } catch (error) {
    throw upstream(error, 'update the number')
  }
  return recordNumber(deps, { businessId: input.businessId, e164: number.phoneNumber, twilioSid: number.sid, source: 'attached', friendlyName: number.friendlyName, actorUserId: input.actorUserId })
}

/** Releases a number: a bought one goes back to Twilio, an attached one stops pointing at us. */
export async function releaseNumber(deps: NumberDeps, input: { phoneNumberId: string; actorUserId: string | null }): Promise<void> {
  const number = await deps.db('phone_numbers').where({ id: input.phoneNumberId, status: 'active' }).first()
  if (!number) throw new AppError('NOT_FOUND', 'Phone number was not found')
  if (number.twilio_sid) {
    const twilio = twilioOf(deps)
    try {
      if (number.source === 'purchased') await twilio.incomingPhoneNumbers(number.twilio_sid).remove()
      else await twilio.incomingPhoneNumbers(number.twilio_sid).update({ voiceUrl: '', statusCallback: '' })
    } catch (error) {
      // 404: already gone from the account, which is what releasing wants.
      if ((error as { status?: number }).status !== 404) throw upstream(error, 'release the number')
    }
  }
  await deps.db.transaction(async (trx) => {
    await trx('phone_numbers').where({ id: number.id }).update({ status: 'released', released_at: trx.fn.now() })
    await trx('number_slot_events').insert({ business_id: number.business_id, phone_number_id: number.id, kind: 'released', actor_user_id: input.actorUserId })
  })
}
