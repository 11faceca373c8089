import type { Knex } from 'knex'

// Who has been emailed about which policy version. A row is written before the email is sent, so a
// notice job that is retried or resumed never emails anyone twice; sent_at is set once it went out.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table policy_notifications (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      policy_version_id uuid not null references policy_versions (id) on delete cascade,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      unique (user_id, policy_version_id)
    );
    create index policy_notifications_version on policy_notifications (policy_version_id);
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table policy_notifications')
}
