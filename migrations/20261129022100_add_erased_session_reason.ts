import type { Knex } from 'knex'

// Sessions ended because their user erased the account say so, apart from closures and resets.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table user_sessions drop constraint user_sessions_revoked_reason_check;
    alter table user_sessions add constraint user_sessions_revoked_reason_check
      check (revoked_reason in ('logout', 'revoked', 'password_reset', 'token_reuse', 'account_closed', 'account_erased'));
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    update user_sessions set revoked_reason = 'account_closed' where revoked_reason = 'account_erased';
    alter table user_sessions drop constraint user_sessions_revoked_reason_check;
    alter table user_sessions add constraint user_sessions_revoked_reason_check
      check (revoked_reason in ('logout', 'revoked', 'password_reset', 'token_reuse', 'account_closed'));
  `)
}
