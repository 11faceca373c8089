import type { FastifyPluginAsync } from 'fastify'
import { printSchema } from 'graphql'
import mercurius, { type IResolvers } from 'mercurius'
import type { GraphQLContext } from './context.ts'
import { formatExecutionErrors } from './error-formatter.ts'
import { applyGraphQLOverHttp } from './graphql-over-http.ts'
import { nodeResolvers } from './resolvers/node.resolver.ts'
import { planResolvers } from './resolvers/plan.resolver.ts'
import { SERVICE_STATUS_TOPIC, serviceStatus, serviceStatusResolvers } from './resolvers/service-status.resolver.ts'
import { buildApiSchema } from './schema.ts'

// Deep enough for a call -> lead -> contact -> leads view, shallow enough to stop abusive nesting.
const MAX_QUERY_DEPTH = 12
// Time for a DRAINING notice to reach subscribers' sockets before they are closed.
const DRAIN_FLUSH_MS = 50

/**
 * The GraphQL API at /graphql (HTTP, and WebSocket subscriptions over the graphql-ws protocol),
 * its SDL at /graphql/schema.graphql, and GraphiQL at /graphiql outside production.
 * Encapsulated: its hooks apply to its own routes only.
 */
export const graphqlPlugin: FastifyPluginAsync = async (app) => {
  const context = (): GraphQLContext => ({ db: app.db, config: app.config })

  await app.register(mercurius, {
    schema: buildApiSchema(),
    resolvers: mergeResolvers([nodeResolvers, planResolvers, serviceStatusResolvers]),
    path: '/graphql',
    graphiql: app.config.graphql.graphiql,
    errorFormatter: formatExecutionErrors,
    queryDepth: MAX_QUERY_DEPTH,
    allowBatchedQueries: false,
    context,
    // fullWsTransport: integrators' graphql-ws clients also send queries and mutations over the socket.
    subscription: { context, fullWsTransport: true },
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

/** Combines per-domain resolver maps; two domains defining the same field is a programming error. */
function mergeResolvers(maps: IResolvers[]): IResolvers {
  const merged: Record<string, Record<string, unknown>> = {}
  for (const map of maps) {
    for (const [typeName, fields] of Object.entries(map)) {
      const target = (merged[typeName] ??= {})
      for (const [field, resolver] of Object.entries(fields as Record<string, unknown>)) {
        if (field in target) throw new Error(`resolver ${typeName}.${field} is defined twice`)
        target[field] = resolver
      }
    }
  }
  return merged as IResolvers
}
