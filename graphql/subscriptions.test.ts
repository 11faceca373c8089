import type { FastifyInstance } from 'fastify'
import { createClient, type Client } from 'graphql-ws'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import WebSocket from 'ws'
import { buildApp } from '../app.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'

const subscriptions = suite<{ t: TestApp; app: FastifyInstance; url: string }>('graphql: subscriptions over graphql-ws')

subscriptions.before.each(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  ctx.app = ctx.t.app
  ctx.url = (await ctx.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws') + '/graphql'
})
subscriptions.after.each((ctx) => ctx.t.close())

function connect(url: string): Client {
  return createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false })
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref())])
}

subscriptions('queries run over the graphql-transport-ws protocol', async ({ url }) => {
  const client = connect(url)
  try {
    const result = await withTimeout(
      new Promise((resolve, reject) => {
        client.subscribe({ query: '{ serviceStatus { state } }' }, { next: resolve, error: reject, complete: () => {} })
      }),
      5_000,
      'the query result',
    )
    assert.equal((result as { data: unknown }).data, { serviceStatus: { state: 'READY' } })
  } finally {
    await client.dispose()
  }
})

subscriptions('subscribers hear DRAINING before the instance closes their socket', async ({ app, url }) => {
  const client = connect(url)
  const received: unknown[] = []
  const closed = new Promise<void>((resolve) => client.on('closed', () => resolve()))
  const subscribed = new Promise<void>((resolve) => client.on('connected', () => resolve()))
  client.subscribe({ query: 'subscription { serviceStatusChanged { state version } }' }, { next: (value) => received.push(value), error: () => {}, complete: () => {} })
  await withTimeout(subscribed, 5_000, 'connection_ack')
  // Give the server a moment to register the subscription before shutting down.
  await new Promise((resolve) => setTimeout(resolve, 100))
  await app.close()
  await withTimeout(closed, 5_000, 'the socket to close')
  assert.equal(received, [{ data: { serviceStatusChanged: { state: 'DRAINING', version: '0.1.0' } } }])
})

subscriptions('an invalid subscription is refused with a typed error and the socket survives', async ({ url }) => {
  const client = connect(url)
  try {
    const errors = await withTimeout(
      new Promise<unknown>((resolve) => {
        client.subscribe({ query: 'subscription { noSuchEvent }' }, { next: () => {}, error: resolve, complete: () => {} })
      }),
      5_000,
      'the error',
    )
    assert.ok(Array.isArray(errors))
    const again = await withTimeout(
      new Promise((resolve, reject) => client.subscribe({ query: '{ serviceStatus { state } }' }, { next: resolve, error: reject, complete: () => {} })),
      5_000,
      'a query after the error',
    )
    assert.equal((again as { data: unknown }).data, { serviceStatus: { state: 'READY' } })
  } finally {
    await client.dispose()
  }
})

subscriptions.run()
