/** What each plan sells is what it allows: recording, custom capture fields and CRM connectors are refused on plans without them. */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { insertMembership, insertOrganization, insertUser } from '../core/testing/accounts.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId } from '../graphql/relay/global-id.ts'
import { tokenFor } from './testing/billing-fixture.ts'

const features = suite<{ t: TestApp }>('billing: plan features')
features.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
})
features.after(async (ctx) => {
  await ctx.t.close()
})

async function businessOnPlan(t: TestApp, plan: string) {
  const org = await insertOrganization(t.test.db, { kind: 'direct' })
  await t.test.db('billing_accounts').insert({ organization_id: org.id, display_name: `On ${plan}`, plan, subscription_status: plan === 'free' ? 'none' : 'active' })
  const owner = await insertUser(t.test.db)
  await insertMembership(t.test.db, owner.id, org.id, 'owner')
  return { businessId: toGlobalId('Business', org.businessIds[0] as string), localId: org.businessIds[0] as string, token: await tokenFor(t, owner.email) }
}

const SETTINGS = 'mutation($i: UpdateAgentSettingsInput!) { updateAgentSettings(input: $i) { agentSettings { version recordingEnabled } userErrors { field code message } } }'
const CONNECT = 'mutation($i: CreateConnectorInput!) { createConnector(input: $i) { connector { id } userErrors { field code } } }'
const FIELD = { key: 'insurance', label: 'Insurance provider', type: 'TEXT', required: false }

features('the free plan: no recording, no custom capture fields, no CRM connectors, and nothing is written; webhooks are fine', async ({ t }) => {
  const free = await businessOnPlan(t, 'free')
  const recording = await graphqlRequest(t.app, SETTINGS, { i: { businessId: free.businessId, recordingEnabled: true } }, { token: free.token })
  assert.equal(recording.data.updateAgentSettings.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code]), [['input.recordingEnabled', 'NOT_ALLOWED']])
  assert.match(recording.data.updateAgentSettings.userErrors[0].message, /Free plan does not include call recording/)
  const fields = await graphqlRequest(t.app, SETTINGS, { i: { businessId: free.businessId, captureFields: [FIELD] } }, { token: free.token })
  assert.equal(fields.data.updateAgentSettings.userErrors.map((e: { field: string[] }) => e.field.join('.')), ['input.captureFields'])
  assert.is((await t.test.db('agent_configs').where({ business_id: free.localId })).length, 0, 'no version was saved')

  const crm = await graphqlRequest(t.app, CONNECT, { i: { businessId: free.businessId, kind: 'HUBSPOT', name: 'CRM', credentials: { accessToken: 'pat-x' } } }, { token: free.token })
  assert.equal(crm.data.createConnector.userErrors, [{ field: ['input', 'kind'], code: 'NOT_ALLOWED' }])
  const hook = await graphqlRequest(t.app, CONNECT, { i: { businessId: free.businessId, kind: 'WEBHOOK', name: 'Hook', config: { url: 'https://hooks.example/in' } } }, { token: free.token })
  assert.equal(hook.data.createConnector.userErrors, [])
  assert.is((await t.test.db('connectors').where({ business_id: free.localId })).length, 1)
})

features('a plan that includes them allows them', async ({ t }) => {
  const growth = await businessOnPlan(t, 'growth')
  const saved = await graphqlRequest(t.app, SETTINGS, { i: { businessId: growth.businessId, greeting: 'Thanks for calling', disclosureText: 'You are speaking with an AI assistant.', consentPrompt: 'May we record this call?', recordingEnabled: true, captureFields: [FIELD] } }, { token: growth.token })
  assert.equal(saved.data.updateAgentSettings.userErrors, [])
  assert.is(saved.data.updateAgentSettings.agentSettings.recordingEnabled, true)
  const crm = await graphqlRequest(t.app, CONNECT, { i: { businessId: growth.businessId, kind: 'HUBSPOT', name: 'CRM', credentials: { accessToken: 'pat-x' } } }, { token: growth.token })
  assert.equal(crm.data.createConnector.userErrors, [])
})

features.run()
