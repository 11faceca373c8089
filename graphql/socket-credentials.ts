import type { FastifyBaseLogger } from 'fastify'

/** Where the GraphQL plugin keeps a connection's socket in its context. */
export const SOCKET = Symbol('graphql socket')

interface ClosableSocket {
  close(code?: number, reason?: string): void
  once(event: 'close', listener: () => void): unknown
}

interface SocketContext {
  [SOCKET]?: ClosableSocket
  _connectionInit?: { authorization?: unknown }
}

const watched = new WeakSet<ClosableSocket>()

/**
 * Keeps a GraphQL WebSocket open only as long as its credential holds. A socket is authenticated
 * once, by connection_init; without this, a socket opened with an API key that is later revoked, in
 * a session that was logged out or whose password was reset, or with an embed token that has since
 * expired, would go on streaming the business's calls and leads. Every `everySeconds` the credential
 * is checked again, and the socket is closed with 4403 (graphql-ws's Forbidden) once it fails; a
 * client with a fresh credential reconnects. Called for each operation; the first starts the watch.
 */
export function watchSocketCredential(context: unknown, everySeconds: number, stillValid: (authorization: string) => Promise<boolean>, log: FastifyBaseLogger): void {
  const { [SOCKET]: socket, _connectionInit: init } = context as SocketContext
  const authorization = init?.authorization
  if (!socket || typeof authorization !== 'string' || watched.has(socket)) return
  watched.add(socket)
  const timer = setInterval(() => {
    stillValid(authorization).then(
      (valid) => {
        if (valid) return
        clearInterval(timer)
        socket.close(4403, 'Forbidden: the credential is no longer valid')
      },
      // A database hiccup is not a revocation: the next check decides.
      (error: unknown) => log.warn({ err: error }, 'checking a socket credential failed'),
    )
  }, everySeconds * 1000)
  timer.unref()
  socket.once('close', () => clearInterval(timer))
}
