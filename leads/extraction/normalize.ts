import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js'
import type { CaptureField, Extracted } from './lead-fields.ts'

/** Longest address the SMTP path allows (RFC 5321 §4.5.3.1.3); the leads.email column relies on it. */
const MAX_EMAIL_LENGTH = 254
const MAX_EMAIL_LOCAL_LENGTH = 64
const MAX_CUSTOM_TEXT = 500
/** E.164 numbers have at most 15 digits; fewer than 7 is never a whole subscriber number anywhere. */
const MIN_PHONE_DIGITS = 7
const MAX_PHONE_DIGITS = 15

/**
 * A phone number in E.164, read in `country` when it has no country code; null when it is not a possible number.
 * We check isPossible (length for the country) rather than isValid (known number ranges): isValid rejects numbers
 * in ranges the bundled metadata does not list yet and fictional test ranges, and dropping a real caller's number
 * because the metadata is stale costs more than keeping an odd one that a person will look at anyway.
 */
export function normalizePhone(raw: string, country: string): string | null {
  if (typeof raw !== 'string') return null
  const text = raw.trim()
  // Letters mean a caller ID like 'anonymous' or 'client:alice', or words we were not asked to read.
  if (text === '' || /\p{L}/u.test(text.replace(/\b(?:ext|x)\.?\s*\d+$/i, ''))) return null
  const code = typeof country === 'string' ? country.toUpperCase() : ''
  const defaultCountry = isSupportedCountry(code) ? code : undefined
  // extract: false parses the whole string as one number instead of fishing a number out of surrounding text.
  const parsed = parsePhoneNumberFromString(text, { defaultCountry, extract: false })
  if (!parsed || !parsed.isPossible()) return null
  const digits = parsed.number.length - 1
  return digits >= MIN_PHONE_DIGITS && digits <= MAX_PHONE_DIGITS ? parsed.number : null
}

/** Caller ID is a fair guess at a callback number, but the caller may have meant another one. */
const CALLER_ID_CONFIDENCE = 0.6

/** The caller ID as the lead's phone when the caller gave none: E.164, no transcript evidence. */
export function phoneFromCallerId(callerNumber: unknown, country: string): Extracted<string> | undefined {
  const value = typeof callerNumber === 'string' ? normalizePhone(callerNumber, country) : null
  return value ? { value, confidence: CALLER_ID_CONFIDENCE, evidenceSeq: null } : undefined
}

/**
 * A trimmed, lower-cased email address, or null when it is not one.
 * Only ASCII is accepted, so JavaScript's lower-casing agrees with the database check `email = lower(btrim(email))`.
 */
export function normalizeEmail(raw: string): string | null {
  if (typeof raw !== 'string') return null
  const email = raw.trim().toLowerCase()
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) return null
  const parts = email.split('@')
  if (parts.length !== 2) return null
  const [local = '', domain = ''] = parts
  if (local.length === 0 || local.length > MAX_EMAIL_LOCAL_LENGTH) return null
  if (!/^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null
  const labels = domain.split('.')
  if (labels.length < 2) return null
  if (!labels.every((label) => /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(label))) return null
  return /^[a-z]{2,}$/.test(labels[labels.length - 1] ?? '') ? email : null
}

/** Text with whitespace collapsed, trimmed and cut to `max` characters; null when nothing is left. */
export function normalizeText(raw: string, max: number): string | null {
  if (typeof raw !== 'string') return null
  // Control characters go too: PostgreSQL text cannot hold NUL, and the rest are transcription noise.
  const text = raw.replace(/\s+/g, ' ').replace(/\p{Cc}/gu, '').trim()
  // Cut by code point, as varchar(n) counts, so a surrogate pair is never split in half.
  const cut = Array.from(text).slice(0, Math.max(0, max)).join('').trim()
  return cut === '' ? null : cut
}

/** A capture field's value converted to the field's type, or null when it cannot be. */
export function normalizeCustomValue(field: CaptureField, raw: unknown, country: string): string | number | boolean | null {
  switch (field.type) {
    case 'text':
      if (typeof raw === 'number' || typeof raw === 'boolean') return normalizeText(String(raw), MAX_CUSTOM_TEXT)
      return typeof raw === 'string' ? normalizeText(raw, MAX_CUSTOM_TEXT) : null
    case 'number':
      return readNumber(raw)
    case 'boolean':
      return readBoolean(raw)
    case 'date':
      return typeof raw === 'string' ? readDate(raw) : null
    case 'choice':
      return typeof raw === 'string' ? readChoice(field.options ?? [], raw) : null
    case 'email':
      return typeof raw === 'string' ? normalizeEmail(raw) : null
    case 'phone':
      return typeof raw === 'string' ? normalizePhone(raw, country) : null
    default:
      return null
  }
}

function readNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null
  if (typeof raw !== 'string') return null
  const text = raw.trim()
  // Number('') is 0 and Number('0x10') is 16, so only plain decimals get as far as Number().
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(text)) return null
  const value = Number(text)
  return Number.isFinite(value) ? value : null
}

function readBoolean(raw: unknown): boolean | null {
  if (typeof raw === 'boolean') return raw
  if (typeof raw !== 'string') return null
  const text = raw.trim().toLowerCase()
  if (text === 'true' || text === 'yes') return true
  if (text === 'false' || text === 'no') return false
  return null
}

/**
 * The calendar date an ISO date or date-time names, as YYYY-MM-DD. A date-time keeps its own date rather than
 * being shifted to UTC: "2025-03-01T23:00-08:00" is the 1st where the caller is.
 */
function readDate(raw: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i.exec(raw.trim())
  if (!match) return null
  const [, y = '', m = '', d = ''] = match
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
  // Date.UTC rolls 2025-02-30 over to March 2nd; a real date survives the round trip.
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) return null
  return `${y}-${m}-${d}`
}

function readChoice(options: string[], raw: string): string | null {
  const wanted = normalizeText(raw, MAX_CUSTOM_TEXT)?.toLowerCase()
  if (!wanted) return null
  return options.find((option) => normalizeText(option, MAX_CUSTOM_TEXT)?.toLowerCase() === wanted) ?? null
}
