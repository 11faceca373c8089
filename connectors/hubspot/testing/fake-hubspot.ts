/**
 * A local stand-in for HubSpot's REST API, speaking the paths @hubspot/api-client calls: the OAuth
 * token endpoint, contacts (search, create, update, read, list, GDPR delete) and calls (create,
 * search, delete). It checks bearer tokens, and `script` makes the next matching requests
 * misbehave (a status, a delay, a dropped connection) so every failure path can be tested.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { takeMisbehaviour, type Misbehaviour as BaseMisbehaviour } from '../../../core/testing/misbehaviour.ts'
import { FakeCrm, type Answer, type FakeCall, type FakeRecord } from './fake-hubspot-crm.ts'

export type { FakeCall, FakeRecord } from './fake-hubspot-crm.ts'

/** A scripted misbehaviour (see core/testing/misbehaviour.ts), or one more of HubSpot's own. */
export interface Misbehaviour extends BaseMisbehaviour {
  /** Do the work (the record is created), then never answer: a client that dies now never learns of it. */
  hangAfter?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  authorization: string | null
  body: unknown
}

/** Tokens the fake accepts; tests issue, expire and revoke them. */
export class FakeTokens {
  readonly clientId = 'fake-client-id'
  readonly clientSecret = 'fake-client-secret'
  /** Access token lifetime handed out by the token endpoint (HubSpot's is 1800 s). */
  expiresInSeconds = 1800
  /** Token endpoint calls per grant type. */
  readonly grants: { authorization_code: number; refresh_token: number } = { authorization_code: 0, refresh_token: 0 }
  readonly #access = new Map<string, number>()
  readonly #refresh = new Set<string>()
  readonly #codes = new Set<string>()

  /** A private-app token: valid until revoked. */
  issuePrivate(token = `pat-${randomUUID()}`): string {
    this.#access.set(token, Number.POSITIVE_INFINITY)
    return token
  }
  /** An authorization code the token endpoint will take once. */
  issueCode(): string {
    const code = `code-${randomUUID()}`
    this.#codes.add(code)
    return code
  }
  /** An OAuth grant: an access token valid for `expiresInSeconds` and its refresh token. */
  issueOAuth(expiresInSeconds = this.expiresInSeconds): { accessToken: string; refreshToken: string; expiresIn: number } {
    const accessToken = `at-${randomUUID()}`
    const refreshToken = `rt-${randomUUID()}`
    this.#access.set(accessToken, Date.now() + expiresInSeconds * 1000)
    this.#refresh.add(refreshToken)
    return { accessToken, refreshToken, expiresIn: expiresInSeconds }
  }
  /** Makes HubSpot consider the token expired, whatever the client believes. */
  expire(accessToken: string): void {
    if (this.#access.has(accessToken)) this.#access.set(accessToken, Date.now() - 1000)
  }
  revokeRefresh(refreshToken: string): void {
    this.#refresh.delete(refreshToken)
  }
  /** Null when valid, else the 401 body HubSpot sends. */
  check(authorization: string | null): Answer | null {
    const token = authorization?.replace(/^Bearer /, '') ?? ''
    const expiresAt = this.#access.get(token)
    if (expiresAt === undefined) return { status: 401, body: { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' } }
    if (expiresAt <= Date.now()) return { status: 401, body: { status: 'error', message: `The OAuth token used to make this call expired ${Math.round((Date.now() - expiresAt) / 1000)} second(s) ago.`, category: 'EXPIRED_AUTHENTICATION' } }
    return null
  }
  /** POST /oauth/v1/token with a form body. */
  grant(form: URLSearchParams): Answer {
    const grantType = form.get('grant_type')
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) return { status: 400, body: { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id' } }
    if (grantType === 'authorization_code') {
      this.grants.authorization_code++
      const code = form.get('code') ?? ''
      if (!this.#codes.delete(code) || !form.get('redirect_uri')) return { status: 400, body: { status: 'BAD_AUTH_CODE', message: 'missing or unknown auth code' } }
    } else if (grantType === 'refresh_token') {
      this.grants.refresh_token++
      const refreshToken = form.get('refresh_token') ?? ''
      if (!this.#refresh.has(refreshToken)) return { status: 400, body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token' } }
      // HubSpot keeps the refresh token across refreshes; only the access token changes.
      const accessToken = `at-${randomUUID()}`
      this.#access.set(accessToken, Date.now() + this.expiresInSeconds * 1000)
      return { status: 200, body: { token_type: 'bearer', access_token: accessToken, refresh_token: refreshToken, expires_in: this.expiresInSeconds } }
    } else return { status: 400, body: { status: 'BAD_GRANT_TYPE', message: `unknown grant type ${grantType}` } }
    const issued = this.issueOAuth()
    return { status: 200, body: { token_type: 'bearer', access_token: issued.accessToken, refresh_token: issued.refreshToken, expires_in: issued.expiresIn } }
  }
}

export interface FakeHubSpot {
  baseUrl: string
  contacts: Map<string, FakeRecord>
  calls: Map<string, FakeCall>
  crm: FakeCrm
  requests: RecordedRequest[]
  script: Misbehaviour[]
  tokens: FakeTokens
  close(): Promise<void>
}

function route(crm: FakeCrm, tokens: FakeTokens, method: string, path: string, query: URLSearchParams, rawBody: string, authorization: string | null): Answer {
  if (method === 'POST' && path === '/oauth/v1/token') return tokens.grant(new URLSearchParams(rawBody))
  const unauthorized = tokens.check(authorization)
  if (unauthorized) return unauthorized
  const body = rawBody ? JSON.parse(rawBody) : {}
  const contact = /^\/crm\/v3\/objects\/contacts\/(\d+)$/.exec(path)?.[1]
  if (method === 'POST' && path === '/crm/v3/objects/contacts/search') return crm.search(crm.contacts.values(), body)
  if (method === 'POST' && path === '/crm/v3/objects/contacts/gdpr-delete') return crm.purgeContact(body)
  if (method === 'POST' && path === '/crm/v3/objects/contacts') return crm.createContact(body)
  if (method === 'GET' && path === '/crm/v3/objects/contacts') return crm.listContacts(Number(query.get('limit') ?? 10))
  if (method === 'GET' && contact) return crm.getContact(contact, query.get('properties')?.split(','))
  if (method === 'PATCH' && contact) return crm.updateContact(contact, body)
  if (method === 'POST' && path === '/crm/v3/objects/calls/search') return crm.search(crm.calls.values(), body)
  if (method === 'POST' && path === '/crm/v3/objects/calls') return crm.createCall(body)
  const call = /^\/crm\/v3\/objects\/calls\/(\d+)$/.exec(path)?.[1]
  if (method === 'DELETE' && call) return crm.archiveCall(call)
  return { status: 404, body: { status: 'error', message: `no route ${method} ${path}`, category: 'OBJECT_NOT_FOUND' } }
}

function send(res: ServerResponse, answer: Answer, headers: Record<string, string> = {}): void {
  if (res.destroyed) return
  if (answer.status === 204) return void res.writeHead(204, headers).end()
  res.writeHead(answer.status, { 'content-type': 'application/json;charset=utf-8', ...headers })
  res.end(JSON.stringify(answer.body ?? {}))
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeHubSpot(): Promise<FakeHubSpot> {
  const crm = new FakeCrm()
  const tokens = new FakeTokens()
  const requests: RecordedRequest[] = []
  const script: Misbehaviour[] = []

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const rawBody = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://fake')
    const method = req.method ?? 'GET'
    const isForm = req.headers['content-type']?.includes('x-www-form-urlencoded')
    requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization ?? null, body: isForm ? Object.fromEntries(new URLSearchParams(rawBody)) : rawBody ? JSON.parse(rawBody) : null })
    const misbehaviour = takeMisbehaviour(script, method, url.pathname)
    if (misbehaviour?.delayMs) await new Promise((resolve) => setTimeout(resolve, misbehaviour.delayMs))
    if (misbehaviour?.drop) return void req.socket.destroy()
    if (misbehaviour?.hangAfter) return void route(crm, tokens, method, url.pathname, url.searchParams, rawBody, req.headers.authorization ?? null)
    if (misbehaviour?.status) return send(res, { status: misbehaviour.status, body: misbehaviour.body ?? { status: 'error', message: `scripted ${misbehaviour.status}`, category: 'SCRIPTED' } }, misbehaviour.headers)
    send(res, route(crm, tokens, method, url.pathname, url.searchParams, rawBody, req.headers.authorization ?? null))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, { status: 500, body: { status: 'error', message: error.message, category: 'INTERNAL' } }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    contacts: crm.contacts,
    calls: crm.calls,
    crm,
    requests,
    script,
    tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
