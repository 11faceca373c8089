import type { Knex } from 'knex'
import type { Config } from '../core/config/config.ts'

/** What every resolver receives besides its arguments. */
export interface GraphQLContext {
  db: Knex
  config: Config
}

declare module 'mercurius' {
  interface MercuriusContext extends GraphQLContext {}
}
