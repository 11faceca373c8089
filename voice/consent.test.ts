import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { verifyCallToken } from './call-token.ts'
import { readConsentAnswer } from './consent.ts'
import { callSid, insertVoiceBusiness, postTwilio, type VoiceBusiness } from './testing/voice-fixture.ts'

/** Every path through the recording question ends in the right stored decision and TwiML. */
const consent = suite<{ t: TestApp; business: VoiceBusiness }>('voice: disclosure and recording consent')

consent.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  ctx.business = await insertVoiceBusiness(ctx.t.test.db, { minutes: 1000, agent: { consent_max_attempts: 2 } })
})
consent.after((ctx) => ctx.t.close())

async function startCall(ctx: { t: TestApp; business: VoiceBusiness }): Promise<string> {
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: ctx.business.number })
  return sid
}
const answer = (ctx: { t: TestApp }, sid: string, params: Record<string, string>) => postTwilio(ctx.t.app, '/voice/consent', { CallSid: sid, ...params })
async function recordOf(ctx: { t: TestApp }, sid: string) {
  return ctx.t.test.db('consent_records as r').join('calls as c', 'c.id', 'r.call_id').where('c.twilio_call_sid', sid).first('r.*')
}
async function tokenIn(ctx: { t: TestApp }, sid: string, xml: string) {
  const token = xml.match(/<Parameter name="callToken" value="([^"]+)"/)?.[1]
  assert.ok(token, `no stream in ${xml}`)
  return verifyCallToken(ctx.t.app.config.voice.workerSecret as string, token, sid)
}

const PATHS: Array<{ name: string; answers: Array<Record<string, string>>; decision: string; method: string | null; attempts: number; recording: boolean; says: RegExp }> = [
  { name: 'keypad 1', answers: [{ Digits: '1' }], decision: 'given', method: 'dtmf', attempts: 1, recording: true, says: /Thank you/ },
  { name: 'keypad 2', answers: [{ Digits: '2' }], decision: 'declined', method: 'dtmf', attempts: 1, recording: false, says: /will not be recorded/ },
  { name: 'spoken yes', answers: [{ SpeechResult: 'Yes, that is fine.' }], decision: 'given', method: 'speech', attempts: 1, recording: true, says: /Thank you/ },
  { name: 'spoken no', answers: [{ SpeechResult: 'No thanks.' }], decision: 'declined', method: 'speech', attempts: 1, recording: false, says: /will not be recorded/ },
  { name: 'silence, then yes', answers: [{}, { Digits: '1' }], decision: 'given', method: 'dtmf', attempts: 2, recording: true, says: /Thank you/ },
  { name: 'garbage, then no', answers: [{ SpeechResult: 'banana' }, { SpeechResult: 'no' }], decision: 'declined', method: 'speech', attempts: 2, recording: false, says: /will not be recorded/ },
  { name: 'silence twice', answers: [{}, {}], decision: 'not_completed', method: null, attempts: 2, recording: false, says: /continue without recording/ },
  { name: 'a wrong key, then garbage', answers: [{ Digits: '7' }, { SpeechResult: 'maybe later yes no' }], decision: 'not_completed', method: null, attempts: 2, recording: false, says: /continue without recording/ },
]

for (const path of PATHS) {
  consent(`${path.name}: ${path.decision}`, async (ctx) => {
    const sid = await startCall(ctx)
    let last = ''
    for (const [i, params] of path.answers.entries()) {
      last = (await answer(ctx, sid, params)).body
      if (i < path.answers.length - 1) assert.match(last, /<Gather input="speech dtmf"[^>]*><Say language="en-US">Sorry, I didn't catch that\./, 'asked again')
    }
    const record = await recordOf(ctx, sid)
    assert.equal([record.decision, record.method, record.attempts], [path.decision, path.method, path.attempts])
    assert.ok(record.decided_at)
    assert.match(last, path.says)
    assert.match(last, /<Connect><Stream/, 'the call goes on, never dropped')
    assert.is((await tokenIn(ctx, sid, last)).recording, path.recording)
  })
}

consent('a decided consent is final: a replayed or later answer changes nothing', async (ctx) => {
  const sid = await startCall(ctx)
  const first = await answer(ctx, sid, { Digits: '2' })
  const later = await answer(ctx, sid, { Digits: '1' })
  assert.is((await recordOf(ctx, sid)).decision, 'declined')
  assert.is((await tokenIn(ctx, sid, later.body)).recording, false)
  assert.match(first.body, /will not be recorded/)
})

consent('the attempt limit is the business\'s own', async (ctx) => {
  const patient = await insertVoiceBusiness(ctx.t.test.db, { minutes: 100, agent: { consent_max_attempts: 3 } })
  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: patient.number })
  for (let i = 0; i < 2; i++) assert.match((await answer(ctx, sid, {})).body, /didn't catch that/)
  assert.match((await answer(ctx, sid, {})).body, /continue without recording/)
  assert.is((await recordOf(ctx, sid)).attempts, 3)
})

consent('answers are read in the agent\'s language, as whole words', () => {
  assert.is(readConsentAnswer({ speech: 'Sí, claro', language: 'es-ES' }), 'yes')
  assert.is(readConsentAnswer({ speech: 'non merci', language: 'fr-FR' }), 'no')
  assert.is(readConsentAnswer({ speech: 'Ja, gern', language: 'de-DE' }), 'yes')
  assert.is(readConsentAnswer({ speech: 'yesterday I called', language: 'en-US' }), 'unclear')
  assert.is(readConsentAnswer({ speech: 'no, yes', language: 'en-US' }), 'unclear')
  assert.is(readConsentAnswer({ speech: 'I don\'t want that', language: 'en-US' }), 'no')
  assert.is(readConsentAnswer({ digits: '1', speech: 'no', language: 'en-US' }), 'yes')
})

consent.run()
