import fp from 'fastify-plugin'
import { createMailer, type Mailer } from './mailer.ts'

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer
  }
}

/** Decorates `app.mailer`: Resend when RESEND_API_KEY is set, otherwise the dev outbox printed to stdout. */
export const mailPlugin = fp(
  async (app) => {
    const { resendApiKey, resendBaseUrl, from } = app.config.mail
    const quiet = app.config.env === 'test'
    if (!resendApiKey && app.config.env === 'production') {
      // Nothing would reach an inbox, and the printed codes would end up wherever stdout is collected.
      app.log.warn('RESEND_API_KEY is not set: emails are printed to stdout instead of being delivered')
    }
    const mailer = createMailer({ resendApiKey, resendBaseUrl, from, log: app.log, ...(quiet ? { print: () => {} } : {}) })
    // The metrics plugin is absent only where a test registers this plugin on its own.
    const counted = resendApiKey && app.hasDecorator('metrics')
    app.decorate('mailer', counted ? countingFailures(mailer, () => app.metrics.providerError('resend', 'send_failed')) : mailer)
  },
  { name: 'mail', dependencies: ['config'] },
)

/** The same mailer, reporting each email Resend did not take (the error still reaches the sender). */
function countingFailures(mailer: Mailer, onFailure: () => void): Mailer {
  return {
    get outbox() {
      return mailer.outbox
    },
    send: (message) =>
      mailer.send(message).catch((error: unknown) => {
        onFailure()
        throw error
      }),
  }
}
