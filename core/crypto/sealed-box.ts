import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

export interface SealingKey {
  kid: string
  key: Buffer
}

// Version byte, then a 12-byte nonce (GCM's standard size), the ciphertext, and the 16-byte tag.
const VERSION = 1
const NONCE_BYTES = 12
const TAG_BYTES = 16

/**
 * AES-256-GCM sealing for secrets at rest (connector tokens and webhook secrets). The key id is
 * stored beside the ciphertext and bound to it as associated data, so a ciphertext cannot be
 * opened under another key's id; keys rotate by putting a new one first and re-sealing.
 */
export function seal(keys: readonly SealingKey[], plaintext: string, context: string): { ciphertext: Buffer; kid: string } {
  const current = keys[0]
  if (!current) throw new Error('no sealing key is configured')
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', current.key, nonce)
  cipher.setAAD(Buffer.from(`${current.kid}|${context}`))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return { ciphertext: Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]), kid: current.kid }
}

/** Opens what `seal` sealed, with the key it names; throws when the key is gone or the data was altered. */
export function open(keys: readonly SealingKey[], sealed: { ciphertext: Buffer; kid: string }, context: string): string {
  const key = keys.find((k) => k.kid === sealed.kid)
  if (!key) throw new Error(`sealing key ${sealed.kid} is not configured`)
  const data = sealed.ciphertext
  if (data[0] !== VERSION || data.length < 1 + NONCE_BYTES + TAG_BYTES) throw new Error('not a sealed value')
  const decipher = createDecipheriv('aes-256-gcm', key.key, data.subarray(1, 1 + NONCE_BYTES))
  decipher.setAAD(Buffer.from(`${sealed.kid}|${context}`))
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES))
  return Buffer.concat([decipher.update(data.subarray(1 + NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]).toString('utf8')
}
