import type { Knex } from 'knex'

// Calls and what belongs to them. Child rows carry business_id with a composite foreign key, so a
// row can never point at another tenant's call, and every query can filter by tenant directly.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table calls (
      id uuid primary key default gen_random_uuid(),
      business_id uuid not null references businesses (id) on delete cascade,
      phone_number_id uuid references phone_numbers (id) on delete set null,
      agent_config_id uuid references agent_configs (id) on delete set null,
      -- Null only for test calls placed from the browser.
      twilio_call_sid text unique check (twilio_call_sid ~ '^CA[0-9a-f]{32}$'),
      direction text not null check (direction in ('inbound', 'outbound', 'test')),
      -- Twilio sends E.164, 'anonymous' or 'client:...' identities here.
      from_number text not null check (length(from_number) between 1 and 64),
      to_number text not null check (length(to_number) between 1 and 64),
      status text not null default 'ringing' check (status in ('ringing', 'in_progress', 'completed', 'busy', 'failed', 'no_answer', 'canceled', 'refused')),
      refusal_reason text check (refusal_reason in ('organization_inactive', 'subscription_invalid', 'no_minutes', 'blocked')),
      answered_by text check (answered_by in ('ai', 'human')),
      escalated boolean not null default false,
      transfer_outcome text check (transfer_outcome in ('answered', 'busy', 'no_answer', 'failed')),
      outcome text check (length(outcome) <= 64),
      summary text check (length(summary) <= 5000),
      reserved_minutes integer not null default 0 check (reserved_minutes >= 0),
      billed_minutes integer check (billed_minutes >= 0),
      duration_seconds integer check (duration_seconds >= 0),
      -- Latency and barge-in figures measured by the media worker.
      quality jsonb not null default '{}' check (jsonb_typeof(quality) = 'object'),
      -- Highest Twilio status callback SequenceNumber applied; older callbacks are ignored.
      last_status_sequence integer check (last_status_sequence >= 0),
      started_at timestamptz not null default now(),
      answered_at timestamptz,
      ended_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint calls_refusal_has_reason check ((status = 'refused') = (refusal_reason is not null)),
      constraint calls_test_calls_have_no_sid check ((direction = 'test') = (twilio_call_sid is null)),
      constraint calls_ends_after_start check (ended_at is null or ended_at >= started_at),
      constraint calls_transfer_only_when_escalated check (transfer_outcome is null or escalated),
      unique (id, business_id)
    );
    create index calls_business_started on calls (business_id, started_at desc, id desc);
    create index calls_business_caller on calls (business_id, from_number);
    create trigger calls_touch before update on calls for each row execute function answerline_touch_updated_at();

    create table consent_records (
      id uuid primary key default gen_random_uuid(),
      call_id uuid not null unique,
      business_id uuid not null,
      decision text not null default 'pending' check (decision in ('pending', 'given', 'declined', 'not_completed')),
      method text check (method in ('speech', 'dtmf')),
      attempts integer not null default 0 check (attempts between 0 and 10),
      language text not null,
      prompt_text text not null,
      asked_at timestamptz not null default now(),
      decided_at timestamptz,
      withdrawn_at timestamptz,
      foreign key (call_id, business_id) references calls (id, business_id) on delete cascade,
      constraint consent_records_decision_dated check ((decision = 'pending') = (decided_at is null)),
      constraint consent_records_method_only_for_answers check ((method is not null) = (decision in ('given', 'declined'))),
      constraint consent_records_withdrawal_of_given check (withdrawn_at is null or decision = 'given')
    );

    create table transcript_segments (
      id uuid primary key default gen_random_uuid(),
      call_id uuid not null,
      business_id uuid not null,
      -- Order within the call, assigned by the media worker; makes batch retries idempotent.
      seq integer not null check (seq >= 0),
      speaker text not null check (speaker in ('caller', 'agent', 'system')),
      text text not null check (length(text) <= 20000),
      started_ms integer not null check (started_ms >= 0),
      ended_ms integer,
      created_at timestamptz not null default now(),
      foreign key (call_id, business_id) references calls (id, business_id) on delete cascade,
      unique (call_id, seq),
      constraint transcript_segments_ends_after_start check (ended_ms is null or ended_ms >= started_ms)
    );

    create table recordings (
      id uuid primary key default gen_random_uuid(),
      call_id uuid not null unique,
      business_id uuid not null,
      storage_key text not null unique,
      status text not null default 'uploading' check (status in ('uploading', 'complete', 'failed', 'deleted')),
      -- S3 multipart upload id while uploading, so an interrupted upload can be aborted or completed.
      upload_id text,
      format text not null default 'wav' check (format in ('wav')),
      channels smallint not null default 2 check (channels in (1, 2)),
      bytes bigint check (bytes >= 0),
      duration_ms integer check (duration_ms >= 0),
      started_at timestamptz not null default now(),
      completed_at timestamptz,
      deleted_at timestamptz,
      foreign key (call_id, business_id) references calls (id, business_id) on delete cascade,
      constraint recordings_completion_dated check (status <> 'complete' or (completed_at is not null and bytes is not null)),
      constraint recordings_deletion_dated check ((status = 'deleted') = (deleted_at is not null))
    );
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table recordings, transcript_segments, consent_records, calls')
}
