import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { UserInputError, type Knex, type UserError } from '../core/index.ts'
import { normalizeEmail, normalizePhone } from '../leads/index.ts'
import type { CallerSubject } from './data-requests.ts'

/** What a business types to find a caller; either may be missing, not both. */
export interface CallerInput {
  phone?: string | null
  email?: string | null
}

/**
 * The caller a business means, normalised the way calls and leads store them: the number in E.164
 * (read in the business's country when it has no country code), the email lower-cased. Refused
 * with user errors: neither given, either not valid, or the number is one the business answers on
 * (its calls all have it, so "erasing" it would erase every caller).
 */
export async function readCallerSubject(db: Knex, businessId: string, input: CallerInput): Promise<CallerSubject> {
  const rawPhone = input.phone?.trim() || null
  const rawEmail = input.email?.trim() || null
  const errors: UserError[] = []
  if (!rawPhone && !rawEmail) {
    throw new UserInputError([
      { field: ['input', 'phone'], code: 'REQUIRED', message: 'Give the caller\'s phone number, email address, or both' },
      { field: ['input', 'email'], code: 'REQUIRED', message: 'Give the caller\'s phone number, email address, or both' },
    ])
  }
  const business = await db('businesses').where({ id: businessId }).first('country')
  const phone = rawPhone ? normalizePhone(rawPhone, business?.country ?? 'US') : null
  const email = rawEmail ? normalizeEmail(rawEmail) : null
  if (rawPhone && !phone) errors.push({ field: ['input', 'phone'], code: 'INVALID', message: 'This is not a phone number; use the international format, such as +14155550100' })
  if (rawEmail && !email) errors.push({ field: ['input', 'email'], code: 'INVALID', message: 'This is not an email address' })
  if (phone && (await db('phone_numbers').where({ business_id: businessId, e164: phone }).first('id'))) {
    errors.push({ field: ['input', 'phone'], code: 'NOT_ALLOWED', message: 'This is one of the business\'s own numbers, not a caller\'s' })
  }
  if (errors.length) throw new UserInputError(errors)
  return { phone, email }
}

/**
 * The ways a caller's details are written down: the email, the number in E.164, its digits without
 * the plus, and the national number (4155550100), which is how people type it.
 */
export function callerForms(caller: CallerSubject | null): string[] {
  if (!caller) return []
  const national = caller.phone ? parsePhoneNumberFromString(caller.phone)?.nationalNumber : undefined
  return [...new Set([caller.email, caller.phone, caller.phone?.slice(1), national].filter((value): value is string => Boolean(value)))]
}
