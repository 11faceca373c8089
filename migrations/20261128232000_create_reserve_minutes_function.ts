import type { Knex } from 'knex'

// The minute reservation rule, in one place that any statement can call: lock the account row
// (concurrent calls queue there and cannot spend the same minutes), take up to p_wanted minutes,
// included first, append the reservation entries and move the balances. Nothing is taken when
// fewer than p_minimum minutes are available. Callers can reserve and record a call in a single
// statement, which keeps the inbound webhook to two round trips.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function answerline_reserve_minutes(p_account uuid, p_call uuid, p_business uuid, p_wanted integer, p_minimum integer)
    returns table (reserved integer, remaining integer) language plpgsql as $$
    declare
      v_included integer;
      v_topup integer;
      v_take integer := 0;
      v_from_included integer := 0;
    begin
      select included_minutes, topup_minutes into v_included, v_topup from billing_accounts where id = p_account for update;
      if not found then
        return query select 0, 0;
        return;
      end if;
      if v_included + v_topup >= p_minimum then
        v_take := least(p_wanted, v_included + v_topup);
        v_from_included := least(v_take, v_included);
        if v_from_included > 0 then
          insert into minute_ledger (billing_account_id, kind, bucket, minutes, business_id, call_id)
          values (p_account, 'reservation', 'included', -v_from_included, p_business, p_call);
        end if;
        if v_take - v_from_included > 0 then
          insert into minute_ledger (billing_account_id, kind, bucket, minutes, business_id, call_id)
          values (p_account, 'reservation', 'topup', -(v_take - v_from_included), p_business, p_call);
        end if;
        update billing_accounts set included_minutes = included_minutes - v_from_included, topup_minutes = topup_minutes - (v_take - v_from_included)
        where id = p_account;
      end if;
      return query select v_take, v_included + v_topup - v_take;
    end $$;
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function answerline_reserve_minutes(uuid, uuid, uuid, integer, integer)')
}
