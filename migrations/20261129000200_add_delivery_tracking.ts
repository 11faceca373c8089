import type { Knex } from 'knex'

// What the delivery dispatcher needs: per-subject ordering of pending deliveries, and how long a
// connector has been failing (an endpoint failing for days is disabled).
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- A delivery waits for earlier pending ones of the same subject on the same connector.
    create index deliveries_pending_subject on deliveries (connector_id, subject_id, created_at) where status = 'pending';
    create index deliveries_connector_created on deliveries (connector_id, created_at desc, id desc);
    alter table connectors
      add column last_delivered_at timestamptz,
      add column failing_since timestamptz;
    create index connectors_created_by on connectors (created_by);
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index connectors_created_by, deliveries_connector_created, deliveries_pending_subject;
    alter table connectors drop column failing_since, drop column last_delivered_at;
  `)
}
