import { randomBytes } from 'node:crypto'
import { z } from 'zod'

/** How long a replaced signing secret keeps signing, so receivers can switch without dropping events. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000

export const webhookCredentialsSchema = z.object({
  secrets: z
    .array(z.object({ secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{24,}$/), expiresAt: z.string().nullable() }))
    .min(1),
})
export type WebhookCredentials = z.infer<typeof webhookCredentialsSchema>

/** A Standard Webhooks secret: `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`
}

/** Credentials with a fresh secret first; the current one keeps signing until the overlap ends. */
export function rotateSecret(current: WebhookCredentials | null, now = Date.now()): WebhookCredentials {
  const live = (current?.secrets ?? []).filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now)
  const ending = new Date(now + ROTATION_OVERLAP_MS).toISOString()
  return { secrets: [{ secret: newWebhookSecret(), expiresAt: null }, ...live.map((s) => ({ secret: s.secret, expiresAt: s.expiresAt ?? ending }))] }
}

/** The secrets that sign now: the current one and any still in their overlap. */
export function signingSecrets(credentials: WebhookCredentials, now = Date.now()): string[] {
  return credentials.secrets.filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now).map((s) => s.secret)
}
