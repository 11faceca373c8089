import { BlockList, isIPv4 } from 'node:net'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { digestsEqual, sha256 } from '../auth/secrets.ts'
import { AppMetrics } from './metrics.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: AppMetrics
  }
}

// A scrape must answer even when the database is slow; the queue gauges then keep their last values.
const QUEUE_STATS_TIMEOUT_MS = 2_000

// Loopback and private (RFC 1918, IPv6 unique-local) addresses: where Prometheus scrapes from.
const PRIVATE_NETWORKS = new BlockList()
PRIVATE_NETWORKS.addSubnet('127.0.0.0', 8, 'ipv4')
PRIVATE_NETWORKS.addSubnet('10.0.0.0', 8, 'ipv4')
PRIVATE_NETWORKS.addSubnet('172.16.0.0', 12, 'ipv4')
PRIVATE_NETWORKS.addSubnet('192.168.0.0', 16, 'ipv4')
PRIVATE_NETWORKS.addAddress('::1', 'ipv6')
PRIVATE_NETWORKS.addSubnet('fc00::', 7, 'ipv6')

/**
 * Who may read /metrics. With METRICS_TOKEN set: whoever presents it as a bearer token (compared
 * in constant time), from anywhere. Without it: only direct connections from loopback or private
 * addresses; a request relayed by a proxy (X-Forwarded-For, Forwarded) is refused, because behind a
 * load balancer the peer address is the balancer's own private one, whoever the client is.
 */
export function mayReadMetrics(request: FastifyRequest, token: string | null): boolean {
  if (token) {
    const header = request.headers.authorization
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : ''
    return digestsEqual(sha256(presented), sha256(token))
  }
  if (request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined) return false
  const peer = (request.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '')
  return peer !== '' && PRIVATE_NETWORKS.check(peer, isIPv4(peer) ? 'ipv4' : 'ipv6')
}

/**
 * Decorates `app.metrics` (this instance's registry), times every HTTP request by route pattern,
 * and serves GET /metrics in Prometheus' text format on every role.
 */
export const metricsPlugin = fp(
  async (app) => {
    const metrics = new AppMetrics()
    app.decorate('metrics', metrics)
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000)
    })
    app.get('/metrics', { logLevel: 'warn' }, async (request, reply) => {
      if (!mayReadMetrics(request, app.config.metrics.token)) return reply.code(403).send({ error: 'metrics are not available to this client' })
      const refresh = metrics.refreshJobQueues(app.db)
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('job queue statistics timed out')), QUEUE_STATS_TIMEOUT_MS)
      })
      try {
        await Promise.race([refresh, timeout])
      } catch (error) {
        // A late failure of the abandoned query has nobody left to tell.
        refresh.catch(() => {})
        request.log.warn({ err: error }, 'job queue statistics unavailable for this scrape')
      } finally {
        clearTimeout(timer)
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    })
    app.addHook('onClose', async () => metrics.registry.clear())
  },
  { name: 'metrics', dependencies: ['config', 'db'] },
)
