import type { DomainPlugin } from '../core/index.ts'
import { graphqlPlugin } from './graphql.plugin.ts'

export { buildApiSchema } from './schema.ts'
export { toGlobalId, fromGlobalId } from './relay/global-id.ts'

/** The GraphQL API is served by api instances. */
export const graphqlDomain: DomainPlugin = {
  roles: ['api'],
  register: async (app) => {
    await app.register(graphqlPlugin)
  },
}
