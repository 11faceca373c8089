import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { Access, authenticate, type AccountDeps, type ClientInfo, type Config, type DomainEvents, type JobQueue, type Mailer, type Principal } from '../core/index.ts'

/** What every resolver receives besides its arguments. */
export interface GraphQLContext {
  db: Knex
  config: Config
  mailer: Mailer
  /** Published after a mutation's transaction commits, for subscriptions and other listeners. */
  events: DomainEvents
  jobs: JobQueue
  log: FastifyBaseLogger
  client: ClientInfo
  /** The caller's access, resolved once per request and only when a resolver asks, so public queries need no credential. */
  access(): Promise<Access>
  /** What account operations need, bound to this request. */
  deps(): AccountDeps
}

declare module 'mercurius' {
  interface MercuriusContext extends GraphQLContext {}
}

/** Builds a context whose caller is authenticated from an Authorization value. */
export function createContext(app: FastifyInstance, input: { authorization: string | undefined; client: ClientInfo; log: FastifyBaseLogger }): GraphQLContext {
  let access: Promise<Access> | undefined
  const context: GraphQLContext = {
    db: app.db,
    config: app.config,
    mailer: app.mailer,
    events: app.events,
    jobs: app.jobs,
    log: input.log,
    client: input.client,
    access: () => (access ??= authenticate(app.db, app.config.auth.jwtKeys, input.authorization).then((principal) => new Access(app.db, principal))),
    deps: () => ({ db: app.db, config: app.config, mailer: app.mailer, log: input.log, client: input.client }),
  }
  return context
}

/** A context for a caller already authenticated (a WebSocket connection, after connection_init). */
export function withPrincipal(context: GraphQLContext, principal: Principal): GraphQLContext {
  const access = Promise.resolve(new Access(context.db, principal))
  return { ...context, access: () => access }
}
