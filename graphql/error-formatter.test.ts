import { GraphQLError } from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { AppError } from '../core/errors/app-error.ts'
import { formatExecutionErrors } from './error-formatter.ts'

const formatter = suite('graphql: error formatter')

function contextLogging(into: unknown[]): MercuriusContext {
  const log = { error: (...args: unknown[]) => into.push(args), info: () => {}, warn: () => {}, debug: () => {} }
  return { app: { log } } as unknown as MercuriusContext
}

const resolverError = (original: Error) => new GraphQLError(original.message, { path: ['plans'], originalError: original })

formatter('an AppError keeps its code, message and details, and the data beside it', () => {
  const logged: unknown[] = []
  const { statusCode, response } = formatExecutionErrors(
    { data: { plans: null }, errors: [resolverError(new AppError('NOT_FOUND', 'Business was not found', { id: 'abc' }))] },
    contextLogging(logged),
  )
  assert.is(statusCode, 200)
  assert.equal(response.data, { plans: null })
  assert.equal(JSON.parse(JSON.stringify(response.errors)), [{ message: 'Business was not found', path: ['plans'], extensions: { code: 'NOT_FOUND', details: { id: 'abc' } } }])
  assert.equal(logged, [])
})

formatter('any other error is INTERNAL with a generic message, and is logged with its cause', () => {
  const logged: unknown[][] = []
  const leak = new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432 (select * from users)')
  const { statusCode, response } = formatExecutionErrors({ data: { plans: null }, errors: [resolverError(leak)] }, contextLogging(logged))
  assert.is(statusCode, 200)
  const body = JSON.stringify(response)
  assert.not.ok(body.includes('hunter2'))
  assert.not.ok(body.includes('select'))
  assert.equal(JSON.parse(body).errors[0].extensions, { code: 'INTERNAL' })
  assert.is(logged.length, 1)
  assert.is((logged[0]?.[0] as { err: Error }).err, leak)
})

formatter('a validation failure is a 400 without a data entry', () => {
  const { statusCode, response } = formatExecutionErrors({ errors: [new GraphQLError('Cannot query field "x" on type "Query".')] }, contextLogging([]))
  assert.is(statusCode, 400)
  assert.not.ok('data' in response)
})

formatter.run()
