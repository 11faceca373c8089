import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

const DEFAULT_URL = 'redis://127.0.0.1:6379'

/**
 * The Redis tests fan out through: REDIS_URL, or the one on loopback. CI runs one, so an
 * unreachable Redis fails the test; only REDIS_URL set to nothing (`REDIS_URL=`) opts out, and
 * then this returns null after saying why.
 */
export async function testRedisUrl(what: string): Promise<string | null> {
  if (process.env.REDIS_URL === '') {
    console.log(`skipping ${what}: REDIS_URL is set empty, so there is no Redis to fan out through`)
    return null
  }
  const url = process.env.REDIS_URL ?? DEFAULT_URL
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000 })
  try {
    await probe.connect()
    await probe.ping()
  } catch (error) {
    throw new Error(`${what} needs Redis at ${new URL(url).host} (start redis-server, or set REDIS_URL= to skip): ${(error as Error).message}`)
  } finally {
    probe.disconnect()
  }
  return url
}

/** A channel prefix of this run's own, so test runs sharing one Redis never hear each other. */
export const uniqueChannelPrefix = () => `answerline-test-${randomBytes(6).toString('hex')}:`
