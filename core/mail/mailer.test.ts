import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { testConfig } from '../config/config.ts'
import { configPlugin } from '../config/config.plugin.ts'
import { rejects } from '../testing/rejects.ts'
import { createMailer, mailPlugin, renderEmail, DEFAULT_BRANDING, type EmailTemplate, type MailMessage } from './index.ts'

const KEY = 're_test_0123456789abcdef'
const CODE = '482913'
const EVIL = '<script>alert(1)</script>'
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;'
const VERIFY: MailMessage = { to: 'jane@example.com', template: { kind: 'verify_email', code: CODE, expiresInMinutes: 15 } }

type Mode = 'ok' | 'invalid' | 'rate-limited-once' | 'down' | 'hang'
interface Received {
  auth: string | undefined
  idempotencyKey: string | undefined
  body: Record<string, unknown>
}
interface Ctx {
  server: Server
  baseUrl: string
  mode: Mode
  received: Received[]
}

const mail = suite<Ctx>('mail: templates, Resend and the dev outbox')

// Speaks POST /emails the way the Resend SDK uses it; `mode` picks the failure a test needs.
function answer(ctx: Ctx, req: IncomingMessage, res: ServerResponse, raw: string): void {
  const reply = (status: number, body: object, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
  }
  ctx.received.push({ auth: req.headers.authorization, idempotencyKey: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(raw) })
  if (ctx.mode === 'hang') return
  if (req.headers.authorization !== `Bearer ${KEY}`) return reply(401, { statusCode: 401, name: 'invalid_api_key', message: 'API key is invalid' })
  if (ctx.mode === 'invalid') return reply(422, { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' })
  if (ctx.mode === 'down') return reply(500, { statusCode: 500, name: 'internal_server_error', message: 'Something went wrong' })
  if (ctx.mode === 'rate-limited-once' && ctx.received.length === 1) {
    return reply(429, { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests' }, { 'retry-after': '0' })
  }
  reply(200, { id: `email_${ctx.received.length}` })
}

mail.before(async (ctx) => {
  ctx.server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk: Buffer) => (raw += chunk))
    req.on('end', () => answer(ctx, req, res, raw))
  })
  ctx.server.listen(0, '127.0.0.1')
  await once(ctx.server, 'listening')
  ctx.baseUrl = `http://127.0.0.1:${(ctx.server.address() as AddressInfo).port}`
})
mail.before.each((ctx) => {
  ctx.mode = 'ok'
  ctx.received = []
})
mail.after(async (ctx) => {
  ctx.server.closeAllConnections()
  await new Promise((resolve) => ctx.server.close(resolve))
})

const resendMailer = (ctx: Ctx, overrides: { key?: string; timeoutMs?: number; warnings?: string[] } = {}) =>
  createMailer({
    resendApiKey: overrides.key ?? KEY,
    resendBaseUrl: ctx.baseUrl,
    from: 'Answerline <no-reply@answerline.test>',
    timeoutMs: overrides.timeoutMs ?? 2_000,
    log: { warn: (obj, msg) => overrides.warnings?.push(`${msg} ${JSON.stringify(obj)}`) },
  })

function assertNoSecrets(err: Error & Record<string, any>, warnings: string[]): void {
  assert.is(err.code, 'UPSTREAM_UNAVAILABLE')
  const visible = `${err.message} ${JSON.stringify(err.details)} ${warnings.join(' ')}`
  for (const secret of [KEY, CODE, 'jane@example.com']) assert.not.ok(visible.includes(secret), `leaked ${secret}: ${visible}`)
}

mail('every template renders subject, text and html, escaping interpolated values in the html', () => {
  const templates: EmailTemplate[] = [
    VERIFY.template,
    { kind: 'reset_password', code: CODE, expiresInMinutes: 1 },
    { kind: 'invitation', organizationName: EVIL, inviterName: EVIL, role: 'admin', acceptUrl: 'https://app.test/invite?t=a&b=1', expiresInDays: 7 },
    { kind: 'security_alert', event: 'new_sign_in', occurredAt: new Date('2026-05-01T09:30:00Z'), ipAddress: '203.0.113.9', userAgent: EVIL },
  ]
  for (const template of templates) {
    const email = renderEmail(template, DEFAULT_BRANDING)
    assert.ok(email.subject && email.text && email.html, template.kind)
    assert.not.ok(/<[a-z/!]/i.test(email.text.replaceAll(EVIL, '')), `${template.kind} text has markup`)
    assert.not.ok(email.html.includes(EVIL), `${template.kind} html carries raw markup`)
    if ('code' in template) assert.ok(email.text.includes(CODE) && email.html.includes(CODE), template.kind)
    else assert.ok(email.html.includes(ESCAPED), template.kind)
  }
  const invite = renderEmail(templates[2]!, DEFAULT_BRANDING)
  assert.ok(invite.html.includes('href="https://app.test/invite?t=a&amp;b=1"'))
  assert.ok(invite.text.includes('https://app.test/invite?t=a&b=1'))
  assert.ok(renderEmail(templates[1]!, DEFAULT_BRANDING).text.includes('1 minute.'))
  assert.throws(() => renderEmail({ ...(templates[2] as Extract<EmailTemplate, { kind: 'invitation' }>), acceptUrl: 'javascript:alert(1)' }, DEFAULT_BRANDING))
})

mail('white-label branding replaces ours entirely; a bad colour or logo is ignored', () => {
  const agency = { productName: 'Acme Reception', colorBrand: '#ff6600', logoUrl: 'https://cdn.acme.test/logo.png', supportEmail: 'help@acme.test' }
  for (const event of ['refresh_token_reuse', 'password_changed', 'password_reset', 'new_sign_in'] as const) {
    const email = renderEmail({ kind: 'security_alert', event, occurredAt: new Date() }, agency)
    const all = `${email.subject}\n${email.text}\n${email.html}`
    assert.not.ok(/answerline/i.test(all), event)
    assert.ok(all.includes('Acme Reception') && email.text.includes('help@acme.test'))
    assert.ok(email.html.includes('#ff6600') && email.html.includes('src="https://cdn.acme.test/logo.png"'))
  }
  const hostile = renderEmail(VERIFY.template, {
    productName: 'Acme',
    colorBrand: 'red;background:url(https://evil.test/x)',
    logoUrl: 'javascript:alert(1)',
  })
  assert.not.ok(hostile.html.includes('evil.test') || hostile.html.includes('javascript:') || hostile.html.includes('<img'))
  assert.not.ok(renderEmail(VERIFY.template, { productName: 'Acme', logoUrl: 'http://cdn.acme.test/logo.png' }).html.includes('<img'))
  assert.not.ok(/answerline/i.test(JSON.stringify(hostile)))
})

mail('Resend: sends from/to/subject/text/html with the bearer key and returns the id', async (ctx) => {
  const sent = await resendMailer(ctx).send(VERIFY)
  assert.is(ctx.received.length, 1)
  const [request] = ctx.received
  assert.is(request!.auth, `Bearer ${KEY}`)
  assert.is(sent.id, 'email_1')
  const expected = renderEmail(VERIFY.template, DEFAULT_BRANDING)
  assert.equal(
    { from: request!.body.from, to: request!.body.to, subject: request!.body.subject, text: request!.body.text, html: request!.body.html },
    { from: 'Answerline <no-reply@answerline.test>', to: 'jane@example.com', ...expected },
  )
  assert.equal({ to: sent.to, subject: sent.subject }, { to: 'jane@example.com', subject: expected.subject })
})

mail('Resend: a wrong key or a validation error fails at once, without a retry or a leak', async (ctx) => {
  for (const [mode, key] of [['ok', 're_wrong_key'], ['invalid', KEY]] as const) {
    ctx.mode = mode
    ctx.received = []
    const warnings: string[] = []
    const err = await rejects(resendMailer(ctx, { key, warnings }).send(VERIFY))
    assertNoSecrets(err, warnings)
    assert.is(err.details?.status, mode === 'ok' ? 401 : 422)
    assert.is(ctx.received.length, 1, 'not retried')
    assert.ok(warnings[0]?.includes('verify_email') && warnings[0].includes('j…@example.com'), warnings[0])
  }
})

mail('Resend: a 429 is retried once with the same idempotency key', async (ctx) => {
  ctx.mode = 'rate-limited-once'
  const sent = await resendMailer(ctx).send(VERIFY)
  assert.is(sent.id, 'email_2')
  assert.is(ctx.received.length, 2)
  assert.ok(ctx.received[0]!.idempotencyKey)
  assert.is(ctx.received[1]!.idempotencyKey, ctx.received[0]!.idempotencyKey)
})

mail('Resend: two 500s give UPSTREAM_UNAVAILABLE', async (ctx) => {
  ctx.mode = 'down'
  const warnings: string[] = []
  const err = await rejects(resendMailer(ctx, { warnings }).send(VERIFY))
  assertNoSecrets(err, warnings)
  assert.is(err.details?.status, 500)
  assert.is(ctx.received.length, 2)
})

mail('Resend: a server that never answers is cut off by the timeout', async (ctx) => {
  ctx.mode = 'hang'
  const warnings: string[] = []
  const started = Date.now()
  const err = await rejects(resendMailer(ctx, { timeoutMs: 150, warnings }).send(VERIFY))
  assertNoSecrets(err, warnings)
  assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`)
  assert.ok(warnings[0]?.includes('"reason":"timeout"'), warnings[0])
})

mail('dev outbox: keeps and prints each email, and keeps only the last 200', async () => {
  const printed: string[] = []
  const mailer = createMailer({ resendApiKey: null, resendBaseUrl: null, from: 'x <x@test>', print: (text) => printed.push(text) })
  const sent = await mailer.send(VERIFY)
  assert.equal(mailer.outbox, [sent])
  assert.ok(sent.id.startsWith('dev_'))
  assert.match(printed[0]!, /To: +jane@example\.com\nSubject: Confirm your email for Answerline\n\n/)
  assert.ok(printed[0]!.includes(CODE))
  for (let i = 0; i < 205; i++) await mailer.send({ ...VERIFY, to: `user${i}@example.com` })
  assert.is(mailer.outbox.length, 200)
  assert.is(mailer.outbox[0]!.to, 'user5@example.com')
  assert.is(mailer.outbox.at(-1)!.to, 'user204@example.com')
})

mail('plugin: decorates app.mailer from app.config.mail', async () => {
  const app = Fastify()
  await app.register(configPlugin, { config: testConfig() })
  await app.register(mailPlugin)
  await app.ready()
  await app.mailer.send(VERIFY)
  assert.is(app.mailer.outbox.length, 1)
  await app.close()
})

mail.run()
