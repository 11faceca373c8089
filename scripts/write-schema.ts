/** Writes the API's SDL to graphql/schema.graphql, the reviewed copy of the public contract. */
import { writeFileSync } from 'node:fs'
import { printSchema } from 'graphql'
import { buildApiSchema } from '../graphql/index.ts'

const target = new URL('../graphql/schema.graphql', import.meta.url)
writeFileSync(target, `${printSchema(buildApiSchema())}\n`)
process.stdout.write(`wrote ${target.pathname}\n`)
