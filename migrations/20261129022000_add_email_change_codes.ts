import type { Knex } from 'knex'

// A new email address is applied only once a code sent to it comes back: one-time codes gain that purpose.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table one_time_codes drop constraint one_time_codes_purpose_check;
    alter table one_time_codes add constraint one_time_codes_purpose_check check (purpose in ('verify_email', 'reset_password', 'change_email'));
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    delete from one_time_codes where purpose = 'change_email';
    alter table one_time_codes drop constraint one_time_codes_purpose_check;
    alter table one_time_codes add constraint one_time_codes_purpose_check check (purpose in ('verify_email', 'reset_password'));
  `)
}
