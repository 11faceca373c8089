import type { FastifyInstance } from 'fastify'

const GRAPHQL_RESPONSE = 'application/graphql-response+json'

/**
 * The parts of the GraphQL-over-HTTP spec that mercurius leaves to us. A client that accepts
 * application/graphql-response+json gets that media type, a legacy client application/json; and
 * null `extensions` (allowed by the spec) is treated as absent.
 */
export function applyGraphQLOverHttp(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const body = request.body as Record<string, unknown> | undefined
    if (request.routeOptions.url === '/graphql' && body && typeof body === 'object' && body.extensions === null) delete body.extensions
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.url !== '/graphql' || request.method === 'OPTIONS') return payload
    const type = String(reply.getHeader('content-type') ?? '')
    if (!type.startsWith('application/json')) return payload
    if (prefersGraphQLResponse(request.headers.accept)) reply.header('content-type', `${GRAPHQL_RESPONSE}; charset=utf-8`)
    return payload
  })
}

function prefersGraphQLResponse(accept: string | undefined): boolean {
  if (!accept) return false
  const ranked = accept
    .split(',')
    .map((part) => {
      const [type = '', ...params] = part.trim().split(';')
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
      return { type: type.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 }
    })
    .filter((entry) => entry.q > 0)
  const rank = (type: string) => ranked.find((entry) => entry.type === type)?.q ?? -1
  return rank(GRAPHQL_RESPONSE) >= 0 && rank(GRAPHQL_RESPONSE) >= rank('application/json')
}
