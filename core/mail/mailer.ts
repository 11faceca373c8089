import { randomUUID } from 'node:crypto'
import { createResendMailer } from './resend-mailer.ts'
import { DEFAULT_BRANDING, renderEmail, type Branding, type EmailTemplate } from './templates.ts'

export interface MailMessage {
  to: string
  template: EmailTemplate
  /** The agency's white-label branding; ours when absent. */
  branding?: Branding
}

export interface SentMail {
  id: string
  to: string
  subject: string
  text: string
  html: string
  sentAt: Date
}

export interface Mailer {
  /** Renders and sends one email; rejects with AppError('UPSTREAM_UNAVAILABLE') when it could not be sent. */
  send(message: MailMessage): Promise<SentMail>
  /** What the dev outbox holds, oldest first; always empty when mail goes through Resend. */
  readonly outbox: readonly SentMail[]
}

/** Just enough of a pino logger; the mailer logs template kinds and masked recipients, never bodies. */
export interface MailLog {
  warn(obj: object, msg: string): void
}

export interface CreateMailerOptions {
  /** With a key, mail goes through Resend; without one, to the in-memory dev outbox. */
  resendApiKey: string | null
  resendBaseUrl: string | null
  /** The From header, e.g. `Answerline <no-reply@example.com>`. */
  from: string
  /** Where the dev outbox prints each email; defaults to stdout. */
  print?: (text: string) => void
  log?: MailLog
  /** Bounds each Resend attempt; tests shorten it. */
  timeoutMs?: number
  /** Pause before the one retry when Resend sends no Retry-After; tests shorten it. */
  retryDelayMs?: number
}

// The dev outbox lives in memory for the life of the process; enough to scroll back through a demo.
const OUTBOX_LIMIT = 200

/** The mailer the config asks for: Resend when a key is set, otherwise the dev outbox. */
export function createMailer(options: CreateMailerOptions): Mailer {
  if (options.resendApiKey) {
    return createResendMailer({ ...options, apiKey: options.resendApiKey })
  }
  return createDevOutbox(options.print ?? ((text) => void process.stdout.write(text)))
}

// The zero-configuration demo has no mail provider, so this is how a person signing up sees their code.
function createDevOutbox(print: (text: string) => void): Mailer {
  const outbox: SentMail[] = []
  return {
    outbox,
    async send(message) {
      const sent: SentMail = {
        id: `dev_${randomUUID()}`,
        to: message.to,
        ...renderEmail(message.template, message.branding ?? DEFAULT_BRANDING),
        sentAt: new Date(),
      }
      outbox.push(sent)
      if (outbox.length > OUTBOX_LIMIT) outbox.splice(0, outbox.length - OUTBOX_LIMIT)
      print(formatOutboxEntry(sent))
      return sent
    },
  }
}

function formatOutboxEntry(mail: SentMail): string {
  const rule = '-'.repeat(72)
  return `\n${rule}\n[dev outbox] email not delivered; set RESEND_API_KEY to send it\nTo:      ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text.trimEnd()}\n${rule}\n\n`
}
