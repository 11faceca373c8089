import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { GraphQLError, GraphQLObjectType, GraphQLScalarType, Kind, NoSchemaIntrospectionCustomRule, printSchema, valueFromASTUntyped, type GraphQLSchema, type ValidationRule } from 'graphql'
import cors from '@fastify/cors'
import mercurius, { type IResolvers } from 'mercurius'
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases'
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives'
import { createContext, readFromReplicaWhenReadOnly, withPrincipal } from './context.ts'
import { formatExecutionErrors, subscriptionError } from './error-formatter.ts'
import { applyGraphQLOverHttp } from './graphql-over-http.ts'
import { CostBudget, type CostReport } from './hardening/cost-budget.ts'
import { batchResolvers } from './relay/batch-resolvers.ts'
import { SOCKET, watchSocketCredential } from './socket-credentials.ts'
import { estimateQueryCost } from './hardening/query-cost.ts'
import { accountResolvers } from './resolvers/account.resolver.ts'
import { agentResolvers } from './resolvers/agent.resolver.ts'
import { authResolvers } from './resolvers/auth.resolver.ts'
import { callLoaders, callResolvers } from './resolvers/call.resolver.ts'
import { closureResolvers } from './resolvers/closure.resolver.ts'
import { connectorLoaders, connectorResolvers } from './resolvers/connector.resolver.ts'
import { jobResolvers } from './resolvers/job.resolver.ts'
import { leadLoaders, leadResolvers } from './resolvers/lead.resolver.ts'
import { meResolvers } from './resolvers/me.resolver.ts'
import { policyResolvers } from './resolvers/policy.resolver.ts'
import { numberResolvers } from './resolvers/number.resolver.ts'
import { privacyResolvers } from './resolvers/privacy.resolver.ts'
import { createTwilioClient } from '../voice/index.ts'
import { createStripe } from '../billing/index.ts'
import { createConnectorRegistry } from '../connectors/index.ts'
import { nodeResolvers } from './resolvers/node.resolver.ts'
import { planResolvers } from './resolvers/plan.resolver.ts'
import { SERVICE_STATUS_TOPIC, serviceStatus, serviceStatusResolvers } from './resolvers/service-status.resolver.ts'
import { teamResolvers } from './resolvers/team.resolver.ts'
import { billingResolvers } from './resolvers/billing.resolver.ts'
import { usageResolvers } from './resolvers/usage.resolver.ts'
import { buildApiSchema } from './schema.ts'
import { AppError, authenticate, type ClientInfo, configuredS3Client, principalId } from '../core/index.ts'

// Deep enough for a call -> lead -> contact -> leads view, shallow enough to stop abusive nesting.
const MAX_QUERY_DEPTH = 12
const MAX_ALIASES = 20
const MAX_DIRECTIVES = 20
// Query cost, in points (see estimateQueryCost): one query at most, and per credential a bucket
// that refills steadily. A page of 100 rows with a dozen fields costs about 1,300.
const COST = { maximum: 5_000, capacity: 20_000, restoreRate: 1_000 }
// Time for a DRAINING notice to reach subscribers' sockets before they are closed.
const DRAIN_FLUSH_MS = 50

/** DateTime as declared in the SDL (its description included), serialized as ISO 8601. */
function dateTimeScalar(schema: GraphQLSchema): GraphQLScalarType {
  return new GraphQLScalarType({
    name: 'DateTime',
    description: schema.getType('DateTime')?.description ?? null,
    serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString()),
  })
}

/** JSONObject: any JSON object, passed through as is. */
function jsonObjectScalar(schema: GraphQLSchema): GraphQLScalarType {
  const object = (value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GraphQLError('JSONObject must be a JSON object')
    return value
  }
  return new GraphQLScalarType({
    name: 'JSONObject',
    description: schema.getType('JSONObject')?.description ?? null,
    serialize: object,
    parseValue: object,
    parseLiteral: (ast, variables) => object(ast.kind === Kind.OBJECT ? valueFromASTUntyped(ast, variables) : null),
  })
}

declare module 'mercurius' {
  interface MercuriusContext {
    cost?: CostReport
  }
}

const clientOf = (request: FastifyRequest): ClientInfo => ({ ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null })

/**
 * The GraphQL API at /graphql (HTTP, and WebSocket over the graphql-transport-ws protocol), its
 * SDL at /graphql/schema.graphql, and GraphiQL at /graphiql outside production.
 * Encapsulated: its hooks apply to its own routes only.
 */
export const graphqlPlugin: FastifyPluginAsync = async (app) => {
  const budget = new CostBudget(COST)
  const validationRules: ValidationRule[] = [maxAliasesRule({ n: MAX_ALIASES }), maxDirectivesRule({ n: MAX_DIRECTIVES })]
  if (!app.config.graphql.introspection) validationRules.push(NoSchemaIntrospectionCustomRule)
  const allowedOrigins = new Set(app.config.graphql.allowedOrigins)

  // Widgets on a host CRM's own origin call the API from the browser with a bearer token (never
  // cookies), so only the origins the deployment lists (ALLOWED_ORIGINS) may read answers.
  await app.register(cors, { origin: [...allowedOrigins], methods: ['GET', 'POST'], allowedHeaders: ['authorization', 'content-type', 'accept'], credentials: false, maxAge: 600 })

  const schema = buildApiSchema()
  const twilio = createTwilioClient(app.config.twilio, (kind) => app.metrics.providerError('twilio', kind))
  const numbers = () => ({ db: app.db, twilio, publicBaseUrl: app.config.http.publicBaseUrl })
  const registry = createConnectorRegistry(app.config)
  const connectorAdmin = () => ({ db: app.db, config: app.config, registry })
  const stripe = createStripe(app.config.billing.stripe, (kind) => app.metrics.providerError('stripe', kind))
  const billing = () => ({ db: app.db, stripe, config: app.config })
  // Recording links are signed with the store's credentials; no store, no links.
  const s3 = configuredS3Client(app.config)
  app.addHook('onClose', async () => s3?.destroy())
  await app.register(mercurius, {
    schema,
    resolvers: withSubscriptionErrors(app, mergeResolvers([
      { DateTime: dateTimeScalar(schema), JSONObject: jsonObjectScalar(schema) } as IResolvers,
      nodeResolvers,
      planResolvers,
      serviceStatusResolvers,
      accountResolvers,
      authResolvers,
      teamResolvers,
      closureResolvers,
      numberResolvers(numbers),
      callResolvers,
      leadResolvers,
      jobResolvers,
      connectorResolvers(connectorAdmin),
      agentResolvers,
      usageResolvers,
      billingResolvers(billing),
      privacyResolvers(s3 && { s3, bucket: app.config.storage.bucket }),
      meResolvers(s3 && { s3, bucket: app.config.storage.bucket }),
      policyResolvers,
      connectionCountResolvers(schema),
      batchResolvers({ ...callLoaders(s3 && { s3, bucket: app.config.storage.bucket }), ...leadLoaders, ...connectorLoaders }),
    ])),
    path: '/graphql',
    graphiql: app.config.graphql.graphiql,
    errorFormatter: formatExecutionErrors,
    queryDepth: MAX_QUERY_DEPTH,
    validationRules,
    allowBatchedQueries: false,
    // A query is compiled (graphql-jit) the second time it is seen: widgets and integrations send
    // the same few queries again and again, and compiled execution takes GraphQL's share of the
    // api's CPU on a page of calls from about 12% to under 2%.
    jit: 1,
    context: (request) => createContext(app, { authorization: request.headers.authorization, client: clientOf(request), log: request.log }),
    subscription: {
      // Domain events and subscriptions share one emitter (see core/events).
      emitter: app.events.emitter,
      // Integrators' graphql-ws clients also send queries and mutations over the socket.
      fullWsTransport: true,
      context: (socket, request) => Object.assign(createContext(app, { authorization: undefined, client: clientOf(request), log: app.log }), { [SOCKET]: socket }),
      // The credential arrives in connection_init's payload ({ authorization: "Bearer ..." }).
      onConnect: async ({ payload }) => {
        try {
          const principal = await authenticate(app.db, app.config.auth.jwtKeys, typeof payload?.authorization === 'string' ? payload.authorization : undefined)
          return { principal }
        } catch {
          return false
        }
      },
    },
  })

  // Browsers always send Origin: refusing unknown ones stops other sites from opening a socket with
  // a visitor's credentials. Servers send none and are judged by their token alone. (mercurius's
  // verifyClient applies only when it registers the WebSocket server itself, which core does.)
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin
    if (request.ws && origin && !allowedOrigins.has(origin)) return reply.code(403).send({ error: 'origin not allowed' })
  })

  // A socket's credential is checked again while it is open (see socket-credentials.ts).
  const credentialHolds = async (authorization: string) => {
    try {
      await authenticate(app.db, app.config.auth.jwtKeys, authorization)
      return true
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHENTICATED') return false
      throw error
    }
  }
  const watchSocket = (context: unknown) => watchSocketCredential(context, app.config.graphql.socketCredentialCheckSeconds, credentialHolds, app.log)
  app.graphql.addHook('preSubscriptionExecution', async (_schema, _document, context) => {
    const principal = (context as unknown as { principal?: Parameters<typeof withPrincipal>[1] }).principal
    if (principal) Object.assign(context, withPrincipal(context, principal))
    watchSocket(context)
  })
  app.graphql.addHook('preExecution', async (schema, document, context, variables) => {
    // Over HTTP a subscription could never deliver an event; say where it works instead.
    if ((context as { reply?: unknown }).reply && document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'subscription')) {
      throw new AppError('BAD_USER_INPUT', 'Subscriptions run over WebSocket (graphql-transport-ws) at /graphql')
    }
    const principal = (context as unknown as { principal?: Parameters<typeof withPrincipal>[1] }).principal
    if (principal) Object.assign(context, withPrincipal(context, principal))
    watchSocket(context)
    readFromReplicaWhenReadOnly(app, context, document)
    const access = await context.access()
    const credential = principalId(access.principal) ?? `ip:${context.client.ip ?? 'unknown'}`
    context.cost = budget.charge(credential, estimateQueryCost(schema, document, variables as Record<string, unknown>))
  })
  app.graphql.addHook('onResolution', async (execution, context) => {
    if (context.cost) execution.extensions = { ...execution.extensions, cost: context.cost }
  })

  applyGraphQLOverHttp(app)

  const sdl = `${printSchema(app.graphql.schema)}\n`
  app.get('/graphql/schema.graphql', async (_request, reply) => reply.type('text/plain; charset=utf-8').send(sdl))

  // Tell subscribed clients to reconnect elsewhere before their sockets are closed.
  app.lifecycle.onDrain(async () => {
    await new Promise<void>((resolve) => {
      app.graphql.pubsub.publish({ topic: SERVICE_STATUS_TOPIC, payload: { serviceStatusChanged: serviceStatus('DRAINING') } }, () => resolve())
    })
    // Delivery to each socket is asynchronous; give it a moment before the sockets close.
    await new Promise((resolve) => setTimeout(resolve, DRAIN_FLUSH_MS))
  })
}

/** Subscription refusals carry the same error codes as queries (see subscriptionError). */
function withSubscriptionErrors(app: FastifyInstance, resolvers: IResolvers): IResolvers {
  const fields = (resolvers.Subscription ?? {}) as Record<string, { subscribe: (...args: any[]) => unknown }>
  for (const field of Object.values(fields)) {
    const subscribe = field.subscribe
    field.subscribe = async (...args: unknown[]) => {
      try {
        return await subscribe(...args)
      } catch (error) {
        throw subscriptionError(error, app.log)
      }
    }
  }
  return resolvers
}

/** Combines per-domain resolver maps; two domains defining the same field is a programming error. */
/**
 * Every connection's totalCount, which a connection holds as a function so that the count runs
 * only when asked for: compiled queries (graphql-jit) read a field's value as it is, without
 * calling it as graphql-js's default resolver does.
 */
function connectionCountResolvers(schema: GraphQLSchema): IResolvers {
  const resolvers: Record<string, { totalCount: (connection: { totalCount: unknown }) => unknown }> = {}
  for (const type of Object.values(schema.getTypeMap())) {
    if (type instanceof GraphQLObjectType && type.name.endsWith('Connection') && type.getFields().totalCount) {
      resolvers[type.name] = { totalCount: (connection) => (typeof connection.totalCount === 'function' ? connection.totalCount() : connection.totalCount) }
    }
  }
  return resolvers as IResolvers
}

function mergeResolvers(maps: IResolvers[]): IResolvers {
  const merged: Record<string, unknown> = {}
  for (const map of maps) {
    for (const [typeName, fields] of Object.entries(map)) {
      if (fields instanceof GraphQLScalarType) {
        merged[typeName] = fields
        continue
      }
      const target = (merged[typeName] ??= {}) as Record<string, unknown>
      for (const [field, resolver] of Object.entries(fields as Record<string, unknown>)) {
        if (field in target) throw new Error(`resolver ${typeName}.${field} is defined twice`)
        target[field] = resolver
      }
    }
  }
  return merged as IResolvers
}
