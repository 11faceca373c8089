import type { Knex } from 'knex'

// Platform operators run the service itself (job queues, dead letters); they are not members of any
// customer organization by virtue of this flag, and see no customer data through it.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table users add column platform_operator boolean not null default false`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table users drop column platform_operator`)
}
