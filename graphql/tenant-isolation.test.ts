import { createHash } from 'node:crypto'
import { isInterfaceType, isObjectType } from 'graphql'
import { createClient } from 'graphql-ws'
import WebSocket from 'ws'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { randomToken, sha256 } from '../core/auth/secrets.ts'
import { insertApiKey, insertMembership, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { graphqlRequest, type GraphQLResult } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { toGlobalId } from './relay/global-id.ts'
import { buildApiSchema } from './schema.ts'

/**
 * Tenant isolation, for every root field of the API. Tenant A owns an agency, its businesses and
 * everything around them; every other credential (another organization's user, an agency that
 * does not own the business, another organization's API key, embed tokens for another business
 * or with a narrower permission, a member limited to another business, nobody) tries every
 * operation on A's things. Each must be refused with FORBIDDEN or NOT_FOUND (UNAUTHENTICATED for
 * nobody), return none of A's data, and change nothing in the database.
 *
 * The suite walks the schema: a new query, mutation, subscription or Node type fails it until it
 * is listed below, with an attack on tenant A or the reason it has no other tenant to attack.
 */
const isolation = suite<{ t: TestApp; a: TenantA; credentials: Record<string, string | null>; wsUrl: string }>('graphql: tenant isolation of every operation')

interface TenantA {
  orgId: string
  businessId: string
  otherBusinessId: string
  ownerId: string
  membershipId: string
  invitationId: string
  apiKeyId: string
  sessionId: string
  phoneNumberId: string
  blockedNumberId: string
  callId: string
  leadId: string
  contactId: string
  connectorId: string
  deliveryId: string
  dataRequestId: string
  /** Strings that must never reach another tenant. */
  secrets: string[]
}

type Attack = (a: TenantA) => { query: string; variables?: Record<string, unknown> }

/** Operations that act on a tenant's things, and how to aim them at tenant A. */
const ATTACKS: Record<string, Attack> = {
  'Mutation.createBusiness': (a) => ({ query: 'mutation($i: CreateBusinessInput!) { createBusiness(input: $i) { business { id } } }', variables: { i: { organizationId: g('Organization', a.orgId), name: 'Intruder' } } }),
  'Mutation.inviteMember': (a) => ({ query: 'mutation($i: InviteMemberInput!) { inviteMember(input: $i) { invitation { id } } }', variables: { i: { organizationId: g('Organization', a.orgId), email: 'intruder@example.net', role: 'OWNER' } } }),
  'Mutation.revokeInvitation': (a) => ({ query: 'mutation($i: RevokeInvitationInput!) { revokeInvitation(input: $i) { revokedInvitationId } }', variables: { i: { invitationId: g('Invitation', a.invitationId) } } }),
  'Mutation.updateMemberRole': (a) => ({ query: 'mutation($i: UpdateMemberRoleInput!) { updateMemberRole(input: $i) { membership { id } } }', variables: { i: { membershipId: g('Membership', a.membershipId), role: 'MEMBER' } } }),
  'Mutation.removeMember': (a) => ({ query: 'mutation($i: RemoveMemberInput!) { removeMember(input: $i) { removedMembershipId } }', variables: { i: { membershipId: g('Membership', a.membershipId) } } }),
  'Mutation.createApiKey': (a) => ({ query: 'mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }', variables: { i: { organizationId: g('Organization', a.orgId), name: 'stolen', scopes: ['CALLS_READ'] } } }),
  'Mutation.revokeApiKey': (a) => ({ query: 'mutation($i: RevokeApiKeyInput!) { revokeApiKey(input: $i) { apiKey { id } } }', variables: { i: { apiKeyId: g('ApiKey', a.apiKeyId) } } }),
  'Mutation.createEmbedToken': (a) => ({ query: 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token } }', variables: { i: { businessId: g('Business', a.businessId), permissions: ['BUSINESS_READ'] } } }),
  'Mutation.revokeSession': (a) => ({ query: 'mutation($i: RevokeSessionInput!) { revokeSession(input: $i) { revokedSessionId } }', variables: { i: { sessionId: g('Session', a.sessionId) } } }),
  'Query.availablePhoneNumbers': (a) => ({ query: 'query($b: ID!) { availablePhoneNumbers(businessId: $b) { nodes { e164 } } }', variables: { b: g('Business', a.businessId) } }),
  'Mutation.purchasePhoneNumber': (a) => ({ query: 'mutation($i: PurchasePhoneNumberInput!) { purchasePhoneNumber(input: $i) { phoneNumber { id } } }', variables: { i: { businessId: g('Business', a.businessId), phoneNumber: '+14155550100' } } }),
  'Mutation.attachPhoneNumber': (a) => ({ query: 'mutation($i: AttachPhoneNumberInput!) { attachPhoneNumber(input: $i) { phoneNumber { id } } }', variables: { i: { businessId: g('Business', a.businessId), phoneNumber: '+14155550100' } } }),
  'Mutation.releasePhoneNumber': (a) => ({ query: 'mutation($i: ReleasePhoneNumberInput!) { releasePhoneNumber(input: $i) { releasedPhoneNumberId } }', variables: { i: { phoneNumberId: g('PhoneNumber', a.phoneNumberId) } } }),
  'Mutation.blockNumber': (a) => ({ query: 'mutation($i: BlockNumberInput!) { blockNumber(input: $i) { blockedNumber { id } } }', variables: { i: { organizationId: g('Organization', a.orgId), phoneNumber: '+15550009999' } } }),
  'Mutation.unblockNumber': (a) => ({ query: 'mutation($i: UnblockNumberInput!) { unblockNumber(input: $i) { unblockedNumberId } }', variables: { i: { blockedNumberId: g('BlockedNumber', a.blockedNumberId) } } }),
  'Mutation.updateLead': (a) => ({ query: 'mutation($i: UpdateLeadInput!) { updateLead(input: $i) { lead { id name } } }', variables: { i: { leadId: g('Lead', a.leadId), status: 'LOST', name: 'Intruder' } } }),
  'Mutation.addLeadNote': (a) => ({ query: 'mutation($i: AddLeadNoteInput!) { addLeadNote(input: $i) { note { id } lead { name } } }', variables: { i: { leadId: g('Lead', a.leadId), body: 'intruder was here' } } }),
  'Subscription.leadChanged': (a) => ({ query: 'subscription($b: ID!) { leadChanged(businessId: $b) { lead { name } } }', variables: { b: g('Business', a.businessId) } }),
  'Mutation.createConnector': (a) => ({ query: 'mutation($i: CreateConnectorInput!) { createConnector(input: $i) { connector { id } signingSecret } }', variables: { i: { businessId: g('Business', a.businessId), kind: 'WEBHOOK', name: 'Intruder hook', config: { url: 'https://intruder.example/hook' } } } }),
  'Mutation.updateConnector': (a) => ({ query: 'mutation($i: UpdateConnectorInput!) { updateConnector(input: $i) { connector { id config } } }', variables: { i: { connectorId: g('Connector', a.connectorId), config: { url: 'https://intruder.example/hook' } } } }),
  'Mutation.deleteConnector': (a) => ({ query: 'mutation($i: ConnectorIdInput!) { deleteConnector(input: $i) { deletedConnectorId } }', variables: { i: { connectorId: g('Connector', a.connectorId) } } }),
  'Mutation.testConnector': (a) => ({ query: 'mutation($i: ConnectorIdInput!) { testConnector(input: $i) { ok message } }', variables: { i: { connectorId: g('Connector', a.connectorId) } } }),
  'Mutation.rotateWebhookSecret': (a) => ({ query: 'mutation($i: ConnectorIdInput!) { rotateWebhookSecret(input: $i) { signingSecret } }', variables: { i: { connectorId: g('Connector', a.connectorId) } } }),
  'Mutation.replayDelivery': (a) => ({ query: 'mutation($i: ReplayDeliveryInput!) { replayDelivery(input: $i) { delivery { id } } }', variables: { i: { deliveryId: g('Delivery', a.deliveryId) } } }),
  'Mutation.updateAgentSettings': (a) => ({ query: 'mutation($i: UpdateAgentSettingsInput!) { updateAgentSettings(input: $i) { agentSettings { version greeting forwardingNumber } } }', variables: { i: { businessId: g('Business', a.businessId), greeting: 'Intruder greeting', forwardingNumber: '+15550009999', staffFirstSeconds: 10, timeZone: 'Asia/Tokyo' } } }),
  'Subscription.callChanged': (a) => ({ query: 'subscription($b: ID!) { callChanged(businessId: $b) { id fromNumber consent { decision } recordingUrl } }', variables: { b: g('Business', a.businessId) } }),
  'Mutation.startCheckout': (a) => ({ query: 'mutation($i: StartCheckoutInput!) { startCheckout(input: $i) { checkoutUrl } }', variables: { i: { businessId: g('Business', a.businessId), topupMinutes: 100, successUrl: 'https://intruder.example/ok', cancelUrl: 'https://intruder.example/no' } } }),
  'Mutation.openBillingPortal': (a) => ({ query: 'mutation($i: OpenBillingPortalInput!) { openBillingPortal(input: $i) { portalUrl } }', variables: { i: { businessId: g('Business', a.businessId), returnUrl: 'https://intruder.example/back' } } }),
  'Mutation.updateAutoTopup': (a) => ({ query: 'mutation($i: UpdateAutoTopupInput!) { updateAutoTopup(input: $i) { usage { autoTopup { thresholdMinutes } } } }', variables: { i: { businessId: g('Business', a.businessId), thresholdMinutes: 10, packMinutes: 100 } } }),
  'Mutation.setSeparateBilling': (a) => ({ query: 'mutation($i: SetSeparateBillingInput!) { setSeparateBilling(input: $i) { usage { billedSeparately } } }', variables: { i: { businessId: g('Business', a.businessId), separate: true } } }),
  'Mutation.closeOrganization': (a) => ({ query: 'mutation($i: CloseOrganizationInput!) { closeOrganization(input: $i) { closedOrganization { organizationId purgeAfter } } }', variables: { i: { organizationId: g('Organization', a.orgId), confirmName: 'Alpha Agency' } } }),
  'Mutation.reopenOrganization': (a) => ({ query: 'mutation($i: ReopenOrganizationInput!) { reopenOrganization(input: $i) { organization { id name } } }', variables: { i: { organizationId: g('Organization', a.orgId) } } }),
  'Mutation.requestCallerExport': (a) => ({ query: 'mutation($i: RequestCallerExportInput!) { requestCallerExport(input: $i) { dataRequest { id status } } }', variables: { i: { businessId: g('Business', a.businessId), phone: '+15550303030' } } }),
  'Mutation.requestCallerErasure': (a) => ({ query: 'mutation($i: RequestCallerErasureInput!) { requestCallerErasure(input: $i) { dataRequest { id status } } }', variables: { i: { businessId: g('Business', a.businessId), phone: '+15550303030', confirm: true } } }),
  'Query.node': () => ({ query: '{ __typename }' }), // covered per Node type below
  'Query.nodes': () => ({ query: '{ __typename }' }), // covered per Node type below
}

/** Operations with no other tenant to attack, and why. Each still runs once per credential and must leak nothing of A. */
const TARGETLESS: Record<string, { reason: string; probe?: string }> = {
  'Query.me': { reason: 'answers about the caller only', probe: '{ me { user { id email } memberships { nodes { id } } sessions { nodes { id } } } }' },
  'Query.organizations': { reason: 'lists what the caller reaches', probe: '{ organizations { nodes { id name businesses { nodes { id name } } } } }' },
  'Query.plans': { reason: 'public catalog' },
  'Query.serviceStatus': { reason: 'public instance status' },
  'Subscription.serviceStatusChanged': { reason: 'public instance status' },
  'Mutation.signUp': { reason: 'creates a new account' },
  'Mutation.verifyEmail': { reason: 'needs the code sent to the mailbox' },
  'Mutation.resendVerificationCode': { reason: 'sends only to the mailbox; answers the same for every email' },
  'Mutation.logIn': { reason: 'needs the password' },
  'Mutation.signInWithGoogle': { reason: 'needs a Google ID token for the account' },
  'Mutation.refreshSession': { reason: 'needs the refresh token' },
  'Mutation.logOut': { reason: 'ends the caller\'s own session' },
  'Mutation.requestPasswordReset': { reason: 'sends only to the mailbox; answers the same for every email' },
  'Mutation.resetPassword': { reason: 'needs the code sent to the mailbox' },
  'Mutation.createOrganization': { reason: 'creates an organization owned by the caller' },
  'Query.jobQueues': { reason: 'platform operators only (graphql/jobs.test.ts); holds no tenant data', probe: '{ jobQueues { nodes { name queued } } }' },
  'Query.jobs': { reason: 'platform operators only (graphql/jobs.test.ts); job payloads carry ids only', probe: '{ jobs(queue: "lead-extract", state: CREATED) { nodes { id data } } }' },
  'Mutation.retryJob': { reason: 'platform operators only (graphql/jobs.test.ts)' },
  'Mutation.runSweep': { reason: 'platform operators only (graphql/jobs.test.ts)' },
  'Mutation.acceptInvitation': { reason: 'needs the invitation token sent to the invitee, and the invitee\'s verified email' },
  'Mutation.requestMyDataExport': { reason: 'exports the caller\'s own data (privacy/user-export.test.ts)', probe: '{ me { dataRequests { nodes { id downloadUrl } } } }' },
  'Mutation.updateMyProfile': { reason: 'changes the caller\'s own profile (privacy/user-rights.test.ts)' },
  'Mutation.requestEmailChange': { reason: 'changes the caller\'s own email (privacy/user-rights.test.ts)' },
  'Mutation.confirmEmailChange': { reason: 'needs the code sent to the new address; changes the caller\'s own email' },
  'Mutation.setMyProcessingRestriction': { reason: 'restricts the caller\'s own data (privacy/user-rights.test.ts)' },
  'Mutation.eraseMyAccount': { reason: 'erases the caller\'s own account (privacy/account-erasure.test.ts)' },
  'Mutation.publishPolicyVersion': { reason: 'platform operators only (privacy/policy-versions.test.ts); policies are public' },
  'Mutation.acknowledgePolicy': { reason: 'records the caller\'s own acknowledgement of a public policy', probe: '{ me { policyNotices { nodes { kind summary } } } }' },
}

/** Node types anyone may read. */
const PUBLIC_NODE_TYPES = new Set(['Plan', 'PolicyVersion'])

/** Things some credentials legitimately see: [credential, Node type]. */
const LEGITIMATE = new Set([
  'embedNarrowA1:Organization', // a widget of A1 shows its organization's branding
  'embedNarrowA1:Business', // the business the token was made for, with business:read
  'embedNarrowA1:PhoneNumber', // that business's own numbers, with business:read
  'memberOfA2:Organization', // a member of one business sees the organization's name
])

const g = toGlobalId

isolation.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
  const db = ctx.t.test.db
  const owner = await insertUser(db, { email: 'owner@alpha.example' })
  const orgA = await insertOrganization(db, { kind: 'agency', name: 'Alpha Agency', businesses: 2 })
  const [businessId, otherBusinessId] = orgA.businessIds as [string, string]
  await db('businesses').where({ id: businessId }).update({ name: 'Alpha One' })
  await db('businesses').where({ id: otherBusinessId }).update({ name: 'Alpha Two' })
  const membershipId = await insertMembership(db, owner.id, orgA.id, 'owner')
  const [invitation] = await db('invitations')
    .insert({ organization_id: orgA.id, email: 'invitee@alpha.example', role: 'admin', token_hash: sha256(randomToken()), expires_at: new Date(Date.now() + 86_400_000) })
    .returning('id')
  const keyA = await insertApiKey(db, orgA.id, ['calls:read', 'business:read', 'embed_tokens:create'])
  const [phoneNumber] = await db('phone_numbers').insert({ business_id: businessId, e164: '+15550101010', source: 'attached' }).returning('id')
  const [blocked] = await db('blocked_numbers').insert({ organization_id: orgA.id, e164: '+15550202020', reason: 'Alpha spam' }).returning('id')
  const [call] = await db('calls').insert({ business_id: businessId, twilio_call_sid: `CA${'a1'.repeat(16)}`, direction: 'inbound', from_number: '+15550303030', to_number: '+15550101010', status: 'completed' }).returning('id')
  await db('transcript_segments').insert({ call_id: call.id, business_id: businessId, seq: 0, speaker: 'caller', text: 'Alpha caller secret words', started_ms: 0 })
  await db('agent_configs').insert({ business_id: businessId, version: 1, greeting: 'Alpha agent greeting', disclosure_text: 'Alpha AI disclosure', consent_prompt: 'Alpha may record?', forwarding_number: '+15550404040' })
  const [contact] = await db('contacts').insert({ business_id: businessId, name: 'Alpha Caller', phone: '+15550303030' }).returning('id')
  const [lead] = await db('leads').insert({ business_id: businessId, call_id: call.id, contact_id: contact.id, name: 'Alpha Caller', phone: '+15550303030', extraction_method: 'fallback', fallback_reason: 'not_configured' }).returning('id')
  const [connector] = await db('connectors').insert({ business_id: businessId, kind: 'webhook', name: 'Alpha hook', config: { url: 'https://alpha-crm.example/hook' }, event_types: ['lead.captured'], status: 'paused' }).returning('id')
  const [delivery] = await db('deliveries').insert({ connector_id: connector.id, business_id: businessId, event_id: connector.id, event_type: 'lead.captured', subject_type: 'lead', subject_id: lead.id, payload: {}, status: 'failed', attempts: 3, last_error: 'Alpha endpoint down' }).returning('id')
  const [dataRequest] = await db('data_requests').insert({ organization_id: orgA.id, business_id: businessId, subject_type: 'caller', subject_hash: sha256('+15550303030'), kind: 'export', requested_by: owner.id }).returning('id')
  const ownerLogin = await logIn(ctx.t, owner.email)
  const session = await db('user_sessions').where({ user_id: owner.id }).first()
  const keyRow = await db('api_keys').where({ id: keyA.id }).first()
  ctx.a = {
    orgId: orgA.id,
    businessId,
    otherBusinessId,
    ownerId: owner.id,
    membershipId,
    invitationId: invitation.id,
    apiKeyId: keyA.id,
    sessionId: session.id,
    phoneNumberId: phoneNumber.id,
    blockedNumberId: blocked.id,
    callId: call.id,
    leadId: lead.id,
    contactId: contact.id,
    connectorId: connector.id,
    deliveryId: delivery.id,
    dataRequestId: dataRequest.id,
    secrets: ['Alpha agent greeting', 'Alpha AI disclosure', '+15550404040', 'Alpha hook', 'alpha-crm.example', 'Alpha endpoint down', connector.id, delivery.id, 'Alpha Caller', '+15550303030', 'Alpha caller secret words', call.id, lead.id, contact.id, 'Alpha Agency', 'Alpha One', 'owner@alpha.example', 'invitee@alpha.example', keyRow.prefix, '+15550101010', '+15550202020', 'Alpha spam', orgA.id, businessId, owner.id, membershipId, invitation.id, keyA.id, session.id, phoneNumber.id, blocked.id],
  }
  void ownerLogin

  // Tenant B, agency C and the credentials that attack A.
  const orgB = await insertOrganization(db, { kind: 'direct', name: 'Bravo Bakery' })
  const ownerB = await insertUser(db)
  await insertMembership(db, ownerB.id, orgB.id, 'owner')
  const orgC = await insertOrganization(db, { kind: 'agency', name: 'Charlie Agency' })
  const ownerC = await insertUser(db)
  await insertMembership(db, ownerC.id, orgC.id, 'owner')
  const memberOfA2 = await insertUser(db)
  await insertMembership(db, memberOfA2.id, orgA.id, 'admin', otherBusinessId)
  const allScopes = ['business:read', 'business:manage', 'calls:read', 'recordings:read', 'leads:read', 'leads:write', 'agent:read', 'agent:write', 'connectors:manage', 'billing:read', 'billing:manage', 'members:manage', 'api_keys:manage', 'embed_tokens:create'] as const
  const keyB = await insertApiKey(db, orgB.id, [...allScopes])
  const keyForNarrow = await insertApiKey(db, orgA.id, ['business:read', 'embed_tokens:create'])
  ctx.credentials = {
    otherOrganizationUser: await logIn(ctx.t, ownerB.email),
    agencyNotOwning: await logIn(ctx.t, ownerC.email),
    otherOrganizationApiKey: keyB.secret,
    embedOtherBusiness: await embedToken(ctx.t, keyB.secret, orgB.businessIds[0] as string, ['BUSINESS_READ', 'CALLS_READ', 'AGENT_WRITE', 'LEADS_WRITE']),
    embedNarrowA1: await embedToken(ctx.t, keyForNarrow.secret, businessId, ['BUSINESS_READ']),
    memberOfA2: await logIn(ctx.t, memberOfA2.email),
    anonymous: null,
  }
  // First uses record last_used_at on API keys; do them now so snapshots compare like with like.
  for (const token of Object.values(ctx.credentials)) await graphqlRequest(ctx.t.app, '{ serviceStatus { state } }', {}, token ? { token } : {})
  ctx.wsUrl = (await ctx.t.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws') + '/graphql'
})
isolation.after((ctx) => ctx.t.close())

/** Runs an operation as a client would: subscriptions over graphql-ws, everything else over HTTP. */
async function execute(ctx: { t: TestApp; wsUrl: string }, field: string, query: string, variables: Record<string, unknown> | undefined, token: string | null): Promise<GraphQLResult> {
  if (!field.startsWith('Subscription.')) return graphqlRequest(ctx.t.app, query, variables, token ? { token } : {})
  const client = createClient({ url: ctx.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: token ? { authorization: `Bearer ${token}` } : {} })
  try {
    return await new Promise<GraphQLResult>((resolve) => {
      const result: GraphQLResult = { status: 101, data: null, errors: undefined, extensions: undefined }
      // An accepted subscription stays open; silence for this long means it was not refused.
      const timer = setTimeout(() => resolve({ ...result, errors: [] }), 2_000)
      client.subscribe({ query, variables: variables ?? {} }, {
        next: (value) => (result.data = value.data),
        error: (errors) => {
          clearTimeout(timer)
          resolve({ ...result, errors: (Array.isArray(errors) ? errors : [{ message: String(errors), extensions: { code: 'CLOSED' } }]) as GraphQLResult['errors'] })
        },
        complete: () => {},
      })
    })
  } finally {
    await client.dispose()
  }
}

async function logIn(t: TestApp, email: string): Promise<string> {
  const result = await graphqlRequest(t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email, password: TEST_PASSWORD } })
  return result.data.logIn.tokens.accessToken
}

async function embedToken(t: TestApp, apiKey: string, businessId: string, permissions: string[]): Promise<string> {
  const result = await graphqlRequest(t.app, 'mutation($i: CreateEmbedTokenInput!) { createEmbedToken(input: $i) { token userErrors { code } } }', { i: { businessId: g('Business', businessId), permissions } }, { token: apiKey })
  return result.data.createEmbedToken.token
}

/** A digest of every table but the append-only logs that attempts are allowed to write. */
async function snapshot(t: TestApp): Promise<string> {
  const { rows } = await t.test.db.raw(`select table_name from information_schema.tables where table_schema = 'public' and table_name not in ('audit_log', 'rate_limit_buckets') and table_name not like 'knex_%' order by 1`)
  const hash = createHash('sha256')
  for (const { table_name: table } of rows as Array<{ table_name: string }>) {
    // last_used_at is bookkeeping a credential's use may refresh (once a minute), whatever the request was refused for.
    const { rows: digest } = await t.test.db.raw(`select count(*) as n, md5(coalesce(string_agg((to_jsonb(t) - 'last_used_at')::text, '|' order by (to_jsonb(t) - 'last_used_at')::text), '')) as md5 from "${table}" t`)
    hash.update(`${table}:${digest[0].n}:${digest[0].md5};`)
  }
  return hash.digest('hex')
}

function leaked(result: GraphQLResult, a: TenantA): string[] {
  const body = JSON.stringify({ data: result.data, errors: result.errors })
  const globalIds = [g('Organization', a.orgId), g('Business', a.businessId), g('User', a.ownerId), g('Membership', a.membershipId), g('Invitation', a.invitationId), g('ApiKey', a.apiKeyId), g('Session', a.sessionId), g('PhoneNumber', a.phoneNumberId), g('BlockedNumber', a.blockedNumberId), g('Call', a.callId), g('Lead', a.leadId), g('Contact', a.contactId), g('Connector', a.connectorId), g('Delivery', a.deliveryId), g('DataRequest', a.dataRequestId)]
  return [...a.secrets, ...globalIds].filter((secret) => body.includes(secret))
}

const rootFields = () => {
  const schema = buildApiSchema()
  return [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => Object.keys(type?.getFields() ?? {}).map((field) => `${type?.name}.${field}`))
}

isolation('every root field is either attacked here or explained as targetless', () => {
  const unlisted = rootFields().filter((field) => !(field in ATTACKS) && !(field in TARGETLESS))
  assert.equal(unlisted, [], `add these to ATTACKS or TARGETLESS: ${unlisted.join(', ')}`)
  const stale = [...Object.keys(ATTACKS), ...Object.keys(TARGETLESS)].filter((field) => !rootFields().includes(field))
  assert.equal(stale, [])
})

isolation('every attack on tenant A is refused, returns none of its data and changes nothing', async (ctx) => {
  const failures: string[] = []
  for (const [field, attack] of Object.entries(ATTACKS)) {
    if (field === 'Query.node' || field === 'Query.nodes') continue
    for (const [credential, token] of Object.entries(ctx.credentials)) {
      const before = await snapshot(ctx.t)
      const { query, variables } = attack(ctx.a)
      const result = await execute(ctx, field, query, variables, token)
      const codes = (result.errors ?? []).map((e) => e.extensions.code)
      const allowed = credential === 'anonymous' ? ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'] : ['FORBIDDEN', 'NOT_FOUND']
      if (codes.length === 0 || !codes.every((c) => allowed.includes(c))) failures.push(`${field} as ${credential}: codes ${JSON.stringify(codes)} data ${JSON.stringify(result.data)}`)
      const leaks = leaked(result, ctx.a)
      if (leaks.length) failures.push(`${field} as ${credential}: leaked ${leaks.join(', ')}`)
      if ((await snapshot(ctx.t)) !== before) failures.push(`${field} as ${credential}: changed the database`)
    }
  }
  assert.equal(failures, [])
})

isolation('node(id:) and nodes(ids:) return null for every Node type of tenant A', async (ctx) => {
  const schema = buildApiSchema()
  const nodeTypes = Object.values(schema.getTypeMap())
    .filter((type) => isObjectType(type) && type.getInterfaces().some((i) => isInterfaceType(i) && i.name === 'Node'))
    .map((type) => type.name)
    .filter((name) => !PUBLIC_NODE_TYPES.has(name))
  const ids: Record<string, string> = {
    Organization: g('Organization', ctx.a.orgId),
    Business: g('Business', ctx.a.businessId),
    User: g('User', ctx.a.ownerId),
    Membership: g('Membership', ctx.a.membershipId),
    Invitation: g('Invitation', ctx.a.invitationId),
    ApiKey: g('ApiKey', ctx.a.apiKeyId),
    Session: g('Session', ctx.a.sessionId),
    PhoneNumber: g('PhoneNumber', ctx.a.phoneNumberId),
    BlockedNumber: g('BlockedNumber', ctx.a.blockedNumberId),
    Call: g('Call', ctx.a.callId),
    Lead: g('Lead', ctx.a.leadId),
    Contact: g('Contact', ctx.a.contactId),
    Connector: g('Connector', ctx.a.connectorId),
    Delivery: g('Delivery', ctx.a.deliveryId),
    DataRequest: g('DataRequest', ctx.a.dataRequestId),
  }
  assert.equal(nodeTypes.filter((type) => !(type in ids)), [], 'every Node type needs a tenant-A instance here')
  const failures: string[] = []
  for (const [credential, token] of Object.entries(ctx.credentials)) {
    for (const type of nodeTypes) {
      if (LEGITIMATE.has(`${credential}:${type}`)) continue
      const single = await graphqlRequest(ctx.t.app, `query($id: ID!) { node(id: $id) { __typename id } }`, { id: ids[type] }, token ? { token } : {})
      if (single.data?.node !== null && !(credential === 'anonymous' && single.errors)) failures.push(`node(${type}) as ${credential}: ${JSON.stringify(single.data)}`)
      const many = await graphqlRequest(ctx.t.app, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [ids[type]] }, token ? { token } : {})
      if (many.data && JSON.stringify(many.data.nodes) !== '[null]') failures.push(`nodes(${type}) as ${credential}: ${JSON.stringify(many.data)}`)
    }
  }
  assert.equal(failures, [])
})

isolation('targetless operations leak nothing of tenant A to other credentials', async (ctx) => {
  const failures: string[] = []
  for (const [field, { probe }] of Object.entries(TARGETLESS)) {
    if (!probe) continue
    for (const [credential, token] of Object.entries(ctx.credentials)) {
      if (credential === 'embedNarrowA1' || credential === 'memberOfA2') continue // members of A, by design
      const result = await graphqlRequest(ctx.t.app, probe, {}, token ? { token } : {})
      const leaks = leaked(result, ctx.a)
      if (leaks.length) failures.push(`${field} as ${credential}: leaked ${leaks.join(', ')}`)
    }
  }
  assert.equal(failures, [])
})

isolation('a member limited to one business sees only that business of the organization', async (ctx) => {
  const result = await graphqlRequest(ctx.t.app, '{ organizations { nodes { name businesses { nodes { name } } } } }', {}, { token: ctx.credentials.memberOfA2 as string })
  assert.equal(result.data.organizations.nodes, [{ name: 'Alpha Agency', businesses: { nodes: [{ name: 'Alpha Two' }] } }])
})

isolation.run()
