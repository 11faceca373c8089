/**
 * A local stand-in for the part of Twilio's REST API (2010-04-01) that the `twilio` SDK uses for phone
 * numbers and live calls, so tests can point the real SDK at it and exercise 401, 4xx, 5xx and hangs.
 * https://www.twilio.com/docs/usage/api
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// Twilio lists default to 50 records a page.
const DEFAULT_PAGE_SIZE = 50
const NUMBER_FORM_FIELDS = {
  FriendlyName: 'friendlyName',
  VoiceUrl: 'voiceUrl',
  VoiceMethod: 'voiceMethod',
  StatusCallback: 'statusCallback',
  StatusCallbackMethod: 'statusCallbackMethod',
} as const

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  form: Record<string, string>
}

export interface FakeNumber {
  sid: string
  phoneNumber: string
  friendlyName: string
  voiceUrl: string
  voiceMethod: string
  statusCallback: string
  statusCallbackMethod: string
}

export interface FakeCall {
  sid: string
  status: string
  twiml?: string
  url?: string
  /** Each update's form fields (Twiml, Url, Method, Status, ...), in order. */
  updates: Array<Record<string, string>>
}

export type FakeFailure = { status: number; code?: number; message?: string; retryAfterSeconds?: number } | 'hang'

export interface FakeTwilio {
  /** e.g. http://127.0.0.1:PORT; replaces https://api.twilio.com. */
  baseUrl: string
  requests: RecordedRequest[]
  numbers: Map<string, FakeNumber>
  calls: Map<string, FakeCall>
  /** E.164 numbers the AvailablePhoneNumbers search offers and IncomingPhoneNumbers can buy. */
  available: string[]
  /** The next `times` requests fail with `failure` (queued after any failures already pending). */
  failNext(times: number, failure: FakeFailure): void
  /** Stops listening and drops every open socket, hanging ones included. */
  close(): Promise<void>
}

type Reply = (status: number, body?: object, headers?: Record<string, string>) => void

/** Starts the fake on 127.0.0.1 with a free port; every request needs HTTP Basic accountSid:authToken. */
export async function startFakeTwilio(options: { accountSid: string; authToken: string }): Promise<FakeTwilio> {
  const { accountSid, authToken } = options
  const pending: FakeFailure[] = []
  const created = new Map<string, string>()
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8').on('data', (chunk: string) => (raw += chunk)).on('end', () => answer(req, res, raw))
  })

  const fake: FakeTwilio = {
    baseUrl: '',
    requests: [],
    numbers: new Map(),
    calls: new Map(),
    available: [],
    failNext: (times, failure) => pending.push(...Array<FakeFailure>(times).fill(failure)),
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }

  function answer(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://fake')
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form: Object.fromEntries(new URLSearchParams(raw)),
    }
    fake.requests.push(request)
    const reply: Reply = (status, body, headers = {}) => {
      if (!body) return void res.writeHead(status, headers).end()
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
    }
    const failure = pending.shift()
    if (failure === 'hang') return
    if (failure) {
      const retryAfter = failure.retryAfterSeconds
      const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }
      // Twilio's generic HTTP errors are numbered 20000 + status (20404, 20429, 20500, 20503).
      const message = failure.message ?? STATUS_CODES[failure.status] ?? 'Error'
      return replyError(reply, failure.status, failure.code ?? 20000 + failure.status, message, headers)
    }
    if (req.headers.authorization !== `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`) {
      return replyError(reply, 401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' })
    }
    route(request, reply)
  }

  function route({ method, path, query, form }: RecordedRequest, reply: Reply): void {
    const notFound = () => replyError(reply, 404, 20404, `The requested resource ${path} was not found`)
    const prefix = `/2010-04-01/Accounts/${accountSid}/`
    const rest = path.startsWith(prefix) ? path.slice(prefix.length) : ''
    const country = rest.match(/^AvailablePhoneNumbers\/([A-Z]{2})\/Local\.json$/)?.[1]
    const numberSid = rest.match(/^IncomingPhoneNumbers\/([^/]+)\.json$/)?.[1]
    const callSid = rest.match(/^Calls\/([^/]+)\.json$/)?.[1]

    if (method === 'GET' && country) {
      // In Contains, "*" stands for any one digit; the pattern may sit anywhere in the number.
      const pattern = query.Contains ? new RegExp(query.Contains.split('*').map((part) => part.replace(/\W/g, '\\$&')).join('\\d')) : null
      const found = fake.available
        .filter((n) => (!query.AreaCode || n.startsWith(`+1${query.AreaCode}`)) && (!pattern || pattern.test(n)))
        .map((n) => availableJson(n, country))
      return replyPage(reply, path, 'available_phone_numbers', found, query)
    }
    if (method === 'GET' && rest === 'IncomingPhoneNumbers.json') {
      const listed = [...fake.numbers.values()].filter((n) => !query.PhoneNumber || n.phoneNumber === query.PhoneNumber)
      return replyPage(reply, path, 'incoming_phone_numbers', listed.map(numberJson), query)
    }
    if (method === 'POST' && rest === 'IncomingPhoneNumbers.json') {
      const phoneNumber = form.PhoneNumber ?? ''
      const index = fake.available.indexOf(phoneNumber)
      if (index < 0) return replyError(reply, 400, 21422, 'PhoneNumber is not available')
      fake.available.splice(index, 1)
      const sid = newSid('PN')
      // Twilio's defaults: a formatted friendly name, empty URLs, and POST for every callback.
      const friendlyName = formatNumber(phoneNumber)
      const number: FakeNumber = { sid, phoneNumber, friendlyName, voiceUrl: '', voiceMethod: 'POST', statusCallback: '', statusCallbackMethod: 'POST' }
      applyNumberForm(number, form)
      fake.numbers.set(sid, number)
      created.set(sid, rfc2822(new Date()))
      // Creating a Twilio resource answers 201 Created with the resource itself.
      return reply(201, numberJson(number))
    }
    if (numberSid) {
      const number = fake.numbers.get(numberSid)
      if (!number) return notFound()
      if (method === 'DELETE') {
        fake.numbers.delete(numberSid)
        return reply(204)
      }
      if (method === 'POST') applyNumberForm(number, form)
      return reply(200, numberJson(number))
    }
    if (callSid) {
      const call = fake.calls.get(callSid)
      if (!call) return notFound()
      if (method === 'POST') {
        // Only a live call takes new instructions; Twilio refuses updates to an ended call with 21220.
        if (call.status === 'completed') return replyError(reply, 400, 21220, 'Call is not in-progress. Cannot redirect.')
        call.updates.push(form)
        if (form.Twiml !== undefined) call.twiml = form.Twiml
        if (form.Url !== undefined) call.url = form.Url
        if (form.Status !== undefined) call.status = form.Status
      }
      return reply(200, callJson(call))
    }
    notFound()
  }

  function numberJson(n: FakeNumber): object {
    const date = created.get(n.sid) ?? rfc2822(new Date())
    return {
      sid: n.sid,
      account_sid: accountSid,
      api_version: '2010-04-01',
      friendly_name: n.friendlyName,
      phone_number: n.phoneNumber,
      voice_url: n.voiceUrl,
      voice_method: n.voiceMethod,
      status_callback: n.statusCallback,
      status_callback_method: n.statusCallbackMethod,
      // Incoming numbers spell capabilities in lower case; available numbers use "SMS"/"MMS".
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      status: 'in-use',
      date_created: date,
      date_updated: date,
      uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
    }
  }

  function callJson(call: FakeCall): object {
    const uri = `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`
    return { sid: call.sid, account_sid: accountSid, api_version: '2010-04-01', status: call.status, direction: 'inbound', uri }
  }

  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return fake
}

// Twilio keeps every field an update leaves out, so only the fields present in the form change.
function applyNumberForm(number: FakeNumber, form: Record<string, string>): void {
  for (const [field, key] of Object.entries(NUMBER_FORM_FIELDS)) {
    const value = form[field]
    if (value !== undefined) number[key] = value
  }
}

function availableJson(phoneNumber: string, country: string): object {
  const capabilities = { voice: true, SMS: true, MMS: true }
  return { friendly_name: formatNumber(phoneNumber), phone_number: phoneNumber, iso_country: country, address_requirements: 'none', beta: false, capabilities }
}

// Twilio's classic error body, which the SDK turns into RestException { status, code, message, moreInfo }.
// (A body with RFC 9457 type/title fields would become a TwilioServiceException instead.)
function replyError(reply: Reply, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  reply(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers)
}

// The SDK's Page keeps following next_page_uri (resolved against https://api.twilio.com) until it is null,
// and takes the records from the one envelope key that is not a paging field.
function replyPage(reply: Reply, path: string, key: string, items: object[], query: Record<string, string>): void {
  const pageSize = Math.max(1, Number(query.PageSize) || DEFAULT_PAGE_SIZE)
  const page = Math.max(0, Number(query.Page) || 0)
  const records = items.slice(page * pageSize, (page + 1) * pageSize)
  const pageUri = (p: number) => `${path}?${new URLSearchParams({ ...query, Page: String(p), PageSize: String(pageSize) })}`
  reply(200, {
    [key]: records,
    uri: pageUri(page),
    first_page_uri: pageUri(0),
    next_page_uri: (page + 1) * pageSize < items.length ? pageUri(page + 1) : null,
    previous_page_uri: page > 0 ? pageUri(page - 1) : null,
    page,
    page_size: pageSize,
    start: page * pageSize,
    end: page * pageSize + Math.max(records.length - 1, 0),
  })
}

// Sids are a two-letter type prefix and 32 lowercase hex digits.
function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex')
}

// Twilio dates are RFC 2822 with a numeric zone: "Fri, 01 May 2026 09:30:00 +0000".
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000')
}

// Twilio's default friendly name for a North American number is "(415) 555-0100".
function formatNumber(e164: string): string {
  const nanp = e164.match(/^\+1(\d{3})(\d{3})(\d{4})$/)
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : e164
}
