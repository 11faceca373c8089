import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import type { DomainEvent } from '../core/index.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { insertVoiceBusiness, type VoiceBusiness } from '../voice/testing/voice-fixture.ts'
import { eventually, finishedCall, modelAnswer, type Line } from './testing/lead-fixture.ts'
import { startFakeOpenAI, type FakeOpenAI } from './testing/fake-openai.ts'

type Ctx = { t: TestApp; ai: FakeOpenAI; business: VoiceBusiness; events: DomainEvent[] }
const extraction = suite<Ctx>('leads: extraction after a call, with gpt-4o-mini or the fallback')

const CAPTURE_FIELDS = [
  { key: 'preferred_time', label: 'Preferred time', type: 'text', required: false },
  { key: 'bathrooms', label: 'Bathrooms', type: 'number', required: false },
  { key: 'is_owner', label: 'Owns the home', type: 'boolean', required: false },
  { key: 'visit_date', label: 'Visit date', type: 'date', required: false },
  { key: 'property_type', label: 'Property type', type: 'choice', required: true, options: ['House', 'Apartment', 'Commercial'] },
  { key: 'billing_email', label: 'Billing email', type: 'email', required: false },
  { key: 'site_phone', label: 'Site phone', type: 'phone', required: false },
]

const TRANSCRIPT: Line[] = [
  ['agent', 'Thanks for calling Harbor Plumbing, how can I help?'],
  ['caller', "Hi, this is Dana Whitfield, my kitchen sink is leaking and it's getting worse."],
  ['agent', 'Sorry to hear that. What is the best number and email to reach you?'],
  ['caller', 'Call me on (415) 555-0134, email DANA.W@Example.COM'],
]

const leadOf = (ctx: Ctx, callId: string) => ctx.t.test.db('leads').where({ call_id: callId }).first()
const until = (ctx: Ctx, callId: string, test: (lead: Record<string, any>) => boolean) =>
  eventually(async () => {
    const lead = await leadOf(ctx, callId)
    return lead && test(lead) ? lead : undefined
  })

extraction.before(async (ctx) => {
  ctx.ai = await startFakeOpenAI()
  ctx.t = await openTestApp(buildApp, { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: ctx.ai.baseUrl, OPENAI_TIMEOUT_MS: '800', OPENAI_MAX_RETRIES: '1', JOBS_POLL_SECONDS: '0.5' })
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000, agent: { capture_fields: JSON.stringify(CAPTURE_FIELDS) } })
  ctx.events = []
  ctx.t.app.events.on('lead.captured', (event) => ctx.events.push(event))
  ctx.t.app.events.on('lead.updated', (event) => ctx.events.push(event))
})
extraction.before.each((ctx) => {
  ctx.ai.script = []
  ctx.ai.requests = []
  ctx.ai.respond = () => ({ content: modelAnswer() })
})
extraction.after(async (ctx) => {
  await ctx.t.close()
  await ctx.ai.close()
})

extraction('a valid answer becomes the lead: normalized values, evidence, model and prompt version, summary on the call', async (ctx) => {
  ctx.ai.script.push({
    content: modelAnswer(
      {
        name: { value: '  Dana   Whitfield ', confidence: 0.95, segment: 1 },
        email: { value: 'DANA.W@Example.COM', confidence: 0.9, segment: 3 },
        phone: { value: '(415) 555-0134', confidence: 0.9, segment: 3 },
        reason: { value: 'Kitchen sink leaking, getting worse.', confidence: 0.9, segment: 1 },
        urgency: { value: 'high', confidence: 0.8, segment: 1 },
        callOutcome: { value: 'lead_captured', confidence: 0.8, segment: null },
        temperature: { value: 'hot', confidence: 0.7, segment: 42 },
      },
      {
        preferred_time: { value: ' mornings ', confidence: 0.8, segment: 3 },
        bathrooms: { value: 2, confidence: 0.8, segment: 3 },
        is_owner: { value: true, confidence: 0.8, segment: 3 },
        visit_date: { value: '2026-12-03', confidence: 0.8, segment: 3 },
        property_type: { value: 'house', confidence: 0.9, segment: 1 },
        billing_email: { value: 'Bills@Example.com', confidence: 0.8, segment: 3 },
        site_phone: { value: '415 555 0177', confidence: 0.8, segment: 3 },
      },
      'Dana has a leaking kitchen sink and wants a plumber soon.',
    ),
  })
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const lead = await until(ctx, callId, () => true)
  assert.equal(
    [lead.extraction_method, lead.name, lead.email, lead.phone, lead.urgency, lead.call_outcome, lead.temperature],
    ['model', 'Dana Whitfield', 'dana.w@example.com', '+14155550134', 'high', 'lead_captured', 'hot'],
  )
  assert.equal(lead.custom_fields, { preferred_time: 'mornings', bathrooms: 2, is_owner: true, visit_date: '2026-12-03', property_type: 'House', billing_email: 'bills@example.com', site_phone: '+14155550177' })
  assert.equal([lead.extraction_model, lead.prompt_version.startsWith('lead-extract/')], ['gpt-4o-mini', true])
  assert.equal(lead.evidence.name, { seq: 1, confidence: 0.95 })
  assert.equal(lead.evidence.temperature, { seq: null, confidence: 0.7 }, 'evidence naming a line that does not exist is dropped')
  assert.equal([lead.needs_review, lead.review_fields], [false, []])
  const call = await ctx.t.test.db('calls').where({ id: callId }).first('summary', 'outcome')
  assert.equal(call, { summary: 'Dana has a leaking kitchen sink and wants a plumber soon.', outcome: 'lead_captured' })
  const contact = await ctx.t.test.db('contacts').where({ id: lead.contact_id }).first()
  assert.equal([contact.phone, contact.email, contact.name], ['+14155550134', 'dana.w@example.com', 'Dana Whitfield'])
  assert.ok(ctx.events.some((e) => e.type === 'lead.captured' && e.leadId === lead.id))
})

extraction('the request asks for strict structured output built from the capture fields, with the call metadata in the prompt', async (ctx) => {
  ctx.ai.script.push({ content: modelAnswer() })
  await until(ctx, await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT), () => true)
  const { body, authorization } = ctx.ai.requests[0] as FakeOpenAI['requests'][number]
  assert.is(authorization, 'Bearer sk-test')
  assert.is(body.model, 'gpt-4o-mini')
  const format = body.response_format
  assert.equal([format.type, format.json_schema.strict], ['json_schema', true])
  const custom = format.json_schema.schema.properties.custom
  assert.equal(custom.required, CAPTURE_FIELDS.map((f) => f.key))
  assert.equal(custom.properties.property_type.properties.value.enum, ['House', 'Apartment', 'Commercial', null])
  assert.equal(custom.properties.bathrooms.properties.value.type, ['number', 'null'])
  assert.equal(custom.properties.is_owner.properties.value.type, ['boolean', 'null'])
  const prompt = body.messages[1].content as string
  assert.match(prompt, 'Caller ID: +14155550199')
  assert.match(prompt, '(UTC)')
  assert.match(prompt, '[3] caller: Call me on (415) 555-0134')
})

extraction('malformed JSON: a fallback lead at once, then the retry upgrades it to the model\'s answer', async (ctx) => {
  ctx.ai.script.push({ content: '{"name": {"value": "Dana' })
  ctx.ai.respond = () => ({ content: modelAnswer({ name: { value: 'Dana Whitfield', confidence: 0.9, segment: 1 } }) })
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const fallback = await until(ctx, callId, () => true)
  assert.equal([fallback.extraction_method, fallback.fallback_reason, fallback.phone, fallback.email], ['fallback', 'invalid_output', '+14155550134', 'dana.w@example.com'])
  const upgraded = await until(ctx, callId, (lead) => lead.extraction_method === 'model')
  assert.is(upgraded.id, fallback.id, 'the same lead, not a second one')
  assert.is(upgraded.name, 'Dana Whitfield')
  assert.is((await ctx.t.test.db('leads').where({ call_id: callId })).length, 1)
  assert.ok(ctx.events.some((e) => e.type === 'lead.updated' && e.leadId === fallback.id))
})

extraction('a refusal keeps the fallback lead and is not retried', async (ctx) => {
  ctx.ai.respond = () => ({ refusal: "I can't help with that." })
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const lead = await until(ctx, callId, () => true)
  assert.equal([lead.extraction_method, lead.fallback_reason], ['fallback', 'refused'])
  await new Promise((resolve) => setTimeout(resolve, 3_000))
  assert.is(ctx.ai.requests.length, 1)
})

extraction('429 with Retry-After: the SDK waits as told and the lead comes from the model', async (ctx) => {
  ctx.ai.script.push({ status: 429, headers: { 'retry-after': '1' }, message: 'Rate limit reached' })
  ctx.ai.respond = () => ({ content: modelAnswer({ name: { value: 'Dana Whitfield', confidence: 0.9, segment: 1 } }) })
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const lead = await until(ctx, callId, () => true)
  assert.equal([lead.extraction_method, lead.name], ['model', 'Dana Whitfield'])
  const [first, second] = ctx.ai.requests
  assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 900, 'waited for Retry-After')
})

extraction('a model that never answers times out: the fallback lead exists within seconds', async (ctx) => {
  ctx.ai.respond = () => ({ hang: true })
  const started = Date.now()
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT)
  const lead = await until(ctx, callId, () => true)
  assert.equal([lead.extraction_method, lead.fallback_reason, lead.phone], ['fallback', 'unavailable', '+14155550134'])
  assert.ok(Date.now() - started < 6_000, `took ${Date.now() - started} ms`)
})

extraction('a required field the model is unsure of flags the lead for review', async (ctx) => {
  ctx.ai.script.push({
    content: modelAnswer(
      { name: { value: 'Dana Whitfield', confidence: 0.9, segment: 1 }, phone: { value: '4155550134', confidence: 0.9, segment: 3 } },
      { property_type: { value: 'Apartment', confidence: 0.3, segment: 1 } },
    ),
  })
  const lead = await until(ctx, await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT), () => true)
  assert.equal([lead.needs_review, lead.review_fields], [true, ['custom.property_type']])
})

extraction('the same caller twice links one contact with both leads', async (ctx) => {
  ctx.ai.respond = () => ({ content: modelAnswer({ phone: { value: '+1 415 555 0166', confidence: 0.9, segment: 3 } }) })
  const first = await until(ctx, await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT, { from: '+14155550166' }), () => true)
  const second = await until(ctx, await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT, { from: '+14155550166' }), () => true)
  assert.ok(first.contact_id)
  assert.is(second.contact_id, first.contact_id)
  assert.is((await ctx.t.test.db('contacts').where({ business_id: ctx.business.businessId, phone: '+14155550166' })).length, 1)
})

extraction('an anonymous caller who said nothing leaves no lead; a silent caller with caller ID does', async (ctx) => {
  const anonymous = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, [['agent', 'Hello?']], { from: 'anonymous' })
  const silent = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, [['agent', 'Hello?']], { from: '+14155550188' })
  const lead = await until(ctx, silent, () => true)
  assert.is(lead.phone, '+14155550188')
  const job = await ctx.t.test.db.withSchema('pgboss').from('job').whereRaw("data->>'callId' = ?", [anonymous]).first('state')
  assert.is(job?.state, 'completed')
  assert.is(await leadOf(ctx, anonymous), undefined)
})

extraction('extraction waits for the worker\'s end report, so the last transcript lines are in', async (ctx) => {
  ctx.ai.respond = (body) => ({ content: modelAnswer({ reason: { value: String(/last words/.test(body.messages[1].content)), confidence: 0.9, segment: null } }) })
  const callId = await finishedCall(ctx.t.app, ctx.t.test.db, ctx.business, TRANSCRIPT, { streamEnded: false })
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  assert.is(await leadOf(ctx, callId), undefined, 'not before the stream has ended')
  const call = await ctx.t.test.db('calls').where({ id: callId }).first('business_id')
  await ctx.t.test.db('transcript_segments').insert({ call_id: callId, business_id: call.business_id, seq: 10, speaker: 'caller', text: 'And these are my last words.', started_ms: 40_000 })
  await ctx.t.test.db('calls').where({ id: callId }).update({ quality: { endReason: 'twilio_stopped' } })
  const lead = await until(ctx, callId, () => true)
  assert.is(lead.reason, 'true')
})

extraction.run()
