import { randomBytes, randomUUID } from 'node:crypto'
import bcrypt from 'bcryptjs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Knex } from '../core/db/knex.ts'
import { rejects } from '../core/testing/rejects.ts'
import { openTestDb } from '../core/testing/test-db.ts'

type Row = Record<string, unknown>

/** Valid parents shared by every test; each test adds one row against them. */
interface Fixture {
  orgA: string
  orgB: string
  bizA1: string
  bizA2: string
  bizB: string
  user: string
  userEmail: string
  callA1: string
  callA1Sid: string
  callA2: string
  contactA1: string
  connector: string
  deliveryEventId: string
  account: string
  ledgerEntry: string
  phoneE164: string
}

interface Context {
  db: Knex
  destroy(): Promise<void>
  f: Fixture
}

const constraints = suite<Context>('schema constraints')

// PostgreSQL SQLSTATE codes asserted below.
const CHECK = '23514'
const UNIQUE = '23505'
const FOREIGN_KEY = '23503'
const NOT_NULL = '23502'
const RESTRICT = '23001'

const DAY_MS = 86_400_000
const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * DAY_MS)
const now = () => new Date()
const hex = (bytes: number) => randomBytes(bytes).toString('hex')
const phone = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`
let counter = 0
const next = () => ++counter

// A valid row per table; tests override only the columns under test.
const defaults: Record<string, (f: Fixture) => Row> = {
  users: () => ({ email: `user-${hex(4)}@example.com` }),
  user_sessions: (f) => ({ user_id: f.user, expires_at: new Date(Date.now() + 30 * DAY_MS) }),
  one_time_codes: (f) => ({ user_id: f.user, email: f.userEmail, purpose: 'verify_email', code_hash: randomBytes(32), expires_at: new Date(Date.now() + DAY_MS) }),
  organizations: () => ({ kind: 'direct', name: 'Acme' }),
  businesses: (f) => ({ organization_id: f.orgA, name: 'Harbor Plumbing' }),
  memberships: (f) => ({ organization_id: f.orgB, user_id: f.user, role: 'member' }),
  agent_configs: (f) => ({ business_id: f.bizA1, version: next() + 1, greeting: 'Hello', disclosure_text: 'I am an AI assistant.', consent_prompt: 'May we record this call?' }),
  phone_numbers: (f) => ({ business_id: f.bizA1, e164: phone(), source: 'purchased' }),
  blocked_numbers: (f) => ({ organization_id: f.orgA, e164: '+15550001111' }),
  calls: (f) => ({ business_id: f.bizA1, direction: 'inbound', twilio_call_sid: `CA${hex(16)}`, from_number: '+15551230000', to_number: '+15559870000' }),
  consent_records: (f) => ({ call_id: f.callA2, business_id: f.bizA2, language: 'en-US', prompt_text: 'May we record this call?' }),
  transcript_segments: (f) => ({ call_id: f.callA1, business_id: f.bizA1, seq: next(), speaker: 'caller', text: 'Hi there', started_ms: 0 }),
  contacts: (f) => ({ business_id: f.bizA1, phone: phone() }),
  leads: (f) => ({ business_id: f.bizA2, call_id: f.callA2, extraction_method: 'fallback', fallback_reason: 'unavailable' }),
  connectors: (f) => ({ business_id: f.bizA1, kind: 'webhook', name: 'Zapier hook' }),
  deliveries: (f) => ({
    connector_id: f.connector, business_id: f.bizA1, event_id: randomUUID(), event_type: 'lead.created', subject_type: 'lead', subject_id: randomUUID(), payload: {}, next_attempt_at: now(),
  }),
  billing_accounts: () => ({ display_name: 'Acme billing', plan: 'starter' }),
  minute_ledger: (f) => ({ billing_account_id: f.account, kind: 'allowance', bucket: 'included', minutes: 100 }),
  invoices: (f) => ({ billing_account_id: f.account, stripe_invoice_id: `in_${hex(8)}`, status: 'open', currency: 'usd', amount_due: 4900 }),
  policy_versions: () => ({ kind: 'terms', version: `v${next()}`, summary: 'Clearer refund terms', url: 'https://example.com/terms', published_at: day(0), effective_at: day(14) }),
}

/** Inserts a valid `table` row with `overrides` applied; awaiting it runs the insert. */
function put(ctx: Context, table: string, overrides: Row = {}): Knex.QueryBuilder {
  const base = defaults[table]
  if (!base) throw new Error(`no default row for ${table}`)
  return ctx.db(table).insert({ ...base(ctx.f), ...overrides })
}

async function add(ctx: Context, table: string, overrides: Row = {}): Promise<string> {
  const [row] = await put(ctx, table, overrides).returning('id')
  if (!row) throw new Error(`insert into ${table} returned no row`)
  return row.id
}

/** Asserts the query fails with SQLSTATE `code` and, for named constraints, that constraint. */
async function refused(query: PromiseLike<unknown>, code: string, constraint?: string): Promise<Error & Record<string, any>> {
  const error = await rejects(Promise.resolve(query), `expected the row to be refused (${constraint ?? code})`)
  assert.is(error.code, code, error.message)
  if (constraint !== undefined) assert.is(error.constraint, constraint, error.message)
  return error
}

async function buildFixture(ctx: Context): Promise<void> {
  const f = {} as Fixture
  ctx.f = f
  f.orgA = await add(ctx, 'organizations', { kind: 'agency', name: 'Agency A', white_label: true })
  f.orgB = await add(ctx, 'organizations', { name: 'Direct B' })
  f.bizA1 = await add(ctx, 'businesses', { organization_id: f.orgA, name: 'Bright Smile Dental' })
  f.bizA2 = await add(ctx, 'businesses', { organization_id: f.orgA, name: 'Harbor Plumbing' })
  f.bizB = await add(ctx, 'businesses', { organization_id: f.orgB, name: 'Corner Bakery' })
  f.userEmail = 'owner@example.com'
  f.user = await add(ctx, 'users', { email: f.userEmail })
  await put(ctx, 'memberships', { organization_id: f.orgA, role: 'owner' })
  await put(ctx, 'agent_configs', { version: 1 })
  f.phoneE164 = '+15550100200'
  await put(ctx, 'phone_numbers', { e164: f.phoneE164 })
  await put(ctx, 'blocked_numbers')
  f.callA1Sid = `CA${hex(16)}`
  f.callA1 = await add(ctx, 'calls', { twilio_call_sid: f.callA1Sid })
  f.callA2 = await add(ctx, 'calls', { business_id: f.bizA2 })
  await add(ctx, 'calls', { business_id: f.bizB })
  await put(ctx, 'consent_records', { call_id: f.callA1, business_id: f.bizA1 })
  await put(ctx, 'transcript_segments', { seq: 0 })
  f.contactA1 = await add(ctx, 'contacts')
  await put(ctx, 'leads', { business_id: f.bizA1, call_id: f.callA1, contact_id: f.contactA1 })
  f.connector = await add(ctx, 'connectors')
  f.deliveryEventId = randomUUID()
  await put(ctx, 'deliveries', { event_id: f.deliveryEventId })
  f.account = await add(ctx, 'billing_accounts', { organization_id: f.orgA })
  f.ledgerEntry = await add(ctx, 'minute_ledger')
}

constraints.before(async (ctx) => {
  const test = await openTestDb()
  ctx.db = test.db
  ctx.destroy = test.destroy
  await buildFixture(ctx)
})

constraints.after(async (ctx) => {
  await ctx.destroy()
})

// users
constraints('users: an email that is not lowercased and trimmed is refused', async (ctx) => {
  await refused(put(ctx, 'users', { email: ' Ann@Example.com ' }), CHECK, 'users_email_normalized')
})
constraints('users: a duplicate email is refused', async (ctx) => {
  await refused(put(ctx, 'users', { email: ctx.f.userEmail }), UNIQUE, 'users_email_key')
})
constraints('users: a password_hash that is not bcrypt is refused', async (ctx) => {
  await refused(put(ctx, 'users', { password_hash: 'hunter2' }), CHECK, 'users_password_hash_is_bcrypt')
})
constraints('users: a real bcrypt hash is accepted', async (ctx) => {
  await put(ctx, 'users', { password_hash: bcrypt.hashSync('correct horse', 4) })
})
constraints('users: locale "english" is refused', async (ctx) => {
  await refused(put(ctx, 'users', { locale: 'english' }), CHECK, 'users_locale_check')
})
constraints('users: locale "en-GB" is accepted', async (ctx) => {
  await put(ctx, 'users', { locale: 'en-GB' })
})

// user_sessions
constraints('user_sessions: revoked_at without a revoked_reason is refused', async (ctx) => {
  await refused(put(ctx, 'user_sessions', { revoked_at: now() }), CHECK, 'user_sessions_revocation_has_reason')
})
constraints('user_sessions: expires_at before created_at is refused', async (ctx) => {
  await refused(put(ctx, 'user_sessions', { created_at: day(1), expires_at: day(0) }), CHECK, 'user_sessions_expiry_after_creation')
})

// one_time_codes
constraints('one_time_codes: attempts above max_attempts are refused', async (ctx) => {
  await refused(put(ctx, 'one_time_codes', { max_attempts: 5, attempts: 6 }), CHECK, 'one_time_codes_attempts_in_range')
})
constraints('one_time_codes: a code_hash that is not 32 bytes is refused', async (ctx) => {
  await refused(put(ctx, 'one_time_codes', { code_hash: randomBytes(16) }), CHECK, 'one_time_codes_code_hash_check')
})

// organizations
constraints('organizations: white_label on a direct organization is refused', async (ctx) => {
  await refused(put(ctx, 'organizations', { white_label: true }), CHECK, 'organizations_white_label_is_for_agencies')
})
constraints('organizations: status closed without purge_after is refused', async (ctx) => {
  await refused(put(ctx, 'organizations', { status: 'closed', closed_at: now() }), CHECK, 'organizations_closure_dated')
})
constraints('organizations: status suspended without suspended_at is refused', async (ctx) => {
  await refused(put(ctx, 'organizations', { status: 'suspended' }), CHECK, 'organizations_suspension_dated')
})

// businesses
constraints('businesses: time zone "Mars/Olympus" is refused', async (ctx) => {
  await refused(put(ctx, 'businesses', { time_zone: 'Mars/Olympus' }), CHECK, 'businesses_time_zone_check')
})
constraints('businesses: time zone "America/New_York" is accepted', async (ctx) => {
  await put(ctx, 'businesses', { time_zone: 'America/New_York' })
})
constraints('businesses: retention_days of 0 or 5000 is refused', async (ctx) => {
  await refused(put(ctx, 'businesses', { retention_days: 0 }), CHECK, 'businesses_retention_days_check')
  await refused(put(ctx, 'businesses', { retention_days: 5000 }), CHECK, 'businesses_retention_days_check')
})
constraints('businesses: country "usa" is refused', async (ctx) => {
  await refused(put(ctx, 'businesses', { country: 'usa' }), CHECK, 'businesses_country_check')
})

// memberships
constraints('memberships: a business of another organization is refused', async (ctx) => {
  await refused(put(ctx, 'memberships', { organization_id: ctx.f.orgB, business_id: ctx.f.bizA1 }), FOREIGN_KEY, 'memberships_business_id_organization_id_fkey')
})
constraints('memberships: a business of the same organization is accepted', async (ctx) => {
  await put(ctx, 'memberships', { organization_id: ctx.f.orgB, business_id: ctx.f.bizB, user_id: await add(ctx, 'users') })
})
constraints('memberships: a second membership of the user in one organization is refused', async (ctx) => {
  await refused(put(ctx, 'memberships', { organization_id: ctx.f.orgA }), UNIQUE, 'memberships_organization_id_user_id_key')
})
constraints('memberships: role "god" is refused', async (ctx) => {
  await refused(put(ctx, 'memberships', { role: 'god' }), CHECK, 'memberships_role_check')
})

// agent_configs
constraints('agent_configs: a duplicate version of one business is refused', async (ctx) => {
  await refused(put(ctx, 'agent_configs', { version: 1 }), UNIQUE, 'agent_configs_business_id_version_key')
})
constraints('agent_configs: forwarding when out of minutes without a forwarding_number is refused', async (ctx) => {
  await refused(put(ctx, 'agent_configs', { out_of_minutes_behavior: 'forward' }), CHECK, 'agent_configs_forwarding_needs_number')
})
constraints('agent_configs: staff_first_seconds without a forwarding_number is refused', async (ctx) => {
  await refused(put(ctx, 'agent_configs', { staff_first_seconds: 20 }), CHECK, 'agent_configs_forwarding_needs_number')
})
constraints('agent_configs: a forwarding_number that is not E.164 is refused', async (ctx) => {
  await refused(put(ctx, 'agent_configs', { forwarding_number: '555-0100' }), CHECK, 'agent_configs_forwarding_number_check')
})
constraints('agent_configs: forwarding with an E.164 forwarding_number is accepted', async (ctx) => {
  await put(ctx, 'agent_configs', { out_of_minutes_behavior: 'forward', staff_first_seconds: 20, forwarding_number: '+15557654321' })
})

// phone_numbers
constraints('phone_numbers: a second active row for the same number is refused', async (ctx) => {
  await refused(put(ctx, 'phone_numbers', { business_id: ctx.f.bizA2, e164: ctx.f.phoneE164 }), UNIQUE, 'phone_numbers_active_e164')
})
constraints('phone_numbers: a released row beside the active one is accepted', async (ctx) => {
  await put(ctx, 'phone_numbers', { business_id: ctx.f.bizA2, e164: ctx.f.phoneE164, status: 'released', released_at: now() })
})
constraints('phone_numbers: status released without released_at is refused', async (ctx) => {
  await refused(put(ctx, 'phone_numbers', { status: 'released' }), CHECK, 'phone_numbers_release_dated')
})

// blocked_numbers
constraints('blocked_numbers: a duplicate organization-wide block is refused', async (ctx) => {
  await refused(put(ctx, 'blocked_numbers'), UNIQUE, 'blocked_numbers_organization_id_business_id_e164_key')
})

// calls
constraints('calls: status refused without a refusal_reason is refused', async (ctx) => {
  await refused(put(ctx, 'calls', { status: 'refused' }), CHECK, 'calls_refusal_has_reason')
})
constraints('calls: a refusal_reason on a completed call is refused', async (ctx) => {
  await refused(put(ctx, 'calls', { status: 'completed', refusal_reason: 'blocked' }), CHECK, 'calls_refusal_has_reason')
})
constraints('calls: a test call with a twilio_call_sid is refused', async (ctx) => {
  await refused(put(ctx, 'calls', { direction: 'test' }), CHECK, 'calls_test_calls_have_no_sid')
})
constraints('calls: an inbound call without a twilio_call_sid is refused', async (ctx) => {
  await refused(put(ctx, 'calls', { twilio_call_sid: null }), CHECK, 'calls_test_calls_have_no_sid')
})
constraints('calls: a test call without a twilio_call_sid is accepted', async (ctx) => {
  await put(ctx, 'calls', { direction: 'test', twilio_call_sid: null, from_number: 'client:dashboard' })
})
constraints('calls: a malformed CallSid is refused', async (ctx) => {
  await refused(put(ctx, 'calls', { twilio_call_sid: 'CA123' }), CHECK, 'calls_twilio_call_sid_check')
})
constraints('calls: a duplicate twilio_call_sid is refused', async (ctx) => {
  await refused(put(ctx, 'calls', { twilio_call_sid: ctx.f.callA1Sid }), UNIQUE, 'calls_twilio_call_sid_key')
})
constraints('calls: ended_at before started_at is refused', async (ctx) => {
  await refused(put(ctx, 'calls', { started_at: day(1), ended_at: day(0) }), CHECK, 'calls_ends_after_start')
})
constraints('calls: a transfer_outcome on a call that was not escalated is refused', async (ctx) => {
  await refused(put(ctx, 'calls', { transfer_outcome: 'answered' }), CHECK, 'calls_transfer_only_when_escalated')
})
constraints('calls: a call without a from_number is refused', async (ctx) => {
  const error = await refused(put(ctx, 'calls', { from_number: null }), NOT_NULL)
  assert.is(error.column, 'from_number')
})

// consent_records
constraints('consent_records: decision given without decided_at is refused', async (ctx) => {
  await refused(put(ctx, 'consent_records', { decision: 'given', method: 'speech' }), CHECK, 'consent_records_decision_dated')
})
constraints('consent_records: a method on a not_completed consent is refused', async (ctx) => {
  await refused(put(ctx, 'consent_records', { decision: 'not_completed', decided_at: now(), method: 'dtmf' }), CHECK, 'consent_records_method_only_for_answers')
})
constraints('consent_records: withdrawn_at on a declined consent is refused', async (ctx) => {
  const declined = { decision: 'declined', decided_at: now(), method: 'dtmf', withdrawn_at: now() }
  await refused(put(ctx, 'consent_records', declined), CHECK, 'consent_records_withdrawal_of_given')
})
constraints('consent_records: a second record for the same call is refused', async (ctx) => {
  await refused(put(ctx, 'consent_records', { call_id: ctx.f.callA1, business_id: ctx.f.bizA1 }), UNIQUE, 'consent_records_call_id_key')
})

// transcript_segments
constraints("transcript_segments: a business other than the call's is refused", async (ctx) => {
  await refused(put(ctx, 'transcript_segments', { business_id: ctx.f.bizA2 }), FOREIGN_KEY, 'transcript_segments_call_id_business_id_fkey')
})
constraints('transcript_segments: a duplicate seq within a call is refused', async (ctx) => {
  await refused(put(ctx, 'transcript_segments', { seq: 0 }), UNIQUE, 'transcript_segments_call_id_seq_key')
})
constraints('transcript_segments: ended_ms before started_ms is refused', async (ctx) => {
  await refused(put(ctx, 'transcript_segments', { started_ms: 500, ended_ms: 400 }), CHECK, 'transcript_segments_ends_after_start')
})

// leads
constraints('leads: a contact of another business is refused', async (ctx) => {
  await refused(put(ctx, 'leads', { contact_id: ctx.f.contactA1 }), FOREIGN_KEY, 'leads_contact_id_business_id_fkey')
})
constraints('leads: model extraction without extraction_model and prompt_version is refused', async (ctx) => {
  await refused(put(ctx, 'leads', { extraction_method: 'model', fallback_reason: null }), CHECK, 'leads_model_extraction_is_versioned')
})
constraints('leads: versioned model extraction is accepted', async (ctx) => {
  const call = await add(ctx, 'calls', { business_id: ctx.f.bizA2 })
  await put(ctx, 'leads', { call_id: call, extraction_method: 'model', fallback_reason: null, extraction_model: 'gpt-4o-mini', prompt_version: 'lead-v3' })
})
constraints('leads: a fallback lead without its reason is refused', async (ctx) => {
  await refused(put(ctx, 'leads', { fallback_reason: null }), CHECK, 'leads_fallback_has_reason')
})
constraints('leads: needs_review without the fields to review is refused', async (ctx) => {
  await refused(put(ctx, 'leads', { needs_review: true }), CHECK, 'leads_review_flag')
})
constraints('leads: a second lead for the same call is refused', async (ctx) => {
  await refused(put(ctx, 'leads', { business_id: ctx.f.bizA1, call_id: ctx.f.callA1 }), UNIQUE, 'leads_call_id_key')
})

// deliveries
constraints('deliveries: a pending delivery without next_attempt_at is refused', async (ctx) => {
  await refused(put(ctx, 'deliveries', { status: 'pending', next_attempt_at: null }), CHECK, 'deliveries_pending_is_scheduled')
})
constraints('deliveries: a second delivery of one event to one connector is refused', async (ctx) => {
  await refused(put(ctx, 'deliveries', { event_id: ctx.f.deliveryEventId }), UNIQUE, 'deliveries_connector_id_event_id_key')
})

// billing_accounts and minute_ledger
constraints('minute_ledger: an allowance with negative minutes is refused', async (ctx) => {
  await refused(put(ctx, 'minute_ledger', { minutes: -10 }), CHECK, 'minute_ledger_sign_matches_kind')
})
constraints('minute_ledger: usage with positive minutes is refused', async (ctx) => {
  await refused(put(ctx, 'minute_ledger', { kind: 'usage', minutes: 5, call_id: ctx.f.callA1 }), CHECK, 'minute_ledger_sign_matches_kind')
})
constraints('minute_ledger: a reservation without a call_id is refused', async (ctx) => {
  await refused(put(ctx, 'minute_ledger', { kind: 'reservation', minutes: -5 }), CHECK, 'minute_ledger_call_entries_name_call')
})
constraints('minute_ledger: an UPDATE is refused as append-only', async (ctx) => {
  const error = await refused(ctx.db('minute_ledger').where({ id: ctx.f.ledgerEntry }).update({ note: 'edited' }), RESTRICT)
  assert.match(error.message, 'append-only')
})
constraints('minute_ledger: a DELETE of a recent row is refused as append-only', async (ctx) => {
  const error = await refused(ctx.db('minute_ledger').where({ id: ctx.f.ledgerEntry }).del(), RESTRICT)
  assert.match(error.message, 'append-only')
})
constraints('minute_ledger: a row older than seven years can be deleted', async (ctx) => {
  const old = await add(ctx, 'minute_ledger', { created_at: new Date(Date.now() - 8 * 365 * DAY_MS) })
  assert.is(await ctx.db('minute_ledger').where({ id: old }).del(), 1)
})
constraints('billing_accounts: custom_terms on a non-enterprise plan are refused', async (ctx) => {
  await refused(put(ctx, 'billing_accounts', { custom_terms: { minutes: 10_000 } }), CHECK, 'billing_accounts_custom_terms_enterprise')
})

// invoices
constraints('invoices: status paid without paid_at is refused', async (ctx) => {
  await refused(put(ctx, 'invoices', { status: 'paid', amount_paid: 4900 }), CHECK, 'invoices_paid_dated')
})

// policy_versions
constraints('policy_versions: effective_at 13 days after published_at is refused', async (ctx) => {
  await refused(put(ctx, 'policy_versions', { effective_at: day(13) }), CHECK, 'policy_versions_notice_period')
})
constraints('policy_versions: effective_at 14 days after published_at is accepted', async (ctx) => {
  await put(ctx, 'policy_versions', { effective_at: day(14) })
})

// cascade
constraints('deleting a business removes its calls, consent and transcript but keeps its ledger rows', async (ctx) => {
  const business = await add(ctx, 'businesses', { name: 'Closing Down Ltd' })
  const call = await add(ctx, 'calls', { business_id: business })
  await put(ctx, 'consent_records', { call_id: call, business_id: business })
  await put(ctx, 'transcript_segments', { call_id: call, business_id: business })
  await put(ctx, 'minute_ledger', { kind: 'usage', minutes: -3, call_id: call, business_id: business })
  await ctx.db('businesses').where({ id: business }).del()
  const count = async (table: string, where: Row) => (await ctx.db(table).where(where).select('id')).length
  assert.is(await count('calls', { id: call }), 0)
  assert.is(await count('consent_records', { call_id: call }), 0)
  assert.is(await count('transcript_segments', { call_id: call }), 0)
  assert.is(await count('minute_ledger', { call_id: call }), 1)
})

constraints.run()
