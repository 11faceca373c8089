import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.ts'
import { testConfig } from '../core/index.ts'
import { openTestDb, type TestDb } from '../core/testing/test-db.ts'
import { insertVoiceBusiness } from '../voice/testing/voice-fixture.ts'
import { editLead } from './lead-lifecycle.ts'
import { reextractFallbackLeads } from './reextract-sweep.job.ts'
import { startFakeOpenAI, type FakeOpenAI } from './testing/fake-openai.ts'
import { eventually, finishedCall, modelAnswer } from './testing/lead-fixture.ts'

/**
 * Without OpenAI the fallback extractor makes every lead; once the model is configured, the sweep
 * gives those leads to the model, which fills them in without overwriting what a person corrected.
 */
const reextraction = suite<{ test: TestDb; ai: FakeOpenAI; apps: FastifyInstance[] }>('leads: fallback leads are re-extracted when the model is back')

reextraction.before(async (ctx) => {
  ctx.test = await openTestDb()
  ctx.ai = await startFakeOpenAI()
  ctx.apps = []
})
reextraction.after(async (ctx) => {
  for (const app of ctx.apps) await app.close()
  await ctx.ai.close()
  await ctx.test.destroy()
})

const start = async (ctx: { test: TestDb; apps: FastifyInstance[] }, env: Record<string, string>) => {
  const app = await buildApp(testConfig({ DATABASE_URL: ctx.test.url, JOBS_POLL_SECONDS: '0.5', ...env }))
  ctx.apps.push(app)
  return app
}

reextraction('not configured: a fallback lead at once; later the model fills it in, keeping a person\'s correction', async (ctx) => {
  const withoutModel = await start(ctx, {})
  const business = await insertVoiceBusiness(ctx.test.db, { minutes: 100 })
  const callId = await finishedCall(withoutModel, ctx.test.db, business, [
    ['agent', 'Thanks for calling, who am I speaking with?'],
    ['caller', 'This is Dana Whitfield, my sink is leaking. Email is d a n a at example dot com.'],
  ])
  const fallback = await eventually(() => ctx.test.db('leads').where({ call_id: callId }).first())
  assert.equal([fallback.extraction_method, fallback.fallback_reason, fallback.name, fallback.email], ['fallback', 'not_configured', 'Dana Whitfield', 'dana@example.com'])
  assert.is(ctx.ai.requests.length, 0, 'no model was called')

  // The owner corrects the name before the model is back.
  await ctx.test.db.transaction((trx) => editLead(trx, fallback, null, { name: 'Dana Whitfield-Ross' }))
  await withoutModel.close()

  const withModel = await start(ctx, { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: ctx.ai.baseUrl })
  ctx.ai.respond = () => ({
    content: modelAnswer({
      name: { value: 'Dana Whitfield', confidence: 0.9, segment: 1 },
      email: { value: 'dana@example.com', confidence: 0.9, segment: 1 },
      reason: { value: 'Leaking sink', confidence: 0.9, segment: 1 },
      temperature: { value: 'warm', confidence: 0.8, segment: 1 },
    }),
  })
  assert.is(await reextractFallbackLeads(withModel.db, withModel.jobs), 1)
  const upgraded = await eventually(async () => {
    const lead = await ctx.test.db('leads').where({ call_id: callId }).first()
    return lead.extraction_method === 'model' ? lead : undefined
  })
  assert.equal([upgraded.id, upgraded.name, upgraded.reason, upgraded.temperature, upgraded.fallback_reason], [fallback.id, 'Dana Whitfield-Ross', 'Leaking sink', 'warm', null])
  assert.is((await ctx.test.db('lead_revisions').where({ lead_id: fallback.id })).length, 1, 'the person\'s edit is the only revision')
  assert.is(await reextractFallbackLeads(withModel.db, withModel.jobs), 0, 'nothing left to re-extract')
})

reextraction.run()
