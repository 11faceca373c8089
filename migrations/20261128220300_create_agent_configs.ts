import type { Knex } from 'knex'

// Agent configuration is versioned: a save adds a version, and each call records the version it used.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table agent_configs (
      id uuid primary key default gen_random_uuid(),
      business_id uuid not null references businesses (id) on delete cascade,
      version integer not null check (version >= 1),
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      -- BCP 47 tag the agent speaks and the consent prompt is read in.
      language text not null default 'en-US' check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
      voice text not null default 'marin' check (voice ~ '^[a-z0-9_-]{1,40}$'),
      greeting text not null check (length(btrim(greeting)) between 1 and 1000),
      disclosure_text text not null check (length(btrim(disclosure_text)) between 1 and 1000),
      consent_prompt text not null check (length(btrim(consent_prompt)) between 1 and 1000),
      consent_max_attempts integer not null default 2 check (consent_max_attempts between 1 and 5),
      system_prompt text not null default '' check (length(system_prompt) <= 20000),
      knowledge text not null default '' check (length(knowledge) <= 100000),
      services jsonb not null default '[]' check (jsonb_typeof(services) = 'array'),
      -- {"mon": [{"open": "09:00", "close": "17:00"}], ...} in the business's time zone.
      working_hours jsonb not null default '{}' check (jsonb_typeof(working_hours) = 'object'),
      after_hours_behavior text not null default 'take_message' check (after_hours_behavior in ('answer', 'take_message', 'forward')),
      -- [{"key", "label", "type", "required", "options"}]: what the agent must capture beyond the standard fields.
      capture_fields jsonb not null default '[]' check (jsonb_typeof(capture_fields) = 'array'),
      -- {"askForHuman": true, "keywords": [...], "vipNumbers": [...], "afterHours": false}
      escalation_rules jsonb not null default '{}' check (jsonb_typeof(escalation_rules) = 'object'),
      forwarding_number text check (forwarding_number ~ '^\\+[1-9][0-9]{6,14}$'),
      staff_first_seconds integer check (staff_first_seconds between 5 and 60),
      out_of_minutes_behavior text not null default 'refuse' check (out_of_minutes_behavior in ('refuse', 'forward', 'take_message')),
      recording_enabled boolean not null default true,
      unique (business_id, version),
      constraint agent_configs_forwarding_needs_number check (
        forwarding_number is not null
        or (staff_first_seconds is null and out_of_minutes_behavior <> 'forward' and after_hours_behavior <> 'forward')
      )
    );
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table agent_configs')
}
