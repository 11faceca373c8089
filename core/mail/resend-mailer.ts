import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { Resend } from 'resend'
import { AppError } from '../errors/app-error.ts'
import type { CreateMailerOptions, Mailer, MailMessage, SentMail } from './mailer.ts'
import { DEFAULT_BRANDING, renderEmail, type RenderedEmail } from './templates.ts'

// Passed explicitly so the SDK never falls back to reading RESEND_BASE_URL from process.env itself.
const RESEND_BASE_URL = 'https://api.resend.com'
// A sign-up waits on this call: a provider that has not answered in 10 s fails the send, not the request.
const ATTEMPT_TIMEOUT_MS = 10_000
const RETRY_DELAY_MS = 250
// A longer Retry-After would stall the request that is waiting on us; the one retry is not worth that.
const MAX_RETRY_AFTER_MS = 2_000

type Attempt = { ok: true; id: string } | { ok: false; status: number | null; reason: string; retryInMs: number | null }

/**
 * Sends through Resend (https://resend.com/docs/api-reference/emails/send-email). The SDK reports
 * failures as `{ error }` instead of throwing, and swallows network errors and aborts into
 * `application_error` with no status, so a timeout is recognised by our own abort signal.
 */
export function createResendMailer(options: CreateMailerOptions & { apiKey: string }): Mailer {
  const resend = new Resend(options.apiKey, { baseUrl: options.resendBaseUrl ?? RESEND_BASE_URL })
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS
  const retryDelayMs = options.retryDelayMs ?? RETRY_DELAY_MS

  async function attemptSend(email: RenderedEmail & { from: string; to: string }, idempotencyKey: string): Promise<Attempt> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    try {
      const response = await resend.emails.send(email, { idempotencyKey, signal: controller.signal })
      if (response.error === null) return { ok: true, id: response.data.id }
      if (controller.signal.aborted) return { ok: false, status: null, reason: 'timeout', retryInMs: null }
      const { statusCode, name } = response.error
      return { ok: false, status: statusCode, reason: name, retryInMs: retryDelayFor(statusCode, name, response.headers) }
    } catch {
      // Not expected from this SDK version, but a throw must still become a clean AppError.
      const timedOut = controller.signal.aborted
      return { ok: false, status: null, reason: timedOut ? 'timeout' : 'network', retryInMs: timedOut ? null : retryDelayMs }
    } finally {
      clearTimeout(timer)
    }
  }

  // Returns null when retrying cannot help: validation and auth errors, exhausted quotas, or a
  // timeout (a provider that hung once for the whole timeout will likely hang again, and the caller
  // has already waited that long).
  function retryDelayFor(status: number | null, reason: string, headers: Record<string, string> | null): number | null {
    // Quota errors are 429s too, but no retry within seconds lifts a daily or monthly quota.
    const transient = status === null || status >= 500 || (status === 429 && !reason.endsWith('quota_exceeded'))
    if (!transient) return null
    const retryAfter = headers?.['retry-after']
    // Only the delta-seconds form; an HTTP-date Retry-After falls back to our own delay.
    if (retryAfter === undefined || !/^\d+$/.test(retryAfter.trim())) return retryDelayMs
    const ms = Number(retryAfter) * 1000
    return ms <= MAX_RETRY_AFTER_MS ? ms : null
  }

  return {
    outbox: [],
    async send(message: MailMessage): Promise<SentMail> {
      const rendered = renderEmail(message.template, message.branding ?? DEFAULT_BRANDING)
      const email = { from: options.from, to: message.to, ...rendered }
      // One key for both attempts: if the first reached Resend after all, the retry gets its result
      // back instead of sending a second email (keys last 24 hours).
      const idempotencyKey = randomUUID()
      let result = await attemptSend(email, idempotencyKey)
      let attempts = 1
      if (!result.ok && result.retryInMs !== null) {
        await sleep(result.retryInMs)
        result = await attemptSend(email, idempotencyKey)
        attempts = 2
      }
      if (result.ok) return { id: result.id, to: message.to, ...rendered, sentAt: new Date() }
      // The body holds codes and links, and Resend's messages can quote the address: log neither.
      options.log?.warn(
        { kind: message.template.kind, to: maskRecipient(message.to), status: result.status, reason: result.reason, attempts },
        'email could not be sent',
      )
      throw new AppError('UPSTREAM_UNAVAILABLE', 'The email could not be sent', { status: result.status })
    },
  }
}

/** `jane.doe@example.com` becomes `j…@example.com`: enough to tell recipients apart in a log, not to write to them. */
export function maskRecipient(address: string): string {
  const at = address.lastIndexOf('@')
  return at < 1 ? '…' : `${address[0]}…${address.slice(at)}`
}
