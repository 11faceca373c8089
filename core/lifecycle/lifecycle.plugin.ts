import fp from 'fastify-plugin'

type DrainHook = () => Promise<void> | void

/**
 * Shutdown in order: when the app closes, the instance first reports itself draining (readiness
 * fails, so load balancers stop sending traffic), then runs each domain's drain hook (tell
 * subscribers to reconnect, let calls finish), and only then are sockets and pools closed.
 */
export class Lifecycle {
  #draining = false
  #hooks: DrainHook[] = []

  get draining(): boolean {
    return this.#draining
  }

  /** Registers work to do before sockets close; hooks run in registration order. */
  onDrain(hook: DrainHook): void {
    this.#hooks.push(hook)
  }

  async drain(): Promise<void> {
    if (this.#draining) return
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
    app.decorate('lifecycle', new Lifecycle())
  },
  { name: 'lifecycle' },
)
