import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId } from './relay/global-id.ts'

/** Organizations, members and invitations, API keys and embed tokens. */
const team = suite<{ t: TestApp; ownerToken: string; orgId: string; businessIds: string[] }>('graphql: organizations, members, API keys and embed tokens')

async function tokenFor(t: TestApp, email: string): Promise<string> {
  const result = await graphqlRequest(t.app, 'mutation($input: LogInInput!) { logIn(input: $input) { tokens { accessToken } userErrors { code } } }', { input: { email, password: TEST_PASSWORD } })
  const token = result.data?.logIn.tokens?.accessToken
  if (!token) throw new Error(`could not sign in ${email}: ${JSON.stringify(result)}`)
  return token
}

team.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  const owner = await insertUser(ctx.t.test.db, { email: 'owner@agency.example' })
  const org = await insertOrganization(ctx.t.test.db, { kind: 'agency', name: 'Agency', businesses: 2 })
  await insertMembership(ctx.t.test.db, owner.id, org.id, 'owner')
  ctx.ownerToken = await tokenFor(ctx.t, owner.email)
  ctx.orgId = toGlobalId('Organization', org.id)
  ctx.businessIds = org.businessIds.map((id) => toGlobalId('Business', id))
})
team.after((ctx) => ctx.t.close())

const q = (ctx: { t: TestApp }, query: string, variables: Record<string, unknown>, token: string) => graphqlRequest(ctx.t.app, query, variables, { token })

team('the owner sees the organization with both client businesses', async (ctx) => {
  const result = await q(ctx, '{ organizations { nodes { id name viewerRole businesses { totalCount nodes { name } } } } }', {}, ctx.ownerToken)
  assert.equal(result.data.organizations.nodes, [{ id: ctx.orgId, name: 'Agency', viewerRole: 'OWNER', businesses: { totalCount: 2, nodes: [{ name: 'Business 1' }, { name: 'Business 2' }] } }])
})

team('a business is added to the organization', async (ctx) => {
  const result = await q(ctx, 'mutation($input: CreateBusinessInput!) { createBusiness(input: $input) { business { name timeZone organization { id } } userErrors { code } } }', { input: { organizationId: ctx.orgId, name: 'Third Client', timeZone: 'Europe/Paris', country: 'FR' } }, ctx.ownerToken)
  assert.equal(result.data.createBusiness.business, { name: 'Third Client', timeZone: 'Europe/Paris', organization: { id: ctx.orgId } })
})

team('an invitation is emailed, accepted by that email only, and limited to one business when asked', async (ctx) => {
  const invite = await q(ctx, 'mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id email role business { id } } userErrors { code } } }', { input: { organizationId: ctx.orgId, email: 'Client@Example.com', role: 'MEMBER', businessId: ctx.businessIds[0] } }, ctx.ownerToken)
  assert.equal(invite.data.inviteMember.invitation.email, 'client@example.com')
  const mail = ctx.t.app.mailer.outbox.find((m) => m.to === 'client@example.com')
  const token = mail?.text.match(/#token=([A-Za-z0-9_-]+)/)?.[1]
  assert.ok(token, 'the email carries the link')
  assert.not.ok(JSON.stringify(await ctx.t.test.db('invitations')).includes(token), 'only a hash is stored')

  const stranger = await insertUser(ctx.t.test.db, { email: 'stranger@example.com' })
  const refused = await q(ctx, 'mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { membership { id } userErrors { code } } }', { input: { token } }, await tokenFor(ctx.t, stranger.email))
  assert.equal(refused.data.acceptInvitation.userErrors, [{ code: 'NOT_ALLOWED' }])

  await insertUser(ctx.t.test.db, { email: 'client@example.com' })
  const clientToken = await tokenFor(ctx.t, 'client@example.com')
  const accepted = await q(ctx, 'mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { membership { role business { id } } userErrors { code } } }', { input: { token } }, clientToken)
  assert.equal(accepted.data.acceptInvitation.membership, { role: 'MEMBER', business: { id: ctx.businessIds[0] } })
  const again = await q(ctx, 'mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { userErrors { code } } }', { input: { token } }, clientToken)
  assert.equal(again.data.acceptInvitation.userErrors, [{ code: 'INVALID' }])

  const sees = await q(ctx, '{ organizations { nodes { viewerRole businesses { nodes { id } } } } }', {}, clientToken)
  assert.equal(sees.data.organizations.nodes, [{ viewerRole: null, businesses: { nodes: [{ id: ctx.businessIds[0] }] } }])
  const other = await q(ctx, `{ node(id: "${ctx.businessIds[1]}") { id } }`, {}, clientToken)
  assert.is(other.data.node, null)
  const members = await q(ctx, `{ node(id: "${ctx.orgId}") { ... on Organization { members { totalCount } } } }`, {}, clientToken)
  assert.equal(errorCodes(members), ['FORBIDDEN'])
})

team('members cannot manage the team, admins cannot make owners, and the last owner stays', async (ctx) => {
  const db = ctx.t.test.db
  const org = await db('organizations').where({ name: 'Agency' }).first()
  const member = await insertUser(db)
  const admin = await insertUser(db)
  const memberId = await insertMembership(db, member.id, org.id, 'member')
  await insertMembership(db, admin.id, org.id, 'admin')
  const ownerMembership = await db('memberships').where({ organization_id: org.id, role: 'owner' }).first()
  const invite = (token: string, role: string) =>
    q(ctx, 'mutation($input: InviteMemberInput!) { inviteMember(input: $input) { invitation { id } userErrors { code } } }', { input: { organizationId: ctx.orgId, email: `x${role}${Math.random()}@example.com`, role } }, token)
  assert.equal(errorCodes(await invite(await tokenFor(ctx.t, member.email), 'MEMBER')), ['FORBIDDEN'])
  const adminToken = await tokenFor(ctx.t, admin.email)
  assert.equal(errorCodes(await invite(adminToken, 'OWNER')), ['FORBIDDEN'])
  assert.ok((await invite(adminToken, 'ADMIN')).data.inviteMember.invitation.id)
  const promote = await q(ctx, 'mutation($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { membership { role } userErrors { code } } }', { input: { membershipId: toGlobalId('Membership', memberId), role: 'ADMIN' } }, adminToken)
  assert.is(promote.data.updateMemberRole.membership.role, 'ADMIN')
  const demoteOwner = await q(ctx, 'mutation($input: UpdateMemberRoleInput!) { updateMemberRole(input: $input) { membership { role } } }', { input: { membershipId: toGlobalId('Membership', ownerMembership.id), role: 'MEMBER' } }, ctx.ownerToken)
  assert.equal(errorCodes(demoteOwner), ['CONFLICT'])
  assert.is((await db('memberships').where({ id: ownerMembership.id }).first()).role, 'owner')
})

team('an API key is shown once, works with its scopes, and stops working when revoked', async (ctx) => {
  const created = await q(ctx, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix scopes } userErrors { code } } }', { input: { organizationId: ctx.orgId, name: 'CRM sync', scopes: ['CALLS_READ', 'EMBED_TOKENS_CREATE', 'BUSINESS_READ'] } }, ctx.ownerToken)
  const { secret, apiKey } = created.data.createApiKey
  assert.ok(secret.startsWith(apiKey.prefix))
  const listed = await q(ctx, `{ node(id: "${ctx.orgId}") { ... on Organization { apiKeys { nodes { prefix } } } } }`, {}, ctx.ownerToken)
  assert.not.ok(JSON.stringify(listed).includes(secret), 'the secret is never shown again')
  const asKey = await graphqlRequest(ctx.t.app, '{ organizations { nodes { name } } me { user { email } } }', {}, { token: secret })
  assert.equal(asKey.data, { organizations: { nodes: [{ name: 'Agency' }] }, me: null })
  await q(ctx, 'mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { apiKey { revokedAt } } }', { input: { apiKeyId: apiKey.id } }, ctx.ownerToken)
  assert.equal(errorCodes(await graphqlRequest(ctx.t.app, '{ organizations { totalCount } }', {}, { token: secret })), ['UNAUTHENTICATED'])
})

team('an embed token covers one business with permissions the key holds, and cannot mint or widen itself', async (ctx) => {
  const key = (await q(ctx, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', { input: { organizationId: ctx.orgId, name: 'Widgets', scopes: ['CALLS_READ', 'BUSINESS_READ', 'EMBED_TOKENS_CREATE'] } }, ctx.ownerToken)).data.createApiKey.secret
  const mint = (token: string, permissions: string[], businessId = ctx.businessIds[0], ttlMinutes?: number) =>
    graphqlRequest(ctx.t.app, 'mutation($input: CreateEmbedTokenInput!) { createEmbedToken(input: $input) { token expiresAt permissions userErrors { field code } } }', { input: { businessId, permissions, ttlMinutes } }, { token })
  const minted = (await mint(key, ['BUSINESS_READ', 'CALLS_READ'])).data.createEmbedToken
  assert.equal(minted.permissions, ['BUSINESS_READ', 'CALLS_READ'])
  assert.ok(new Date(minted.expiresAt).getTime() - Date.now() <= 10 * 60_000 + 1000)

  assert.equal((await mint(key, ['AGENT_WRITE'])).data.createEmbedToken.userErrors, [{ field: ['input', 'permissions'], code: 'NOT_ALLOWED' }])
  assert.equal((await mint(key, ['CALLS_READ'], ctx.businessIds[0], 600)).data.createEmbedToken.userErrors, [{ field: ['input', 'ttlMinutes'], code: 'OUT_OF_RANGE' }])
  assert.equal(errorCodes(await mint(minted.token, ['CALLS_READ'])), ['FORBIDDEN'])
  assert.equal(errorCodes(await mint(ctx.ownerToken, ['CALLS_READ'])), ['FORBIDDEN'])

  const own = await graphqlRequest(ctx.t.app, `{ node(id: "${ctx.businessIds[0]}") { ... on Business { name viewerPermissions } } }`, {}, { token: minted.token })
  assert.equal(own.data.node, { name: 'Business 1', viewerPermissions: ['BUSINESS_READ', 'CALLS_READ'] })
  const other = await graphqlRequest(ctx.t.app, `{ node(id: "${ctx.businessIds[1]}") { id } }`, {}, { token: minted.token })
  assert.is(other.data.node, null)
  const refresh = await graphqlRequest(ctx.t.app, 'mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { tokens { accessToken } } }', { input: { refreshToken: minted.token } })
  assert.equal(errorCodes(refresh), ['UNAUTHENTICATED'])
})

team('suspending an organization cuts its members off at once', async (ctx) => {
  const org = await insertOrganization(ctx.t.test.db, { name: 'Soon Suspended' })
  const user = await insertUser(ctx.t.test.db)
  await insertMembership(ctx.t.test.db, user.id, org.id, 'owner')
  const token = await tokenFor(ctx.t, user.email)
  assert.is((await q(ctx, '{ organizations { totalCount } }', {}, token)).data.organizations.totalCount, 1)
  await ctx.t.test.db('organizations').where({ id: org.id }).update({ status: 'suspended', suspended_at: new Date() })
  assert.is((await q(ctx, '{ organizations { totalCount } }', {}, token)).data.organizations.totalCount, 0)
  assert.is((await q(ctx, `{ node(id: "${toGlobalId('Business', org.businessIds[0] as string)}") { id } }`, {}, token)).data.node, null)
})

team('members of a white-label agency get its branding on their own emails, never ours', async (ctx) => {
  const org = await insertOrganization(ctx.t.test.db, { name: 'Brandy Agency' })
  await ctx.t.test.db('organizations').where({ id: org.id }).update({ white_label: true, branding: { productName: 'Brandy Reception', colorBrand: '#aa3300' } })
  const user = await insertUser(ctx.t.test.db, { email: 'staff@brandy.example' })
  await insertMembership(ctx.t.test.db, user.id, org.id, 'member')
  await graphqlRequest(ctx.t.app, 'mutation { requestPasswordReset(input: { email: "staff@brandy.example" }) { requested } }')
  const mail = ctx.t.app.mailer.outbox.filter((m) => m.to === 'staff@brandy.example').at(-1)
  assert.ok(mail)
  assert.match(`${mail.subject} ${mail.text}`, /Brandy Reception/)
  assert.not.match(`${mail.subject} ${mail.text} ${mail.html}`, /Answerline/)
})

team("widgets read the business branding: the white-label agency's (only safe values), Answerline's otherwise", async (ctx) => {
  const agency = await insertOrganization(ctx.t.test.db, { name: 'Widget Agency', kind: 'agency' })
  const owner = await insertUser(ctx.t.test.db)
  await insertMembership(ctx.t.test.db, owner.id, agency.id, 'owner')
  const ownerToken = await tokenFor(ctx.t, owner.email)
  const businessId = toGlobalId('Business', agency.businessIds[0] as string)
  const key = (await q(ctx, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', { input: { organizationId: toGlobalId('Organization', agency.id), name: 'Widgets', scopes: ['BUSINESS_READ', 'CALLS_READ', 'EMBED_TOKENS_CREATE'] } }, ownerToken)).data.createApiKey.secret
  const embed = (await q(ctx, 'mutation($input: CreateEmbedTokenInput!) { createEmbedToken(input: $input) { token } }', { input: { businessId, permissions: ['BUSINESS_READ', 'CALLS_READ'] } }, key)).data.createEmbedToken.token
  const branding = async () => (await q(ctx, `{ node(id: "${businessId}") { ... on Business { branding { productName colorBrand logoUrl } } } }`, {}, embed)).data.node.branding

  await ctx.t.test.db('organizations').where({ id: agency.id }).update({ branding: { productName: 'Widget Reception', colorBrand: '#0f766e' } })
  assert.equal(await branding(), { productName: 'Answerline', colorBrand: null, logoUrl: null }, 'not white-labelled: ours')

  await ctx.t.test.db('organizations').where({ id: agency.id }).update({ white_label: true, branding: { productName: 'Widget Reception', colorBrand: '#0f766e', logoUrl: 'https://cdn.widget.example/logo.svg' } })
  assert.equal(await branding(), { productName: 'Widget Reception', colorBrand: '#0f766e', logoUrl: 'https://cdn.widget.example/logo.svg' })

  await ctx.t.test.db('organizations').where({ id: agency.id }).update({ branding: { colorBrand: 'red;background:url(https://evil.example/x)', logoUrl: 'javascript:alert(1)' } })
  assert.equal(await branding(), { productName: 'Widget Agency', colorBrand: null, logoUrl: null }, 'unsafe values are left out; the name falls back to the agency')
})

team.run()
