import type { FastifyInstance } from 'fastify'

export interface GraphQLResult {
  status: number
  data: any
  errors: Array<{ message: string; path?: string[]; extensions: { code: string; details?: Record<string, unknown> } }> | undefined
  extensions: Record<string, any> | undefined
}

/** Posts a GraphQL operation to the app, as a client would, with an optional bearer credential. */
export async function graphqlRequest(
  app: FastifyInstance,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; ip?: string } = {},
): Promise<GraphQLResult> {
  const response = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...(options.token && { authorization: `Bearer ${options.token}` }) },
    ...(options.ip && { remoteAddress: options.ip }),
    payload: { query, variables },
  })
  const body = response.json()
  return { status: response.statusCode, data: body.data, errors: body.errors, extensions: body.extensions }
}

/** The error codes of a result, in order. */
export const errorCodes = (result: GraphQLResult) => (result.errors ?? []).map((e) => e.extensions.code)
