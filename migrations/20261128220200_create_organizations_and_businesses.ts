import type { Knex } from 'knex'

// Tenancy: an organization is a direct business account or an agency; businesses belong to one.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table organizations (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('direct', 'agency')),
      name text not null check (length(btrim(name)) between 1 and 200),
      status text not null default 'active' check (status in ('active', 'suspended', 'closed')),
      -- Colours, logo URL and product name shown to the agency's clients instead of ours.
      branding jsonb not null default '{}' check (jsonb_typeof(branding) = 'object'),
      white_label boolean not null default false,
      billing_mode text not null default 'central' check (billing_mode in ('central', 'per_business')),
      suspended_at timestamptz,
      closed_at timestamptz,
      purge_after timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint organizations_white_label_is_for_agencies check (not white_label or kind = 'agency'),
      constraint organizations_suspension_dated check ((status = 'suspended') = (suspended_at is not null)),
      constraint organizations_closure_dated check ((status = 'closed') = (closed_at is not null and purge_after is not null))
    );
    create trigger organizations_touch before update on organizations for each row execute function answerline_touch_updated_at();

    create table businesses (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      name text not null check (length(btrim(name)) between 1 and 200),
      time_zone text not null default 'UTC' check (answerline_is_time_zone(time_zone)),
      -- ISO 3166-1 alpha-2; numbers spoken without a country code are read in this country.
      country text not null default 'US' check (country ~ '^[A-Z]{2}$'),
      status text not null default 'active' check (status in ('active', 'suspended', 'closed')),
      retention_days integer not null default 90 check (retention_days between 1 and 3650),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      closed_at timestamptz,
      constraint businesses_closure_dated check ((status = 'closed') = (closed_at is not null)),
      -- Lets child tables prove with a foreign key that a business belongs to the organization they name.
      unique (id, organization_id)
    );
    create index businesses_organization on businesses (organization_id);
    create trigger businesses_touch before update on businesses for each row execute function answerline_touch_updated_at();

    create table memberships (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      -- Null: the whole organization; set: a client's staff who see only their own business.
      business_id uuid,
      role text not null check (role in ('owner', 'admin', 'member')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (organization_id, user_id),
      foreign key (business_id, organization_id) references businesses (id, organization_id) on delete cascade
    );
    create index memberships_user on memberships (user_id);
    create index memberships_business on memberships (business_id) where business_id is not null;
    create trigger memberships_touch before update on memberships for each row execute function answerline_touch_updated_at();

    create table invitations (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid not null references organizations (id) on delete cascade,
      business_id uuid,
      email text not null check (email = lower(btrim(email)) and email ~ '^[^@\\s]+@[^@\\s]+$'),
      role text not null check (role in ('owner', 'admin', 'member')),
      token_hash bytea not null unique check (octet_length(token_hash) = 32),
      invited_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      accepted_at timestamptz,
      revoked_at timestamptz,
      constraint invitations_expiry_after_creation check (expires_at > created_at),
      constraint invitations_single_outcome check (accepted_at is null or revoked_at is null),
      foreign key (business_id, organization_id) references businesses (id, organization_id) on delete cascade
    );
    create unique index invitations_open_per_email on invitations (organization_id, email) where accepted_at is null and revoked_at is null;
    create index invitations_business on invitations (business_id) where business_id is not null;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table invitations, memberships, businesses, organizations')
}
