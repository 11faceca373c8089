/**
 * Seeds call volume for plan and load checks: calls spread round-robin over a few businesses of one
 * agency, over the last 80 days (inside the default retention), with a lead for every fourth call,
 * a consent record for every tenth, and three transcript lines for every hundredth; each business
 * has an agent and a number, the agency a funded billing account, and the first business a webhook
 * connector that delivered each of its leads. Rows are made
 * in set-based statements (generate_series), then ANALYZEd so the planner sees the real volume.
 */
import { randomBytes } from 'node:crypto'
import { appendLedger, type Knex } from '../core/index.ts'

// Names and services vary, so a search for one matches a few percent of rows, as a real one does.
const FIRST_NAMES = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elena', 'Femi', 'Grace', 'Hiro', 'Ines', 'Jon', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tara']
const LAST_NAMES = ['Okafor', 'Nguyen', 'Schmidt', 'Garcia', 'Kowalski', 'Haddad', 'Larsen', 'Moreau', 'Tanaka', 'Silva', 'Byrne', 'Novak', 'Rossi', 'Patel', 'Cohen', 'Dubois', 'Ivanova', 'Mensah', 'Ortiz', 'Walsh']
const SERVICES = ['boiler repair', 'drain cleaning', 'roof inspection', 'window fitting', 'teeth whitening', 'tax return', 'dog grooming', 'piano lessons', 'kitchen quote', 'gutter repair']

export interface CallVolume {
  organizationId: string
  businessIds: string[]
  phoneNumbers: string[]
}

export async function seedCallVolume(db: Knex, options: { calls: number; businesses: number }): Promise<CallVolume> {
  const [org] = await db('organizations').insert({ kind: 'agency', name: 'Volume agency' }).returning('id')
  const businessIds: string[] = []
  const phoneNumbers: string[] = []
  for (let i = 0; i < options.businesses; i++) {
    const [business] = await db('businesses').insert({ organization_id: org.id, name: `Volume client ${i}`, time_zone: 'America/New_York' }).returning('id')
    businessIds.push(business.id)
    const number = `+1555987${String(i).padStart(4, '0')}`
    phoneNumbers.push(number)
    // Always open (no working hours), so the call gate goes all the way to the minute reservation.
    await db('agent_configs').insert({ business_id: business.id, version: 1, greeting: 'Hello', disclosure_text: 'You are speaking with an AI assistant.', consent_prompt: 'May we record this call?', working_hours: {} })
    await db('phone_numbers').insert({ business_id: business.id, e164: number, source: 'attached' })
  }
  const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: 'Volume agency', plan: 'pro', subscription_status: 'active' }).returning('id')
  await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: 1_000_000 }]))
  const [connector] = await db('connectors').insert({ business_id: businessIds[0], kind: 'webhook', name: 'Volume CRM', event_types: ['lead.created'] }).returning('id')
  const salt = randomBytes(4).toString('hex')
  await db.raw(
    `insert into calls (business_id, direction, twilio_call_sid, from_number, to_number, status, escalated, outcome, summary, duration_seconds, started_at, ended_at)
     select (?::uuid[])[1 + (g % ?)], 'inbound', 'CA' || md5(g::text || ?), '+1555' || lpad((g % 10000000)::text, 7, '0'), '+15559870000',
            (array['completed', 'completed', 'completed', 'no_answer', 'busy', 'failed'])[1 + g % 6], g % 17 = 0,
            (array['message_taken', 'booked', 'transferred', null])[1 + g % 4], 'Caller asked about ' || (?::text[])[1 + g % ?],
            90, now() - (g % 6912000) * interval '1 second', now() - (g % 6912000) * interval '1 second' + interval '90 seconds'
     from generate_series(1, ?) g`,
    [businessIds, options.businesses, salt, SERVICES, SERVICES.length, options.calls],
  )
  await db.raw(
    `insert into leads (business_id, call_id, extraction_method, fallback_reason, temperature, status, name, phone, reason, created_at)
     select business_id, id, 'fallback', 'unavailable', (array['hot', 'warm', 'cold'])[1 + abs(hashtext(id::text)) % 3], 'new',
            (?::text[])[1 + abs(hashtext(id::text || 'first')) % ?] || ' ' || (?::text[])[1 + abs(hashtext(id::text || 'last')) % ?], from_number,
            'Wants a ' || (?::text[])[1 + abs(hashtext(id::text)) % ?], ended_at
     from calls where abs(hashtext(id::text)) % 4 = 0`,
    [FIRST_NAMES, FIRST_NAMES.length, LAST_NAMES, LAST_NAMES.length, SERVICES, SERVICES.length],
  )
  await db.raw(
    `insert into consent_records (call_id, business_id, decision, method, language, prompt_text, decided_at)
     select id, business_id, 'given', 'speech', 'en', 'May we record?', started_at from calls where abs(hashtext(id::text)) % 10 = 1`,
  )
  await db.raw(
    `insert into transcript_segments (call_id, business_id, seq, speaker, text, started_ms)
     select c.id, c.business_id, s, (array['agent', 'caller', 'agent'])[1 + s], 'Hello, I would like to book a visit', s * 1000
     from calls c, generate_series(0, 2) s where abs(hashtext(c.id::text)) % 100 = 2`,
  )
  // Every lead of the first business went out once; a few deliveries wait for their retry.
  await db.raw(
    `insert into deliveries (connector_id, business_id, event_id, event_type, subject_type, subject_id, payload, status, attempts, next_attempt_at, delivered_at)
     select ?, business_id, gen_random_uuid(), 'lead.created', 'lead', id, '{}', case when abs(hashtext(id::text)) % 1000 = 0 then 'pending' else 'delivered' end, 1,
            case when abs(hashtext(id::text)) % 1000 = 0 then now() + interval '1 day' end, case when abs(hashtext(id::text)) % 1000 = 0 then null else created_at end
     from leads where business_id = ?`,
    [connector.id, businessIds[0]],
  )
  await db.raw('analyze')
  return { organizationId: org.id, businessIds, phoneNumbers }
}
