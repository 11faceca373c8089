import fp from 'fastify-plugin'
import mqemitter, { type Message, type MQEmitter } from 'mqemitter'
import { redisEmitter } from './redis-emitter.ts'

/** Something that happened to a business's data that other parts (subscriptions, connectors) react to. */
export type DomainEvent =
  | { type: 'lead.captured'; businessId: string; leadId: string; callId: string }
  | { type: 'lead.updated'; businessId: string; leadId: string; fields: string[] }
  | { type: 'call.completed'; businessId: string; callId: string }

export type DomainEventType = DomainEvent['type']

// With Redis these, and only these, topics cross instances. Events carry ids and field names,
// never a caller's details, so nothing personal passes through Redis.
const SHARED_TOPICS: Record<DomainEventType, true> = { 'lead.captured': true, 'lead.updated': true, 'call.completed': true }

/**
 * Domain events, published after the transaction that caused them commits. They travel on an
 * MQEmitter, the same one GraphQL subscriptions listen on, so a Redis-backed emitter fans them out
 * across instances without changing any publisher. Durable reactions (connector deliveries) do not
 * rely on this: they are enqueued as jobs in the causing transaction.
 */
export class DomainEvents {
  readonly emitter: MQEmitter

  constructor(emitter: MQEmitter = mqemitter()) {
    this.emitter = emitter
  }

  publish(event: DomainEvent): Promise<void> {
    return new Promise((resolve, reject) => this.emitter.emit({ topic: event.type, payload: event }, (error) => (error ? reject(error) : resolve())))
  }

  /** Calls `listener` for each event of the type; returns the unsubscribe function. */
  on<T extends DomainEventType>(type: T, listener: (event: Extract<DomainEvent, { type: T }>) => void): () => void {
    const handler = (message: Message, done: () => void) => {
      listener(message.payload as Extract<DomainEvent, { type: T }>)
      done()
    }
    this.emitter.on(type, handler)
    return () => this.emitter.removeListener(type, handler)
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    events: DomainEvents
  }
}

export const eventsPlugin = fp(
  async (app) => {
    const { url, channelPrefix } = app.config.redis
    const onError = (error: Error) => app.log.warn({ err: error }, 'redis connection problem; events wait or fail until it reconnects')
    const events = new DomainEvents(url ? redisEmitter({ url, channelPrefix, sharedTopics: new Set(Object.keys(SHARED_TOPICS)), onError }) : mqemitter())
    app.decorate('events', events)
    app.addHook('onClose', () => new Promise<void>((resolve) => events.emitter.close(() => resolve())))
  },
  { name: 'events', dependencies: ['config'] },
)
