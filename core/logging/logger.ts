import type { LoggerOptions } from 'pino'

/**
 * Paths pino censors before a line is written: credentials in headers and bodies. Values that
 * can turn up anywhere (emails, phone numbers) are masked by `maskPersonalData` instead.
 */
const SECRET_KEYS = ['password', 'passwordHash', 'token', 'accessToken', 'refreshToken', 'apiKey', 'secret', 'databaseUrl']
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  'req.headers["stripe-signature"]',
  'req.headers["webhook-signature"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`]),
]

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g
// E.164 and loosely formatted international numbers: a plus, then 7 to 15 digits with separators.
const PHONE = /\+\d[\d\s().-]{5,18}\d/g
// Credentials inside connection strings: postgres://user:secret@host
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s]+:)[^@/\s]+@/gi

/** Masks emails, phone numbers and URL passwords in a string; keeps the last two digits for support. */
export function maskPersonalData(text: string): string {
  return text
    .replace(URL_PASSWORD, '$1[redacted]@')
    .replace(EMAIL, '[email]')
    .replace(PHONE, (match) => `[phone …${match.replace(/\D/g, '').slice(-2)}]`)
}

/** Pino options shared by every process: level, redaction and personal-data masking. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Masking the finished line covers messages, serialized requests and error text alike.
    hooks: { streamWrite: maskPersonalData },
  }
}
