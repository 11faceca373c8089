import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { Kind, type DocumentNode } from 'graphql'
import type { Knex } from 'knex'
import { Access, authenticate, type AccountDeps, type ClientInfo, type Config, type DomainEvents, type JobQueue, type Mailer, type Principal } from '../core/index.ts'

/** What every resolver receives besides its arguments. */
export interface GraphQLContext {
  /** Reads and writes; a read-only query reads from the replica here, when one is configured. */
  db: Knex
  /** Always the primary: for what a query writes (audit records) and must not lag. */
  primary: Knex
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
    primary: app.db,
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

/**
 * Sends a document made only of queries to the replica (DATABASE_REPLICA_URL). A mutation, or a
 * document holding one, stays on the primary for all its reads, so it reads its own writes;
 * authentication and access checks always read the primary (a revoked key must stop at once).
 */
export function readFromReplicaWhenReadOnly(app: FastifyInstance, context: GraphQLContext, document: DocumentNode): void {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)
  if (operations.length > 0 && operations.every((o) => o.operation === 'query')) context.db = app.dbReplica
}

/** A context for a caller already authenticated (a WebSocket connection, after connection_init). */
export function withPrincipal(context: GraphQLContext, principal: Principal): GraphQLContext {
  const access = Promise.resolve(new Access(context.db, principal))
  return { ...context, access: () => access }
}
