import type { Knex } from 'knex'

// Billing accounts, the append-only minute ledger and invoices. Billing records are kept for
// seven years, after the organization is gone, so they hold no cascading foreign key to it.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table billing_accounts (
      id uuid primary key default gen_random_uuid(),
      organization_id uuid references organizations (id) on delete set null,
      -- Set when an agency bills a client business on its own; null for the organization's central account.
      business_id uuid references businesses (id) on delete set null,
      -- Copied so invoices stay readable after the organization is purged.
      display_name text not null check (length(btrim(display_name)) between 1 and 200),
      stripe_customer_id text unique check (stripe_customer_id ~ '^cus_[A-Za-z0-9]+$'),
      plan text not null default 'free' check (plan in ('free', 'starter', 'growth', 'pro', 'enterprise')),
      subscription_status text not null default 'none'
        check (subscription_status in ('none', 'trialing', 'active', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused')),
      stripe_subscription_id text unique check (stripe_subscription_id ~ '^sub_[A-Za-z0-9]+$'),
      current_period_start timestamptz,
      current_period_end timestamptz,
      failed_payment_count integer not null default 0 check (failed_payment_count >= 0),
      grace_until timestamptz,
      auto_topup_threshold_minutes integer check (auto_topup_threshold_minutes > 0),
      auto_topup_pack text,
      -- Enterprise terms agreed outside the catalog: minutes, number slots, price.
      custom_terms jsonb check (jsonb_typeof(custom_terms) = 'object'),
      closed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint billing_accounts_period_ordered check (current_period_end > current_period_start),
      constraint billing_accounts_period_complete check ((current_period_start is null) = (current_period_end is null)),
      constraint billing_accounts_auto_topup_complete check ((auto_topup_threshold_minutes is null) = (auto_topup_pack is null)),
      constraint billing_accounts_custom_terms_enterprise check (custom_terms is null or plan = 'enterprise')
    );
    create unique index billing_accounts_one_per_owner on billing_accounts (organization_id, coalesce(business_id, organization_id))
      where organization_id is not null and closed_at is null;
    create unique index billing_accounts_business on billing_accounts (business_id) where business_id is not null and closed_at is null;
    create trigger billing_accounts_touch before update on billing_accounts for each row execute function answerline_touch_updated_at();

    create table minute_ledger (
      id uuid primary key default gen_random_uuid(),
      billing_account_id uuid not null references billing_accounts (id) on delete restrict,
      -- Plain ids, not foreign keys: ledger rows outlive the calls and businesses they mention.
      business_id uuid,
      call_id uuid,
      kind text not null check (kind in ('allowance', 'topup', 'reservation', 'release', 'usage', 'adjustment', 'expiry')),
      -- Included minutes are spent before top-up minutes; top-ups roll over, allowances expire.
      bucket text not null check (bucket in ('included', 'topup')),
      minutes integer not null check (minutes <> 0),
      period_start timestamptz,
      idempotency_key text unique check (length(idempotency_key) <= 200),
      note text check (length(note) <= 500),
      created_at timestamptz not null default now(),
      constraint minute_ledger_sign_matches_kind check (
        (kind in ('allowance', 'topup', 'release') and minutes > 0)
        or (kind in ('reservation', 'usage', 'expiry') and minutes < 0)
        or kind = 'adjustment'
      ),
      constraint minute_ledger_bucket_matches_kind check (
        (kind = 'allowance' and bucket = 'included') or (kind = 'topup' and bucket = 'topup') or kind not in ('allowance', 'topup')
      ),
      constraint minute_ledger_call_entries_name_call check (kind not in ('reservation', 'release', 'usage') or call_id is not null)
    );
    create index minute_ledger_account on minute_ledger (billing_account_id, created_at);
    create index minute_ledger_call on minute_ledger (call_id) where call_id is not null;

    -- Balances are derived from the ledger, so it is append-only; rows leave only after seven years.
    create function answerline_minute_ledger_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and old.created_at < now() - interval '7 years' then
        return old;
      end if;
      raise exception 'minute_ledger is append-only' using errcode = 'restrict_violation';
    end $$;
    create trigger minute_ledger_append_only before update or delete on minute_ledger
      for each row execute function answerline_minute_ledger_append_only();

    create table invoices (
      id uuid primary key default gen_random_uuid(),
      billing_account_id uuid not null references billing_accounts (id) on delete restrict,
      stripe_invoice_id text not null unique check (stripe_invoice_id ~ '^in_[A-Za-z0-9]+$'),
      number text,
      status text not null check (status in ('draft', 'open', 'paid', 'uncollectible', 'void')),
      currency text not null check (currency ~ '^[a-z]{3}$'),
      -- Amounts in the currency's smallest unit, as Stripe reports them.
      amount_due bigint not null check (amount_due >= 0),
      amount_paid bigint not null default 0 check (amount_paid >= 0),
      hosted_invoice_url text,
      pdf_url text,
      period_start timestamptz,
      period_end timestamptz,
      issued_at timestamptz,
      paid_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint invoices_paid_dated check (status <> 'paid' or paid_at is not null)
    );
    create index invoices_account on invoices (billing_account_id, issued_at desc);
    create trigger invoices_touch before update on invoices for each row execute function answerline_touch_updated_at();
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table invoices;
    drop trigger minute_ledger_append_only on minute_ledger;
    drop table minute_ledger, billing_accounts;
    drop function answerline_minute_ledger_append_only();
  `)
}
