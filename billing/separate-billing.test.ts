/** An agency bills a client business on its own account, or centrally; who may decide, and what it changes. */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { appendLedger, billingAccountFor } from '../core/index.ts'
import { insertMembership, insertOrganization, insertUser } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId } from '../graphql/relay/global-id.ts'
import { tokenFor } from './testing/billing-fixture.ts'

const separate = suite<{ t: TestApp }>('billing: a client business billed on its own or centrally')
separate.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
})
separate.after(async (ctx) => {
  await ctx.t.close()
})

const SET = 'mutation($i: SetSeparateBillingInput!) { setSeparateBilling(input: $i) { usage { billedSeparately plan includedMinutesLeft } userErrors { field code } } }'

async function agency(t: TestApp) {
  const db = t.test.db
  const org = await insertOrganization(db, { kind: 'agency', businesses: 2 })
  const [central] = await db('billing_accounts').insert({ organization_id: org.id, display_name: 'Agency', plan: 'pro', subscription_status: 'active' }).returning('id')
  await db.transaction((trx) => appendLedger(trx, central.id, [{ kind: 'allowance', bucket: 'included', minutes: 3000 }]))
  const owner = await insertUser(db)
  await insertMembership(db, owner.id, org.id, 'owner')
  const clientAdmin = await insertUser(db)
  await insertMembership(db, clientAdmin.id, org.id, 'admin', org.businessIds[0])
  const [client, other] = org.businessIds as [string, string]
  return { org, centralId: central.id as string, client, other, owner: await tokenFor(t, owner.email), clientAdmin: await tokenFor(t, clientAdmin.email) }
}

separate('the agency owner bills a client on its own account (free plan to start), then centrally again', async ({ t }) => {
  const a = await agency(t)
  const on = await graphqlRequest(t.app, SET, { i: { businessId: toGlobalId('Business', a.client), separate: true } }, { token: a.owner })
  assert.equal(on.data.setSeparateBilling, { usage: { billedSeparately: true, plan: 'FREE', includedMinutesLeft: 30 }, userErrors: [] })
  const payer = await billingAccountFor(t.test.db, { id: a.client, organizationId: a.org.id })
  assert.ok(payer && payer.id !== a.centralId, "the client's calls reserve minutes from its own account")
  assert.equal((await billingAccountFor(t.test.db, { id: a.other, organizationId: a.org.id }))?.id, a.centralId, 'other clients still pay centrally')
  const again = await graphqlRequest(t.app, SET, { i: { businessId: toGlobalId('Business', a.client), separate: true } }, { token: a.owner })
  assert.is(again.data.setSeparateBilling.usage.includedMinutesLeft, 30, 'asking twice opens one account')

  const off = await graphqlRequest(t.app, SET, { i: { businessId: toGlobalId('Business', a.client), separate: false } }, { token: a.owner })
  assert.equal(off.data.setSeparateBilling, { usage: { billedSeparately: false, plan: 'PRO', includedMinutesLeft: 3000 }, userErrors: [] })
  assert.ok((await t.test.db('billing_accounts').where({ id: payer.id }).first('closed_at')).closed_at, 'closed, and kept')
})

separate('going back to central billing is refused while the own account has a live subscription or bought minutes', async ({ t }) => {
  const a = await agency(t)
  await graphqlRequest(t.app, SET, { i: { businessId: toGlobalId('Business', a.client), separate: true } }, { token: a.owner })
  const own = await t.test.db('billing_accounts').where({ business_id: a.client }).whereNull('closed_at').first('id')
  await t.test.db('billing_accounts').where({ id: own.id }).update({ subscription_status: 'active', plan: 'starter' })
  const refused = await graphqlRequest(t.app, SET, { i: { businessId: toGlobalId('Business', a.client), separate: false } }, { token: a.owner })
  assert.equal(refused.data.setSeparateBilling.userErrors, [{ field: ['input', 'separate'], code: 'NOT_ALLOWED' }])
  await t.test.db('billing_accounts').where({ id: own.id }).update({ subscription_status: 'canceled', plan: 'free' })
  await t.test.db.transaction((trx) => appendLedger(trx, own.id, [{ kind: 'topup', bucket: 'topup', minutes: 50 }]))
  const stillRefused = await graphqlRequest(t.app, SET, { i: { businessId: toGlobalId('Business', a.client), separate: false } }, { token: a.owner })
  assert.equal(stillRefused.data.setSeparateBilling.userErrors, [{ field: ['input', 'separate'], code: 'NOT_ALLOWED' }])
  assert.is((await t.test.db('billing_accounts').where({ id: own.id }).first('closed_at')).closed_at, null)
})

separate("an admin of the client business alone cannot move its bill: that is the organization's call", async ({ t }) => {
  const a = await agency(t)
  const result = await graphqlRequest(t.app, SET, { i: { businessId: toGlobalId('Business', a.client), separate: true } }, { token: a.clientAdmin })
  assert.equal(errorCodes(result), ['FORBIDDEN'])
  assert.is((await t.test.db('billing_accounts').where({ business_id: a.client })).length, 0)
})

separate.run()
