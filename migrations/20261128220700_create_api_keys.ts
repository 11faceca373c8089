import type { Knex } from 'knex'

// Integrator API keys: shown once, stored as a hash, found by their visible prefix.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      -- Null: the key reaches every business of the organization.
      business_id uuid,
      name text not null check (length(btrim(name)) between 1 and 100),
      prefix text not null unique check (prefix ~ '^[A-Za-z0-9_]{8,32}$'),
      key_hash bytea not null unique check (octet_length(key_hash) = 32),
      scopes text[] not null check (cardinality(scopes) > 0),
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      expires_at timestamptz,
      revoked_at timestamptz,
      foreign key (business_id, organization_id) references businesses (id, organization_id) on delete cascade,
      constraint api_keys_expiry_after_creation check (expires_at is null or expires_at > created_at)
    );
    create index api_keys_organization on api_keys (organization_id, created_at desc);
    create index api_keys_business on api_keys (business_id) where business_id is not null;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table api_keys')
}
