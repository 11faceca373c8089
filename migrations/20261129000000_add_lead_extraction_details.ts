import type { Knex } from 'knex'

// What lead extraction records besides the values: why a lead came from the fallback extractor,
// which required fields need a person's review, when it was extracted, and a search vector.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table leads
      add column fallback_reason text check (fallback_reason in ('not_configured', 'unavailable', 'refused', 'invalid_output')),
      add column review_fields text[] not null default '{}',
      add column extracted_at timestamptz,
      add column search_vector tsvector generated always as (
        to_tsvector('simple',
          coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(replace(email, '@', ' '), '') || ' ' ||
          coalesce(phone, '') || ' ' || coalesce(ltrim(phone, '+'), '') || ' ' ||
          coalesce(reason, '') || ' ' || coalesce(requested_service, ''))
      ) stored,
      add constraint leads_fallback_has_reason check ((extraction_method = 'fallback') = (fallback_reason is not null)),
      add constraint leads_review_flag check (needs_review = (cardinality(review_fields) > 0));
    create index leads_search on leads using gin (search_vector);
    -- The re-extraction sweep looks for recent fallback leads once the model answers again.
    create index leads_fallback_created on leads (created_at) where extraction_method = 'fallback';
    create index leads_business_temperature on leads (business_id, temperature, created_at desc);
    create index lead_revisions_changed_by on lead_revisions (changed_by);
    create index lead_notes_author on lead_notes (author_user_id);
    create index leads_owner on leads (owner_user_id);
  `)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index leads_owner, lead_notes_author, lead_revisions_changed_by, leads_business_temperature, leads_fallback_created, leads_search;
    alter table leads
      drop constraint leads_review_flag,
      drop constraint leads_fallback_has_reason,
      drop column search_vector,
      drop column extracted_at,
      drop column review_fields,
      drop column fallback_reason;
  `)
}
