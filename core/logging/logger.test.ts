import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp } from '../app-factory.ts'
import { openTestApp, type TestApp } from '../testing/test-app.ts'
import { maskPersonalData } from './logger.ts'

const logging = suite<{ t: TestApp; app: FastifyInstance; lines: string[] }>('logging: redaction and masking')

logging.before(async (ctx) => {
  ctx.lines = []
  const capture = new Writable({
    write(chunk, _encoding, done) {
      ctx.lines.push(...String(chunk).split('\n').filter(Boolean))
      done()
    },
  })
  ctx.t = await openTestApp((config) => createApp(config, { logStream: capture }), { LOG_LEVEL: 'info' })
  ctx.app = ctx.t.app
})
logging.after((ctx) => ctx.t.close())

logging('masks emails, phone numbers and URL passwords in free text', () => {
  assert.is(maskPersonalData('call from +1 (415) 555-0142 for jane.doe@example.com'), 'call from [phone …42] for [email]')
  assert.is(maskPersonalData('postgres://app:hunter2@db:5432/x'), 'postgres://app:[redacted]@db:5432/x')
  assert.is(maskPersonalData('took 1795903468845 ms, status 200'), 'took 1795903468845 ms, status 200')
})

logging('secrets in log objects are censored and personal data masked, in every line', async ({ app, lines }) => {
  app.log.info(
    { password: 'pa55word!', token: 'tok_live_abc', user: { email: 'jane@example.com', apiKey: 'al_key_123' }, databaseUrl: 'postgres://a:b@c/d' },
    'caller +15551234567 asked for jane@example.com',
  )
  await app.inject({
    url: '/no-such-page?email=jane@example.com&phone=+15551234567',
    headers: { authorization: 'Bearer secret-bearer-value', cookie: 'session=cookie-secret' },
  })
  const all = lines.join('\n')
  for (const leaked of ['pa55word!', 'tok_live_abc', 'al_key_123', 'jane@example.com', '15551234567', 'secret-bearer-value', 'cookie-secret', 'postgres://a:b@']) {
    assert.not.ok(all.includes(leaked), `log contains ${leaked}`)
  }
  assert.ok(lines.every((line) => JSON.parse(line)), 'every line is still JSON')
  assert.ok(all.includes('[redacted]'))
  assert.ok(all.includes('[phone …67]'))
  assert.ok(lines.some((line) => JSON.parse(line).req?.url?.startsWith('/no-such-page?email=[email]')), 'the request line was written, masked')
})

logging('request lines carry the request id', async ({ app, lines }) => {
  await app.inject({ url: '/no-such-page', headers: { 'x-request-id': 'trace-me-1' } })
  assert.ok(lines.some((line) => JSON.parse(line).reqId === 'trace-me-1'), lines.slice(-3).join('\n'))
})

logging.run()
