import type { Knex } from 'knex'

// Platform users and their credentials. Tokens and codes are stored only as 32-byte hashes.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table users (
      id uuid primary key default gen_random_uuid(),
      email text not null,
      email_verified_at timestamptz,
      password_hash text,
      google_subject text unique,
      display_name text not null default '' check (length(display_name) <= 200),
      locale text not null default 'en' check (locale ~ '^[a-z]{2}(-[A-Z]{2}){0,1}$'),
      status text not null default 'active' check (status in ('active', 'disabled', 'erased')),
      processing_restricted_at timestamptz,
      last_login_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint users_email_normalized check (email = lower(btrim(email)) and email ~ '^[^@\\s]+@[^@\\s]+$' and length(email) <= 320),
      constraint users_password_hash_is_bcrypt check (password_hash is null or password_hash ~ '^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$')
    );
    create unique index users_email_key on users (email);
    create trigger users_touch before update on users for each row execute function answerline_touch_updated_at();

    -- A session is one sign-in on one device; its refresh tokens form a rotation family.
    create table user_sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      user_agent text check (length(user_agent) <= 512),
      ip inet,
      created_at timestamptz not null default now(),
      last_used_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz,
      revoked_reason text check (revoked_reason in ('logout', 'revoked', 'password_reset', 'token_reuse', 'account_closed')),
      constraint user_sessions_expiry_after_creation check (expires_at > created_at),
      constraint user_sessions_revocation_has_reason check ((revoked_at is null) = (revoked_reason is null))
    );
    create index user_sessions_user on user_sessions (user_id, created_at desc);

    create table refresh_tokens (
      id uuid primary key default gen_random_uuid(),
      session_id uuid not null references user_sessions (id) on delete cascade,
      token_hash bytea not null unique check (octet_length(token_hash) = 32),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      -- Set when the token was exchanged for its successor; presenting it again is reuse.
      rotated_at timestamptz,
      constraint refresh_tokens_expiry_after_creation check (expires_at > created_at)
    );
    create index refresh_tokens_session on refresh_tokens (session_id);

    create table one_time_codes (
      id uuid primary key default gen_random_uuid(),
      user_id uuid references users (id) on delete cascade,
      email text not null check (email = lower(btrim(email))),
      purpose text not null check (purpose in ('verify_email', 'reset_password')),
      code_hash bytea not null check (octet_length(code_hash) = 32),
      max_attempts integer not null default 5 check (max_attempts between 1 and 10),
      attempts integer not null default 0,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      consumed_at timestamptz,
      constraint one_time_codes_attempts_in_range check (attempts between 0 and max_attempts),
      constraint one_time_codes_expiry_after_creation check (expires_at > created_at)
    );
    create index one_time_codes_lookup on one_time_codes (email, purpose, created_at desc);
    create index one_time_codes_user on one_time_codes (user_id) where user_id is not null;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table one_time_codes, refresh_tokens, user_sessions, users')
}
