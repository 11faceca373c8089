import type { Knex } from 'knex'
// Raw SQL below never uses a question mark: knex reads it as a binding placeholder.

// Shared by later migrations: updated_at maintenance and a time zone check usable in CHECK constraints.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function answerline_touch_updated_at() returns trigger language plpgsql as $$
    begin
      new.updated_at := now();
      return new;
    end $$;

    -- True when PostgreSQL knows the IANA zone name; CHECK constraints use it to refuse 'Mars/Base'.
    create function answerline_is_time_zone(zone text) returns boolean language plpgsql stable as $$
    begin
      perform now() at time zone zone;
      return true;
    exception when invalid_parameter_value then
      return false;
    end $$;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function answerline_is_time_zone(text);
    drop function answerline_touch_updated_at();
  `)
}
