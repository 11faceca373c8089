import { Redis } from 'ioredis'
import mqemitter, { type Message, type MQEmitter } from 'mqemitter'
import mqemitterRedis from 'mqemitter-redis'

type Listener = (message: Message, done: () => void) => void

export interface RedisEmitterOptions {
  url: string
  /** Put before every channel, so deployments (or test runs) sharing one Redis never hear each other. */
  channelPrefix: string
  /** Topics that fan out across instances; any other topic stays in this process. */
  sharedTopics: ReadonlySet<string>
  /** Connection problems; Redis reconnects on its own, so they are reported, not thrown. */
  onError: (error: Error) => void
}

// A publication waits this long for a (re)connecting Redis, then fails: a webhook that publishes
// must not hang while Redis is away.
const PUBLISH_WAIT_MS = 500
// Closing sends QUIT; a Redis that does not answer it is disconnected after this.
const CLOSE_TIMEOUT_MS = 2_000

/**
 * An MQEmitter whose shared topics travel through Redis pub/sub (mqemitter-redis, as mercurius
 * documents), so a subscriber on one instance hears what any other instance published. Other
 * topics, such as an instance's own DRAINING notice, never leave the process. A shared topic's
 * listeners hear their own process's messages through Redis too, so all instances see the same
 * stream in the same order.
 */
export function redisEmitter(options: RedisEmitterOptions): MQEmitter {
  // Subscriptions wait for Redis however long it takes (and are restored after a reconnect);
  // publications give up quickly and leave the caller to decide. No ready check on the subscriber:
  // its INFO would follow a SUBSCRIBE queued while connecting, fail in subscriber mode and drop
  // the connection, losing what was published meanwhile.
  const subConn = new Redis(options.url, { maxRetriesPerRequest: null, enableReadyCheck: false })
  const pubConn = new Redis(options.url, { enableOfflineQueue: false })
  const shared = mqemitterRedis({ subConn, pubConn })
  // mqemitter-redis rethrows connection errors on `state` unless someone listens.
  ;(shared as unknown as { state: NodeJS.EventEmitter }).state.on('error', options.onError)
  const local = mqemitter()
  const { channelPrefix: prefix, sharedTopics } = options
  const route = (topic: string) => (sharedTopics.has(topic) ? { emitter: shared, topic: prefix + topic } : { emitter: local, topic })

  const emitter: MQEmitter = {
    get current() {
      return local.current + shared.current
    },
    get concurrent() {
      return local.concurrent
    },
    on(topic: string, listener: Listener, callback?: () => void) {
      const target = route(topic)
      target.emitter.on(target.topic, listener, callback)
      return this
    },
    emit(message: Message, callback?: (error?: Error) => void) {
      const target = route(message.topic)
      if (target.emitter === local || pubConn.status === 'ready') return target.emitter.emit({ ...message, topic: target.topic }, callback)
      connected(pubConn, PUBLISH_WAIT_MS).then(
        () => shared.emit({ ...message, topic: target.topic }, callback),
        (error: Error) => callback?.(error),
      )
    },
    removeListener(topic: string, listener: Listener, callback?: () => void) {
      const target = route(topic)
      target.emitter.removeListener(target.topic, listener, callback)
    },
    close(callback: () => void) {
      let closed = false
      const finish = () => {
        if (closed) return
        closed = true
        clearTimeout(timer)
        callback()
      }
      // QUIT waits for an answer; a Redis that is away (or never answers) is simply dropped.
      const drop = () => {
        subConn.disconnect()
        pubConn.disconnect()
        finish()
      }
      const timer = setTimeout(drop, CLOSE_TIMEOUT_MS)
      local.close(() => (subConn.status === 'ready' && pubConn.status === 'ready' ? shared.close(finish) : drop()))
    },
  }
  return emitter
}

function connected(connection: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ready = () => {
      clearTimeout(timer)
      resolve()
    }
    const timer = setTimeout(() => {
      connection.off('ready', ready)
      reject(new Error(`Redis is not reachable (${connection.status})`))
    }, timeoutMs)
    connection.once('ready', ready)
  })
}
