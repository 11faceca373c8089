import type { FastifyInstance } from 'fastify'

const GRAPHQL_RESPONSE = 'application/graphql-response+json'

/**
 * GraphQL-over-HTTP media types: a client that accepts application/graphql-response+json gets
 * it (with meaningful status codes), a legacy client gets application/json. mercurius speaks only
 * the latter, so the response type is chosen here.
 */
export function negotiateGraphQLResponse(app: FastifyInstance): void {
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
