import type { Knex } from 'knex'

// The audit log, data-subject requests and policy versions.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table audit_log (
      id uuid primary key default gen_random_uuid(),
      -- Kept after a purge, so no cascading foreign keys; ids still group the trail.
      organization_id uuid,
      business_id uuid,
      actor_type text not null check (actor_type in ('user', 'api_key', 'embed_token', 'worker', 'system')),
      actor_id uuid,
      action text not null check (action ~ '^[a-z_]+(\\.[a-z_]+)+$'),
      target_type text check (length(target_type) <= 64),
      target_id text check (length(target_id) <= 255),
      ip inet,
      user_agent text check (length(user_agent) <= 512),
      metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
      created_at timestamptz not null default now()
    );
    create index audit_log_organization on audit_log (organization_id, created_at desc);
    create index audit_log_actor on audit_log (actor_type, actor_id, created_at desc);

    create table data_requests (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid references organizations (id) on delete cascade,
      business_id uuid references businesses (id) on delete cascade,
      subject_type text not null check (subject_type in ('user', 'caller')),
      subject_user_id uuid references users (id) on delete set null,
      -- Callers are identified by a keyed hash of their phone number or email, so the request
      -- itself does not keep the personal data an erasure removes.
      subject_hash bytea check (octet_length(subject_hash) = 32),
      kind text not null check (kind in ('export', 'erasure', 'rectification', 'restriction')),
      status text not null default 'pending' check (status in ('pending', 'processing', 'completed', 'failed', 'canceled')),
      requested_by uuid references users (id) on delete set null,
      result_storage_key text,
      result_expires_at timestamptz,
      error text check (length(error) <= 2000),
      counts jsonb not null default '{}' check (jsonb_typeof(counts) = 'object'),
      created_at timestamptz not null default now(),
      completed_at timestamptz,
      constraint data_requests_caller_has_business check (subject_type <> 'caller' or (business_id is not null and subject_hash is not null)),
      constraint data_requests_completion_dated check ((status = 'completed') = (completed_at is not null))
    );
    create index data_requests_organization on data_requests (organization_id, created_at desc);
    create index data_requests_business on data_requests (business_id) where business_id is not null;

    create table policy_versions (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('terms', 'privacy', 'dpa')),
      version text not null check (length(version) between 1 and 40),
      summary text not null check (length(btrim(summary)) between 1 and 5000),
      url text not null check (url ~ '^https{0,1}://'),
      published_at timestamptz not null default now(),
      -- Users are notified at least 14 days before a new version takes effect.
      effective_at timestamptz not null,
      unique (kind, version),
      constraint policy_versions_notice_period check (effective_at >= published_at + interval '14 days')
    );

    create table policy_acknowledgements (
      user_id uuid not null references users (id) on delete cascade,
      policy_version_id uuid not null references policy_versions (id) on delete cascade,
      acknowledged_at timestamptz not null default now(),
      primary key (user_id, policy_version_id)
    );
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table policy_acknowledgements, policy_versions, data_requests, audit_log')
}
