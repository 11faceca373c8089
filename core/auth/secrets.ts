import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A random string over [A-Za-z0-9]; `length` 32 carries about 190 bits. */
export function randomAlphanumeric(length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]
  return out
}

/** An opaque bearer secret (refresh tokens, invitation links): 32 random bytes, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url')
}

/** A numeric one-time code, uniformly drawn. */
export function randomDigits(length: number): string {
  return Array.from({ length }, () => randomInt(10)).join('')
}

/** For high-entropy secrets (tokens, API keys) a plain SHA-256 is enough to store them safely. */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

/** For low-entropy secrets (6-digit codes) a keyed hash, so a stolen table cannot be brute-forced offline. */
export function keyedHash(key: string, value: string): Buffer {
  return createHmac('sha256', key).update(value, 'utf8').digest()
}

/** Compares two digests in constant time; different lengths are simply unequal. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}
