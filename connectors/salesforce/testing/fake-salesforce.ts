import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { answerRest, newRecord, type FakeOrg, type FakeRecord, type RestAnswer } from './fake-sobjects.ts'

/** What the next matching requests get instead of a normal answer. */
export type Fault =
  | { status: number; body?: unknown; retryAfter?: string; contentType?: string }
  | { slowMs: number }
  | { drop: true }

export interface RecordedRequest {
  method: string
  path: string
  params: Record<string, string>
  body: unknown
  authorization: string | null
}

export interface FakeSalesforce extends FakeOrg {
  /** Both the login host and the instance URL the token endpoint hands out. */
  baseUrl: string
  clientId: string
  clientSecret: string
  requests: RecordedRequest[]
  script: {
    /** The next `times` requests (whose "METHOD /path" matches `match`, when given) get `fault`. */
    next(times: number, fault: Fault, match?: RegExp): void
    clear(): void
  }
  /** An authorization code, as if the owner had approved the app. */
  issueCode(): string
  /** Tokens as if a code had been exchanged: what the connector stores as credentials. */
  grant(): { accessToken: string; refreshToken: string; instanceUrl: string }
  /** Every access token stops working (401 INVALID_SESSION_ID); refresh tokens still work. */
  expireSessions(): void
  /** Refresh tokens stop working (400 invalid_grant), as after the app's access is revoked. */
  revokeRefreshTokens(): void
  seedLead(fields: Record<string, unknown>): FakeRecord
  close(): Promise<void>
}

const DEFAULT_BODIES: Record<number, unknown> = {
  401: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }],
  403: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
  429: [{ message: 'Too many requests', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
  503: [{ message: 'Server is temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }],
}

const token = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  if (!text) return null
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text))
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** A local Salesforce speaking the OAuth token endpoint and the REST calls jsforce makes for the connector. */
export async function startFakeSalesforce(options: { clientId?: string; clientSecret?: string } = {}): Promise<FakeSalesforce> {
  const faults: Array<{ remaining: number; fault: Fault; match: RegExp | undefined }> = []
  const timers = new Set<NodeJS.Timeout>()
  const codes = new Set<string>()
  const accessTokens = new Set<string>()
  const refreshTokens = new Set<string>()

  function tokenAnswer(grant: Record<string, string>): RestAnswer {
    const error = (error: string, description: string) => ({ status: 400, body: { error, error_description: description } })
    if (grant.client_id !== fake.clientId) return error('invalid_client_id', 'client identifier invalid')
    if (grant.client_secret !== fake.clientSecret) return error('invalid_client', 'invalid client credentials')
    const accessToken = token('00D!access-')
    const answer = { access_token: accessToken, signature: 'fake', scope: 'api refresh_token', instance_url: fake.baseUrl, id: `${fake.baseUrl}/id/00D000000000001AAA/005000000000001AAA`, token_type: 'Bearer', issued_at: String(Date.now()) }
    if (grant.grant_type === 'authorization_code') {
      if (!grant.code || !codes.delete(grant.code)) return error('invalid_grant', 'invalid authorization code')
      const refreshToken = token('refresh-')
      refreshTokens.add(refreshToken)
      accessTokens.add(accessToken)
      return { status: 200, body: { ...answer, refresh_token: refreshToken } }
    }
    if (grant.grant_type === 'refresh_token') {
      if (!grant.refresh_token || !refreshTokens.has(grant.refresh_token)) return error('invalid_grant', 'expired access/refresh token')
      accessTokens.add(accessToken)
      return { status: 200, body: answer }
    }
    return error('unsupported_grant_type', 'grant type not supported')
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', fake.baseUrl)
    const body = await readBody(req)
    const authorization = req.headers.authorization ?? null
    fake.requests.push({ method: req.method ?? 'GET', path: url.pathname, params: Object.fromEntries(url.searchParams), body, authorization })
    const entry = faults.find((f) => !f.match || f.match.test(`${req.method} ${url.pathname}`))
    if (entry && --entry.remaining <= 0) faults.splice(faults.indexOf(entry), 1)
    const fault = entry?.fault
    if (fault && 'drop' in fault) return void req.socket.destroy()
    if (fault && 'slowMs' in fault) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (timers.delete(timer), resolve()), fault.slowMs)
        timers.add(timer)
      })
    }
    if (fault && 'status' in fault) {
      const headers: Record<string, string> = { 'content-type': fault.contentType ?? 'application/json;charset=UTF-8' }
      if (fault.retryAfter) headers['retry-after'] = fault.retryAfter
      const payload = fault.body ?? DEFAULT_BODIES[fault.status] ?? [{ message: 'error', errorCode: `HTTP_${fault.status}` }]
      return send(res, fault.status, typeof payload === 'string' ? payload : JSON.stringify(payload), headers)
    }
    if (url.pathname === '/services/oauth2/token' && req.method === 'POST') return reply(res, tokenAnswer((body ?? {}) as Record<string, string>))
    const rest = /^\/services\/data\/v(\d+\.\d)\/(.+)$/.exec(url.pathname)
    if (!rest) return reply(res, { status: 404, body: [{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }] })
    const bearer = authorization?.replace(/^Bearer /, '') ?? ''
    if (!accessTokens.has(bearer)) return reply(res, { status: 401, body: DEFAULT_BODIES[401] })
    reply(res, answerRest(fake, Number(rest[1]), req.method ?? 'GET', (rest[2] as string).split('/'), url.searchParams, body))
  }

  function reply(res: ServerResponse, answer: RestAnswer): void {
    send(res, answer.status, answer.body === undefined ? '' : JSON.stringify(answer.body), answer.body === undefined ? {} : { 'content-type': 'application/json;charset=UTF-8' })
  }

  function send(res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
    // A client that gave up (timeout) has closed the socket while a slow answer waited.
    if (res.destroyed || res.socket?.destroyed) return
    res.writeHead(status, headers).end(text)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, 500, JSON.stringify([{ message: error.message, errorCode: 'UNKNOWN_EXCEPTION' }]), { 'content-type': 'application/json' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const fake: FakeSalesforce = {
    baseUrl: `http://127.0.0.1:${port}`,
    clientId: options.clientId ?? 'fake-client-id',
    clientSecret: options.clientSecret ?? 'fake-client-secret',
    leads: [],
    tasks: [],
    externalIdFields: new Set(['Answerline_Id__c']),
    duplicateRule: { enabled: false, reportMatches: true },
    recycleBin: new Set(),
    requests: [],
    script: {
      next: (times, fault, match) => void faults.push({ remaining: times, fault, match }),
      clear: () => void faults.splice(0),
    },
    issueCode() {
      const code = token('code-')
      codes.add(code)
      return code
    },
    grant() {
      const accessToken = token('00D!access-')
      const refreshToken = token('refresh-')
      accessTokens.add(accessToken)
      refreshTokens.add(refreshToken)
      return { accessToken, refreshToken, instanceUrl: fake.baseUrl }
    },
    expireSessions: () => accessTokens.clear(),
    revokeRefreshTokens: () => refreshTokens.clear(),
    seedLead(fields) {
      const lead = newRecord('Lead', fields)
      fake.leads.push(lead)
      return lead
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return fake
}
