import type { Knex } from 'knex'

// A caller's phone number or email reaches the job that serves the request sealed, and only while
// the request is open: the row keeps the keyed hash after that. One open request per subject and kind.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table data_requests
      add column subject_ciphertext bytea,
      add column subject_key_id text check (length(subject_key_id) <= 64),
      add constraint data_requests_subject_keyed check ((subject_ciphertext is null) = (subject_key_id is null)),
      add constraint data_requests_subject_sealed_for_callers check (subject_ciphertext is null or subject_type = 'caller'),
      add constraint data_requests_subject_only_while_open check (subject_ciphertext is null or status in ('pending', 'processing'));
    create unique index data_requests_open_caller on data_requests (business_id, subject_hash, kind) where subject_type = 'caller' and status in ('pending', 'processing');
    create unique index data_requests_open_user on data_requests (subject_user_id, kind) where subject_type = 'user' and status in ('pending', 'processing');
    create index data_requests_subject_user on data_requests (subject_user_id) where subject_user_id is not null;
    create index data_requests_requested_by on data_requests (requested_by) where requested_by is not null;
    -- The daily sweep finds archives past their expiry.
    create index data_requests_archive_expiry on data_requests (result_expires_at) where result_storage_key is not null;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index data_requests_archive_expiry, data_requests_requested_by, data_requests_subject_user, data_requests_open_user, data_requests_open_caller;
    alter table data_requests
      drop constraint data_requests_subject_only_while_open,
      drop constraint data_requests_subject_sealed_for_callers,
      drop constraint data_requests_subject_keyed,
      drop column subject_key_id,
      drop column subject_ciphertext;
  `)
}
