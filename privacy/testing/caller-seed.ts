import { randomBytes, randomUUID } from 'node:crypto'
import type { Knex } from '../../core/index.ts'
import { putObject, type PrivacyApp } from './privacy-fixture.ts'

/** A caller as the product stores them. */
export interface Person {
  name: string
  phone: string
  email: string
  /** How they say their number on the phone. */
  spoken: string
}

export interface SeededCall {
  callId: string
  leadId: string
  contactId: string
  recordingKey: string
  deliveryIds: string[]
}

/**
 * A finished call with everything the product keeps about it, the person's number and email in
 * every place they can land: caller ID, summary, transcript, lead fields, capture fields, evidence,
 * a note, a revision, a contact, a recording in the object store, and deliveries to each connector
 * with the attempts' payloads and answers.
 */
export async function seedCall(p: PrivacyApp, businessId: string, person: Person, options: { from?: string; direction?: 'inbound' | 'outbound'; connectorIds?: string[]; contactId?: string } = {}): Promise<SeededCall> {
  const db = p.t.test.db
  const direction = options.direction ?? 'inbound'
  const from = options.from ?? person.phone
  const [call] = await db('calls')
    .insert({
      business_id: businessId,
      direction,
      twilio_call_sid: `CA${randomBytes(16).toString('hex')}`,
      from_number: direction === 'outbound' ? '+14155559000' : from,
      to_number: direction === 'outbound' ? person.phone : '+14155559000',
      status: 'completed',
      started_at: new Date(Date.now() - 3_600_000),
      ended_at: new Date(Date.now() - 3_500_000),
      summary: `${person.name} (${person.phone}) wants a quote; email ${person.email}`,
    })
    .returning('id')
  const lines = [`Hi, this is ${person.name}.`, `My number is ${person.spoken}, and my email is ${person.email}.`]
  await db('transcript_segments').insert(lines.map((text, seq) => ({ call_id: call.id, business_id: businessId, seq, speaker: 'caller', text, started_ms: seq * 1000 })))
  await db('consent_records').insert({ call_id: call.id, business_id: businessId, language: 'en-US', prompt_text: 'May we record this call?', decision: 'given', method: 'dtmf', attempts: 1, decided_at: new Date() })
  const recordingKey = `recordings/${businessId}/${call.id}.wav`
  await putObject(p, recordingKey, `RIFF....WAVE ${person.name}`)
  await db('recordings').insert({ call_id: call.id, business_id: businessId, storage_key: recordingKey, status: 'complete', bytes: 12, completed_at: new Date() })
  const contactId =
    options.contactId ??
    (await db('contacts').insert({ business_id: businessId, name: person.name, phone: person.phone, email: person.email }).onConflict().ignore().returning('id'))[0]?.id ??
    (await db('contacts').where({ business_id: businessId }).where((q) => q.where({ phone: person.phone }).orWhere({ email: person.email })).first('id')).id
  const [lead] = await db('leads')
    .insert({
      business_id: businessId,
      call_id: call.id,
      contact_id: contactId,
      name: person.name,
      phone: person.phone,
      email: person.email,
      reason: `Call back on ${person.phone}`,
      custom_fields: { callback: person.phone, altEmail: person.email },
      evidence: { email: { seq: 1, confidence: 0.9, quote: person.email } },
      extraction_method: 'manual',
    })
    .returning('id')
  await db('lead_notes').insert({ lead_id: lead.id, business_id: businessId, body: `Emailed ${person.email}, texted ${person.phone}` })
  await db('lead_revisions').insert({ lead_id: lead.id, business_id: businessId, changes: { email: { from: null, to: person.email }, phone: { from: null, to: person.phone } } })
  const deliveryIds: string[] = []
  for (const [index, connectorId] of (options.connectorIds ?? []).entries()) {
    for (const subject of [{ type: 'call', id: call.id }, { type: 'lead', id: lead.id }]) {
      const [delivery] = await db('deliveries')
        .insert({
          connector_id: connectorId,
          business_id: businessId,
          event_id: randomUUID(),
          event_type: subject.type === 'call' ? 'call.completed' : 'lead.captured',
          subject_type: subject.type,
          subject_id: subject.id,
          payload: { callId: call.id, name: person.name, phone: person.phone, email: person.email },
          status: 'delivered',
          attempts: 1,
          delivered_at: new Date(),
          external_id: index === 0 ? null : `crm-${subject.type}-${subject.id.slice(0, 8)}`,
        })
        .returning('id')
      await db('delivery_attempts').insert({ delivery_id: delivery.id, attempt: 1, status_code: 200, outcome: 'delivered', response_excerpt: `{"ok":true,"email":"${person.email}","phone":"${person.phone}"}` })
      deliveryIds.push(delivery.id)
    }
  }
  return { callId: call.id, leadId: lead.id, contactId, recordingKey, deliveryIds }
}

/** Every place (schema.table.column) in every schema of the database where one of `needles` appears, any case. */
export async function placesHolding(db: Knex, needles: string[]): Promise<string[]> {
  const { rows: columns } = await db.raw(`
    select c.table_schema, c.table_name, c.column_name
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema not in ('pg_catalog', 'information_schema') and c.table_schema not like 'pg_toast%'`)
  const found: string[] = []
  const patterns = needles.map((needle) => `%${needle.replace(/[\\%_]/g, '\\$&')}%`)
  for (const { table_schema: schema, table_name: table, column_name: column } of columns as Array<Record<string, string>>) {
    const { rows } = await db.raw(`select count(*)::int as n from "${schema}"."${table}" where "${column}"::text ilike any (?)`, [patterns])
    if (rows[0].n > 0) found.push(`${schema}.${table}.${column}`)
  }
  return found
}
