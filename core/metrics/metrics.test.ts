import { randomBytes, randomUUID } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp } from '../app-factory.ts'
import { freePort } from '../testing/free-port.ts'
import { rejects } from '../testing/rejects.ts'
import { openTestApp, type TestApp } from '../testing/test-app.ts'

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i
const TOKEN = randomBytes(32).toString('base64url')

const metrics = suite<{ open: TestApp; guarded: TestApp }>('metrics: Prometheus exposition and who may read it')

// Two apps in one process: each has a registry of its own, so neither collides with the other.
metrics.before(async (ctx) => {
  ctx.open = await openTestApp(createApp)
  ctx.guarded = await openTestApp(createApp, { METRICS_TOKEN: TOKEN })
})
metrics.after(async (ctx) => {
  await ctx.open.close()
  await ctx.guarded.close()
})

/** The value of one sample line (`name{labels} value`), or null when the exposition lacks it. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : null
}

metrics('after real activity it serves request latency by route pattern, job backlog and process metrics, with no ids in any label', async ({ open }) => {
  const { app } = open
  await app.inject({ url: '/healthz' })
  await app.inject({ url: '/healthz' })
  // A raw URL carrying an id must not become a label: unmatched routes share one series.
  await app.inject({ url: `/calls/${randomUUID()}/no-such-page` })
  const callId = randomUUID()
  await app.jobs.enqueue('lead-extract', { callId })
  app.metrics.providerError('twilio', `rejected ${callId}`)

  const response = await app.inject({ url: '/metrics' })
  assert.is(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  const text = response.body
  assert.is(sample(text, 'answerline_http_request_duration_seconds_count{route="/healthz",method="GET",status_class="2xx"}'), 2)
  assert.is(sample(text, 'answerline_http_request_duration_seconds_count{route="unmatched",method="GET",status_class="4xx"}'), 1)
  assert.is(sample(text, 'answerline_job_queue_jobs{queue="lead-extract",state="queued"}'), 1)
  assert.is(sample(text, 'answerline_job_queue_jobs{queue="lead-extract",state="failed"}'), 0)
  const age = sample(text, 'answerline_job_queue_oldest_age_seconds{queue="lead-extract"}')
  assert.ok(age !== null && age >= 0 && age < 60, `oldest job age ${age}`)
  assert.is(sample(text, 'answerline_provider_errors_total{provider="twilio",kind="other"}'), 1)
  assert.ok(sample(text, 'answerline_process_cpu_user_seconds_total') !== null, 'default process metrics')
  assert.ok(text.includes('# TYPE answerline_media_streams_live gauge'))
  assert.ok(text.includes('# TYPE answerline_relay_latency_seconds histogram'))
  assert.not.match(text, UUID)
})

metrics('without a token, direct loopback and private clients may read; public clients and proxied requests may not', async ({ open }) => {
  const { app } = open
  for (const remoteAddress of ['127.0.0.1', '::1', '10.1.2.3', '192.168.0.9', '::ffff:172.20.0.4']) {
    assert.is((await app.inject({ url: '/metrics', remoteAddress })).statusCode, 200, remoteAddress)
  }
  for (const remoteAddress of ['203.0.113.5', '8.8.8.8', '2001:db8::1', '::ffff:198.51.100.7', '172.32.0.1']) {
    const refused = await app.inject({ url: '/metrics', remoteAddress })
    assert.is(refused.statusCode, 403, remoteAddress)
    assert.not.match(refused.body, /answerline_/)
  }
  // Behind a load balancer the peer is the balancer's private address, whoever the client is.
  assert.is((await app.inject({ url: '/metrics', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': '203.0.113.5' } })).statusCode, 403)
  assert.is((await app.inject({ url: '/metrics', remoteAddress: '10.0.0.2', headers: { forwarded: 'for=203.0.113.5' } })).statusCode, 403)
})

metrics('with METRICS_TOKEN, only the bearer token opens /metrics, from any address', async ({ guarded }) => {
  const { app } = guarded
  assert.is((await app.inject({ url: '/metrics' })).statusCode, 403, 'loopback without the token')
  assert.is((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN.slice(1)}` } })).statusCode, 403, 'a wrong token')
  assert.is((await app.inject({ url: '/metrics', headers: { authorization: TOKEN } })).statusCode, 403, 'the token without the Bearer scheme')
  const allowed = await app.inject({ url: '/metrics', remoteAddress: '203.0.113.5', headers: { authorization: `Bearer ${TOKEN}` } })
  assert.is(allowed.statusCode, 200)
  assert.match(allowed.body, /answerline_http_request_duration_seconds/)
})

metrics('a job queue that cannot be read does not fail the scrape', async ({ open }) => {
  const { app } = open
  await open.test.db.raw('alter table pgboss.job rename to job_moved')
  try {
    const response = await app.inject({ url: '/metrics' })
    assert.is(response.statusCode, 200)
    assert.match(response.body, /answerline_http_request_duration_seconds/)
  } finally {
    await open.test.db.raw('alter table pgboss.job_moved rename to job')
  }
})

metrics('an email Resend does not take is counted as a provider error, and the sender still hears of it', async () => {
  const t = await openTestApp(createApp, { RESEND_API_KEY: 're_test_0123456789abcdef', RESEND_BASE_URL: `http://127.0.0.1:${await freePort()}` })
  try {
    await rejects(t.app.mailer.send({ to: 'jane@example.com', template: { kind: 'verify_email', code: '482913', expiresInMinutes: 15 } }))
    const text = (await t.app.inject({ url: '/metrics' })).body
    assert.is(sample(text, 'answerline_provider_errors_total{provider="resend",kind="send_failed"}'), 1)
  } finally {
    await t.close()
  }
})

metrics.run()
