import { readFile } from 'node:fs/promises'
import { join, normalize } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { signEmbedToken } from '../auth/jwt.ts'
import { createApiKey } from '../auth/api-keys.ts'
import { WIDGET_PERMISSIONS } from '../auth/permissions.ts'
import { DEMO_IDS } from '../demo/seed-demo.ts'

const WIDGETS = new URL('../../widgets/', import.meta.url).pathname
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' }
const DEMO_BUSINESSES = { dental: DEMO_IDS.dental, plumbing: DEMO_IDS.plumbing } as const
const DEMO_KEY_NAME = 'Demo host page'

async function sendFile(reply: import('fastify').FastifyReply, root: string, file: string) {
  const path = normalize(join(root, file))
  const type = TYPES[path.slice(path.lastIndexOf('.'))]
  if (!path.startsWith(root) || !type) return reply.code(404).send({ error: 'not found' })
  try {
    return reply.type(type).send(await readFile(path))
  } catch {
    return reply.code(404).send({ error: 'not found' })
  }
}

/**
 * The widget bundle at /widgets/*.js (any page may load it: CRMs embed it from their own origin),
 * and, outside production, the demo CRM page at /demo, which embeds the widgets for the demo
 * businesses under a strict Content-Security-Policy, with embed tokens minted here, server-side,
 * as a host's own server would.
 */
export async function widgetHostPlugin(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { '*': string } }>('/widgets/*', async (request, reply) => {
    reply.header('access-control-allow-origin', '*').header('cache-control', 'public, max-age=300')
    return sendFile(reply, join(WIDGETS, 'dist'), request.params['*'])
  })
  if (app.config.env === 'production') return

  const storage = app.config.storage.endpoint ? new URL(app.config.storage.endpoint).origin : ''
  const policy = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", `media-src 'self' blob: ${storage}`, "connect-src 'self' ws: wss:", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"].join('; ')
  app.get('/demo', async (_request, reply) => {
    reply.header('content-security-policy', policy)
    return sendFile(reply, join(WIDGETS, 'demo'), 'index.html')
  })
  app.get<{ Params: { file: string } }>('/demo/:file', async (request, reply) => {
    reply.header('content-security-policy', policy)
    return sendFile(reply, join(WIDGETS, 'demo'), request.params.file)
  })
  /** What a host's server does: mint a short-lived embed token for the business the page shows. */
  app.get<{ Querystring: { business?: string } }>('/demo-api/token', async (request, reply) => {
    const businessId = DEMO_BUSINESSES[(request.query.business ?? 'dental') as keyof typeof DEMO_BUSINESSES]
    if (!businessId || !(await app.db('businesses').where({ id: businessId }).first('id'))) return reply.code(404).send({ error: 'the demo is not seeded' })
    const key = (await app.db('api_keys').where({ organization_id: DEMO_IDS.agency, name: DEMO_KEY_NAME }).whereNull('revoked_at').first('id')) ?? (await createApiKey(app.db, { organizationId: DEMO_IDS.agency, businessId: null, name: DEMO_KEY_NAME, scopes: [...WIDGET_PERMISSIONS, 'embed_tokens:create'], createdBy: null }))
    const { token, expiresAt } = await signEmbedToken(app.config.auth.jwtKeys, app.config.auth.embedTokenTtlMinutes * 60, { organizationId: DEMO_IDS.agency, businessId, permissions: [...WIDGET_PERMISSIONS], apiKeyId: key.id })
    return reply.header('cache-control', 'no-store').send({ token, expiresAt, businessId: Buffer.from(`Business:${businessId}`).toString('base64url') })
  })
}
