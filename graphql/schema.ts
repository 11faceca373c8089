import { readdirSync, readFileSync } from 'node:fs'
import { buildSchema, type GraphQLSchema } from 'graphql'

const SCHEMA_DIR = new URL('./schema/', import.meta.url)

/** The API's SDL, one file per domain under graphql/schema/, in file-name order. */
export function readSchemaSource(): string {
  return readdirSync(SCHEMA_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(new URL(file, SCHEMA_DIR), 'utf8'))
    .join('\n')
}

/** Builds the executable schema (without resolvers; mercurius attaches them). */
export function buildApiSchema(): GraphQLSchema {
  return buildSchema(readSchemaSource())
}
