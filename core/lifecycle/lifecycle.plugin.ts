import fp from 'fastify-plugin'

type DrainHook = () => Promise<void> | void

/**
 * Shutdown in order: when the app closes, the instance first reports itself draining (readiness
 * fails, so load balancers stop sending traffic), then runs each domain's drain hook (tell
 * subscribers to reconnect, let calls finish), and only then are sockets and pools closed.
 */
export class Lifecycle {
  #draining = false
  #drained = false
  #hooks: DrainHook[] = []

  get draining(): boolean {
    return this.#draining
  }

  /** Reports draining (readiness fails, new WebSockets are refused) without ending anything yet. */
  beginDraining(): void {
    this.#draining = true
  }

  /** Registers work to do before sockets close; hooks run in registration order. */
  onDrain(hook: DrainHook): void {
    this.#hooks.push(hook)
  }

  async drain(): Promise<void> {
    if (this.#drained) return
    this.#drained = true
    this.#draining = true
    for (const hook of this.#hooks) await hook()
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}

export const lifecyclePlugin = fp(
  async (app) => {
    const lifecycle = new Lifecycle()
    app.decorate('lifecycle', lifecycle)
    // While draining, requests already on their way are still answered (a media worker in this
    // process may still be saving a live call through the internal routes), but each answer closes
    // its connection, so clients reconnect through the load balancer to an instance that is ready.
    // New WebSockets (subscriptions, media streams) would outlive the instance: refused.
    app.addHook('onRequest', async (request, reply) => {
      if (!lifecycle.draining) return
      reply.header('connection', 'close')
      if (request.headers.upgrade?.toLowerCase() === 'websocket') {
        // An upgrade request's socket is not the server's to reuse: close it, or shutdown waits on it.
        reply.raw.once('finish', () => request.raw.socket.destroy())
        return reply.code(503).header('retry-after', '1').send({ error: 'draining', message: 'this instance is shutting down; connect again' })
      }
    })
  },
  { name: 'lifecycle' },
)
