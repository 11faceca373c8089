import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { insertApiKey, insertMembership, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { callSid, insertVoiceBusiness, postTwilio, type VoiceBusiness } from '../voice/testing/voice-fixture.ts'
import { toGlobalId as g } from './relay/global-id.ts'

type Ctx = { t: TestApp; business: VoiceBusiness; owner: string; member: string; embedWrite: string; embedRead: string; freshBusinessId: string }
const settings = suite<Ctx>('graphql: agent settings (read, versioned saves, validation, permissions)')

const SETTINGS = `version language voice greeting disclosureText consentPrompt consentMaxAttempts systemPrompt knowledge services workingHours afterHoursBehavior
  captureFields { totalCount nodes { key label type required options } } escalationRules forwardingNumber staffFirstSeconds outOfMinutesBehavior recordingEnabled retentionDays timeZone updatedAt`
const READ = `query($b: ID!) { node(id: $b) { ... on Business { agentSettings { ${SETTINGS} } } } }`
const SAVE = `mutation($i: UpdateAgentSettingsInput!) { updateAgentSettings(input: $i) { agentSettings { ${SETTINGS} } userErrors { field code message } } }`

const gql = (ctx: Ctx, query: string, variables: Record<string, unknown>, token: string) => graphqlRequest(ctx.t.app, query, variables, { token })
const save = (ctx: Ctx, input: Record<string, unknown>, token = ctx.owner, businessId = ctx.business.businessId) => gql(ctx, SAVE, { i: { businessId: g('Business', businessId), ...input } }, token)

async function logIn(t: TestApp, email: string): Promise<string> {
  const result = await graphqlRequest(t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email, password: TEST_PASSWORD } })
  return result.data.logIn.tokens.accessToken
}

/** Everything a save may write, to show that a refused one wrote nothing. */
async function stored(ctx: Ctx) {
  const db = ctx.t.test.db
  return {
    configs: await db('agent_configs').orderBy(['business_id', 'version']),
    businesses: await db('businesses').orderBy('id'),
    audits: (await db('audit_log').where({ action: 'agent_settings.updated' }).count({ n: '*' }).first())?.n,
  }
}

settings.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  const db = ctx.t.test.db
  ctx.business = await insertVoiceBusiness(db, { minutes: 100, plan: 'growth' })
  ctx.owner = await logIn(ctx.t, ctx.business.ownerEmail)
  const member = await insertUser(db)
  await insertMembership(db, member.id, ctx.business.organizationId, 'member')
  ctx.member = await logIn(ctx.t, member.email)
  const key = await insertApiKey(db, ctx.business.organizationId, ['embed_tokens:create', 'agent:read', 'agent:write'])
  const embed = async (permissions: string[]) =>
    (await graphqlRequest(ctx.t.app, 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token } }', { i: { businessId: g('Business', ctx.business.businessId), permissions } }, { token: key.secret })).data.createEmbedToken.token
  ctx.embedWrite = await embed(['AGENT_READ', 'AGENT_WRITE'])
  ctx.embedRead = await embed(['AGENT_READ'])
  const [fresh] = await db('businesses').insert({ organization_id: ctx.business.organizationId, name: 'Second site' }).returning('id')
  ctx.freshBusinessId = fresh.id
})
settings.after((ctx) => ctx.t.close())

settings('reads the latest version, with the business\'s time zone and retention; null before a first save', async (ctx) => {
  const read = await gql(ctx, READ, { b: g('Business', ctx.business.businessId) }, ctx.member)
  const agent = read.data.node.agentSettings
  assert.equal({ ...agent, updatedAt: typeof agent.updatedAt }, {
    version: 1, language: 'en-US', voice: 'marin', greeting: 'Hello, how can I help?', disclosureText: 'You are speaking with an AI assistant.',
    consentPrompt: 'May we record this call? Say yes or press 1, or say no or press 2.', consentMaxAttempts: 2, systemPrompt: '', knowledge: '', services: [], workingHours: {},
    afterHoursBehavior: 'TAKE_MESSAGE', captureFields: { totalCount: 0, nodes: [] }, escalationRules: {}, forwardingNumber: '+15005550001', staffFirstSeconds: null,
    outOfMinutesBehavior: 'REFUSE', recordingEnabled: true, retentionDays: 90, timeZone: 'UTC', updatedAt: 'string',
  })
  const none = await gql(ctx, READ, { b: g('Business', ctx.freshBusinessId) }, ctx.owner)
  assert.equal(none.data.node.agentSettings, null)
})

settings('a save adds a version copying what it does not change; new calls use it', async (ctx) => {
  const result = await save(ctx, {
    greeting: '  Thanks for calling Harbor Plumbing!  ',
    services: ['Drain cleaning', 'Water heaters'],
    workingHours: { mon: [{ open: '08:00', close: '12:00' }, { open: '13:00', close: '17:30' }], sat: [] },
    captureFields: [{ key: 'bathrooms', label: 'Bathrooms', type: 'NUMBER' }, { key: 'property', label: 'Property type', type: 'CHOICE', required: true, options: ['House', 'Flat'] }],
    escalationRules: { askForHuman: true, keywords: ['flood'], vipNumbers: ['+14155550100'] },
    staffFirstSeconds: 15,
    afterHoursBehavior: 'FORWARD',
    timeZone: 'america/los_angeles',
    retentionDays: 30,
  })
  assert.equal(result.data.updateAgentSettings.userErrors, [])
  const agent = result.data.updateAgentSettings.agentSettings
  assert.equal([agent.version, agent.greeting, agent.disclosureText, agent.forwardingNumber, agent.staffFirstSeconds, agent.afterHoursBehavior], [2, 'Thanks for calling Harbor Plumbing!', 'You are speaking with an AI assistant.', '+15005550001', 15, 'FORWARD'])
  assert.equal([agent.timeZone, agent.retentionDays, agent.services], ['America/Los_Angeles', 30, ['Drain cleaning', 'Water heaters']])
  assert.equal(agent.captureFields.nodes, [{ key: 'bathrooms', label: 'Bathrooms', type: 'NUMBER', required: false, options: [] }, { key: 'property', label: 'Property type', type: 'CHOICE', required: true, options: ['House', 'Flat'] }])
  assert.equal(agent.escalationRules, { askForHuman: true, keywords: ['flood'], vipNumbers: ['+14155550100'] })

  const db = ctx.t.test.db
  const versions = await db('agent_configs').where({ business_id: ctx.business.businessId }).orderBy('version')
  assert.equal(versions.map((v) => [v.version, v.greeting]), [[1, 'Hello, how can I help?'], [2, 'Thanks for calling Harbor Plumbing!']], 'the previous version is kept')
  const audit = await db('audit_log').where({ action: 'agent_settings.updated', business_id: ctx.business.businessId }).first()
  assert.equal([audit.actor_type, audit.target_id, audit.metadata.version], ['user', versions[1].id, 2])

  const sid = callSid()
  await postTwilio(ctx.t.app, '/voice/inbound', { CallSid: sid, From: '+15551230000', To: ctx.business.number })
  const call = await db('calls').where({ twilio_call_sid: sid }).first()
  assert.is(call.agent_config_id, versions[1].id)
})

settings('each refused field is named in userErrors, and nothing is written', async (ctx) => {
  const attempts: Array<[Record<string, unknown>, string[], string]> = [
    [{ greeting: '   ' }, ['greeting'], 'TOO_SHORT'],
    [{ disclosureText: 'x'.repeat(1001) }, ['disclosureText'], 'TOO_LONG'],
    [{ consentPrompt: '' }, ['consentPrompt'], 'TOO_SHORT'],
    [{ systemPrompt: 'x'.repeat(20_001) }, ['systemPrompt'], 'TOO_LONG'],
    [{ knowledge: 'x'.repeat(100_001) }, ['knowledge'], 'TOO_LONG'],
    [{ voice: 'Marin Deluxe' }, ['voice'], 'INVALID'],
    [{ language: 'english' }, ['language'], 'INVALID'],
    [{ consentMaxAttempts: 6 }, ['consentMaxAttempts'], 'OUT_OF_RANGE'],
    [{ services: ['Drains', 'Drains'] }, ['services'], 'INVALID'],
    [{ workingHours: { mon: [{ open: '9:00', close: '17:00' }] } }, ['workingHours', 'mon', '0', 'open'], 'INVALID'],
    [{ workingHours: { tue: [{ open: '17:00', close: '09:00' }] } }, ['workingHours', 'tue', '0', 'close'], 'INVALID'],
    [{ workingHours: { wed: [{ open: '09:00', close: '13:00' }, { open: '12:00', close: '17:00' }] } }, ['workingHours', 'wed'], 'INVALID'],
    [{ workingHours: { monday: [] } }, ['workingHours', 'monday'], 'INVALID'],
    [{ forwardingNumber: '415-555-0100' }, ['forwardingNumber'], 'INVALID'],
    [{ staffFirstSeconds: 3 }, ['staffFirstSeconds'], 'OUT_OF_RANGE'],
    [{ forwardingNumber: null }, ['forwardingNumber'], 'REQUIRED'], // the saved version forwards after hours and rings staff first
    [{ captureFields: [{ key: 'rooms', label: 'Rooms', type: 'NUMBER' }, { key: 'rooms', label: 'Rooms again', type: 'TEXT' }] }, ['captureFields', '1', 'key'], 'INVALID'],
    [{ captureFields: [{ key: 'Rooms', label: 'Rooms', type: 'NUMBER' }] }, ['captureFields', '0', 'key'], 'INVALID'],
    [{ captureFields: [{ key: 'kind', label: 'Kind', type: 'CHOICE' }] }, ['captureFields', '0', 'options'], 'INVALID'],
    [{ captureFields: Array.from({ length: 21 }, (_, i) => ({ key: `f${i}`, label: `Field ${i}`, type: 'TEXT' })) }, ['captureFields'], 'TOO_LONG'],
    [{ escalationRules: { vipNumbers: ['555'] } }, ['escalationRules', 'vipNumbers', '0'], 'INVALID'],
    [{ escalationRules: { askForHuman: 'yes' } }, ['escalationRules', 'askForHuman'], 'INVALID'],
    [{ escalationRules: { whenAngry: true } }, ['escalationRules', 'whenAngry'], 'INVALID'],
    [{ timeZone: 'Mars/Olympus_Mons' }, ['timeZone'], 'INVALID'],
    [{ timeZone: '+01:00' }, ['timeZone'], 'INVALID'],
    [{ retentionDays: 0 }, ['retentionDays'], 'OUT_OF_RANGE'],
    [{ retentionDays: 3651 }, ['retentionDays'], 'OUT_OF_RANGE'],
  ]
  const before = await stored(ctx)
  for (const [input, field, code] of attempts) {
    const result = await save(ctx, { greeting: 'A valid greeting', ...input })
    const payload = result.data.updateAgentSettings
    assert.equal(payload.userErrors.map((e: { field: string[]; code: string }) => [e.field, e.code]), [[['input', ...field], code]], JSON.stringify(input).slice(0, 200))
    assert.ok(payload.userErrors[0].message.length > 0)
    assert.is(payload.agentSettings, null)
  }
  const several = await save(ctx, { greeting: '', retentionDays: 0, voice: 'X' })
  assert.equal(several.data.updateAgentSettings.userErrors.map((e: { field: string[] }) => e.field.join('.')).sort(), ['input.greeting', 'input.retentionDays', 'input.voice'])
  assert.equal(await stored(ctx), before)
})

settings('forwarding needs a number, and a first save needs the texts read to callers', async (ctx) => {
  const before = await stored(ctx)
  const first = await save(ctx, { outOfMinutesBehavior: 'FORWARD', staffFirstSeconds: 10 }, ctx.owner, ctx.freshBusinessId)
  assert.equal(first.data.updateAgentSettings.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code]), [
    ['input.greeting', 'REQUIRED'], ['input.disclosureText', 'REQUIRED'], ['input.consentPrompt', 'REQUIRED'],
    ['input.staffFirstSeconds', 'INVALID'], ['input.outOfMinutesBehavior', 'INVALID'],
  ])
  assert.equal(await stored(ctx), before)
  const ok = await save(ctx, { greeting: 'Hi', disclosureText: 'An AI answers.', consentPrompt: 'Record?', forwardingNumber: '+14155550111', outOfMinutesBehavior: 'FORWARD' }, ctx.owner, ctx.freshBusinessId)
  assert.equal(ok.data.updateAgentSettings.userErrors, [])
  assert.equal([ok.data.updateAgentSettings.agentSettings.version, ok.data.updateAgentSettings.agentSettings.outOfMinutesBehavior, ok.data.updateAgentSettings.agentSettings.voice], [1, 'FORWARD', 'marin'])
})

settings('a member who may read the agent cannot change it; an embed token with AGENT_WRITE can', async (ctx) => {
  const before = await stored(ctx)
  assert.equal(errorCodes(await save(ctx, { greeting: 'Member was here' }, ctx.member)), ['FORBIDDEN'])
  assert.equal(errorCodes(await save(ctx, { greeting: 'Widget was here' }, ctx.embedRead)), ['FORBIDDEN'])
  assert.equal(await stored(ctx), before)
  const result = await save(ctx, { greeting: 'Saved from the widget', recordingEnabled: false }, ctx.embedWrite)
  assert.equal(result.data.updateAgentSettings.userErrors, [])
  assert.equal([result.data.updateAgentSettings.agentSettings.greeting, result.data.updateAgentSettings.agentSettings.recordingEnabled], ['Saved from the widget', false])
  const audit = await ctx.t.test.db('audit_log').where({ action: 'agent_settings.updated' }).orderBy('created_at', 'desc').first()
  assert.is(audit.actor_type, 'embed_token')
})

settings('concurrent saves each get their own version, and neither change is lost', async (ctx) => {
  const latest = async () => (await ctx.t.test.db('agent_configs').where({ business_id: ctx.business.businessId }).max({ v: 'version' }).first())?.v as number
  const start = await latest()
  const results = await Promise.all([save(ctx, { knowledge: 'We serve the whole Bay Area.' }), save(ctx, { systemPrompt: 'Be brief.' })])
  assert.equal(results.map((r) => r.data.updateAgentSettings.agentSettings.version).sort(), [start + 1, start + 2])
  const newest = await ctx.t.test.db('agent_configs').where({ business_id: ctx.business.businessId, version: start + 2 }).first()
  assert.equal([newest.knowledge, newest.system_prompt], ['We serve the whole Bay Area.', 'Be brief.'])
})

settings.run()
