import type { Message, MQEmitter } from 'mqemitter'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, loadConfig } from '../config/config.ts'
import { freePort } from '../testing/free-port.ts'
import { testRedisUrl, uniqueChannelPrefix } from '../testing/redis.ts'
import { redisEmitter } from './redis-emitter.ts'

const SHARED = new Set(['call.completed'])

/**
 * Instances stand for processes here: each has its own Redis connections, as two api instances do.
 */
const fanOut = suite<{ url: string | null; prefix: string; open: MQEmitter[]; errors: Error[] }>('events: the Redis emitter')

fanOut.before(async (ctx) => {
  ctx.url = await testRedisUrl('the Redis emitter test')
})
fanOut.before.each((ctx) => {
  ctx.prefix = uniqueChannelPrefix()
  ctx.open = []
  ctx.errors = []
})
fanOut.after.each(async (ctx) => {
  await Promise.all(ctx.open.map((emitter) => new Promise<void>((resolve) => emitter.close(resolve))))
})

function instance(ctx: { url: string | null; prefix: string; open: MQEmitter[]; errors: Error[] }, options: { url?: string; prefix?: string } = {}): MQEmitter {
  const emitter = redisEmitter({ url: options.url ?? (ctx.url as string), channelPrefix: options.prefix ?? ctx.prefix, sharedTopics: SHARED, onError: (error) => ctx.errors.push(error) })
  ctx.open.push(emitter)
  return emitter
}

/** Listens on `topic`, resolved once Redis has confirmed the subscription. */
async function listen(emitter: MQEmitter, topic: string): Promise<unknown[]> {
  const heard: unknown[] = []
  await new Promise<void>((resolve) => emitter.on(topic, (message: Message, done) => (heard.push(message.payload), done()), resolve))
  return heard
}

const emit = (emitter: MQEmitter, topic: string, payload: unknown) => new Promise<void>((resolve, reject) => emitter.emit({ topic, payload }, (error) => (error ? reject(error) : resolve())))

async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

fanOut('a shared topic published on one instance reaches the listeners of every instance, the publisher\'s own included', async (ctx) => {
  if (!ctx.url) return
  const a = instance(ctx)
  const b = instance(ctx)
  const [onA, onB] = [await listen(a, 'call.completed'), await listen(b, 'call.completed')]
  await emit(b, 'call.completed', { type: 'call.completed', callId: 'c1' })
  await until(() => onA.length === 1 && onB.length === 1, 'both instances to hear the event')
  assert.equal(onA, [{ type: 'call.completed', callId: 'c1' }])
  assert.equal(onB, onA)
})

fanOut('any other topic stays in its process: another instance never hears it', async (ctx) => {
  if (!ctx.url) return
  const a = instance(ctx)
  const b = instance(ctx)
  const [localOnA, localOnB, sharedOnB] = [await listen(a, 'service.status'), await listen(b, 'service.status'), await listen(b, 'call.completed')]
  await emit(a, 'service.status', { state: 'DRAINING' })
  // Published after it on the same connection: had the first crossed, it would be in by now.
  await emit(a, 'call.completed', { callId: 'marker' })
  await until(() => sharedOnB.length >= 1, 'the marker')
  assert.equal(sharedOnB, [{ callId: 'marker' }])
  assert.equal(localOnA, [{ state: 'DRAINING' }])
  assert.equal(localOnB, [])
})

fanOut('instances with different channel prefixes (other deployments, other test runs) do not hear each other', async (ctx) => {
  if (!ctx.url) return
  const ours = instance(ctx)
  const theirs = instance(ctx, { prefix: uniqueChannelPrefix() })
  const [onOurs, onTheirs] = [await listen(ours, 'call.completed'), await listen(theirs, 'call.completed')]
  await emit(theirs, 'call.completed', { callId: 'theirs' })
  await emit(ours, 'call.completed', { callId: 'ours' })
  await until(() => onOurs.length >= 1 && onTheirs.length >= 1, 'each side its own event')
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal([onOurs, onTheirs], [[{ callId: 'ours' }], [{ callId: 'theirs' }]])
})

fanOut('with Redis unreachable, publishing fails after a short wait instead of hanging, errors are reported, and closing is prompt', async (ctx) => {
  if (!ctx.url) return
  const nothing = `redis://127.0.0.1:${await freePort()}`
  const emitter = redisEmitter({ url: nothing, channelPrefix: ctx.prefix, sharedTopics: SHARED, onError: (error) => ctx.errors.push(error) })
  const started = Date.now()
  const failure = await emit(emitter, 'call.completed', { callId: 'lost' }).then(
    () => null,
    (error: Error) => error,
  )
  assert.instance(failure, Error)
  // It waits half a second for a reconnect; without a bound it would wait for Redis forever.
  assert.ok(Date.now() - started < 2_000, `publishing gave up after ${Date.now() - started} ms`)
  assert.ok(ctx.errors.length > 0, 'the connection errors were reported')
  // Local topics still work without Redis.
  const local = await listen(emitter, 'service.status')
  await emit(emitter, 'service.status', { state: 'DRAINING' })
  await until(() => local.length === 1, 'the local event')
  const closing = Date.now()
  await new Promise<void>((resolve) => emitter.close(resolve))
  // Well under the 2 s a QUIT is given: an unreachable Redis is dropped, not asked.
  assert.ok(Date.now() - closing < 1_500, `closing took ${Date.now() - closing} ms`)
})

fanOut('REDIS_URL must be redis:// or rediss://, and the channel prefix a short plain name; the URL is never echoed', () => {
  const base = { NODE_ENV: 'test', BCRYPT_COST: '4' }
  assert.equal(loadConfig(base).redis, { url: null, channelPrefix: 'answerline:' })
  assert.equal(loadConfig({ ...base, REDIS_URL: 'rediss://:secret@cache.internal:6380/0', REDIS_CHANNEL_PREFIX: 'prod:' }).redis, { url: 'rediss://:secret@cache.internal:6380/0', channelPrefix: 'prod:' })
  for (const [name, value] of [['REDIS_URL', 'http://:hunter2@cache.internal:6379'], ['REDIS_URL', 'not a url'], ['REDIS_CHANNEL_PREFIX', 'has spaces '], ['REDIS_CHANNEL_PREFIX', 'x'.repeat(65)]] as const) {
    try {
      loadConfig({ ...base, [name]: value })
      assert.unreachable(`${name}=${value} was accepted`)
    } catch (error) {
      assert.instance(error, ConfigError)
      const problems = (error as ConfigError).problems
      assert.ok(problems.some((p) => p.startsWith(`${name}:`)), problems.join('; '))
      assert.not.ok(problems.join(' ').includes('hunter2'))
    }
  }
})

fanOut.run()
