import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import type { DomainEvent } from './domain-events.ts'

/**
 * Writes one pending delivery per active connector of the business that subscribes to the event,
 * in the caller's transaction: the event reaches CRMs and webhooks if and only if the change that
 * caused it commits, and a worker crash cannot lose it. Returns the event's id (receivers see it
 * as webhook-id) and how many deliveries were queued.
 * The payload keeps ids only; what is sent is read when the delivery runs.
 */
export async function recordDeliveries(trx: Knex.Transaction, event: DomainEvent): Promise<{ eventId: string; queued: number }> {
  const subject = 'leadId' in event ? { type: 'lead', id: event.leadId } : { type: 'call', id: event.callId }
  const eventId = randomUUID()
  const { rowCount } = await trx.raw(
    `insert into deliveries (connector_id, business_id, event_id, event_type, subject_type, subject_id, payload, next_attempt_at)
     select c.id, c.business_id, ?, ?, ?, ?, ?::jsonb, now()
     from connectors c
     where c.business_id = ? and c.status = 'active' and ? = any (c.event_types)
     on conflict (connector_id, event_id) do nothing`,
    [eventId, event.type, subject.type, subject.id, JSON.stringify(event), event.businessId, event.type],
  )
  return { eventId, queued: rowCount ?? 0 }
}
