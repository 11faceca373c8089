import type { FastifyInstance } from 'fastify'
import type Stripe from 'stripe'
import type { JobQueue, Knex } from '../core/index.ts'

export const STRIPE_WEBHOOK_PATH = '/stripe/webhook'

/**
 * POST /stripe/webhook. The signature is checked by the SDK over the raw bytes (an HMAC compared
 * in constant time, with a 5-minute tolerance on its timestamp); a bad one is a 400 and nothing is
 * written. A good event is stored and its job enqueued in one transaction, then acknowledged at
 * once: Stripe waits for no processing. The same event delivered again changes nothing.
 */
export async function stripeWebhookRoute(app: FastifyInstance, deps: { stripe: Stripe; webhookSecret: string }): Promise<void> {
  await app.register(async (scope) => {
    // The signature covers the bytes as sent, so this route keeps its body raw.
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
    scope.post(STRIPE_WEBHOOK_PATH, async (request, reply) => {
      const signature = request.headers['stripe-signature']
      let event: Stripe.Event
      try {
        if (!Buffer.isBuffer(request.body) || typeof signature !== 'string') throw new Error('unsigned')
        event = deps.stripe.webhooks.constructEvent(request.body, signature, deps.webhookSecret)
      } catch {
        return reply.code(400).send({ error: 'invalid signature' })
      }
      const stored = await recordStripeEvent(app.db, app.jobs, event)
      request.log.info({ stripeEvent: event.id, type: event.type, duplicate: !stored }, 'stripe event received')
      return reply.code(200).send({ received: true })
    })
  })
}

/** Stores the event and queues its processing, once per event id. False for a repeat. */
export async function recordStripeEvent(db: Knex, jobs: JobQueue, event: Stripe.Event): Promise<boolean> {
  return db.transaction(async (trx) => {
    const [inserted] = await trx('provider_events')
      .insert({ provider: 'stripe', event_id: event.id, type: event.type, payload: event })
      .onConflict(['provider', 'event_id'])
      .ignore()
      .returning('id')
    if (!inserted) return false
    await jobs.enqueue('stripe-event', { eventId: event.id }, { trx, singletonKey: event.id })
    return true
  })
}
