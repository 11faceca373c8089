import type { FastifyBaseLogger } from 'fastify'
import type Stripe from 'stripe'
import { recordAudit, type Knex } from '../core/index.ts'
import { releaseNumber, type NumberDeps } from '../voice/index.ts'
import { removeCalls } from './call-removal.ts'
import { syncClosureSubscriptions } from './closure-subscriptions.ts'
import { deleteObjects, type ObjectStorage } from './object-store-deletion.ts'

// Calls removed per transaction (each may carry a recording to delete from the store first).
const CALL_BATCH = 500
// Rows of the other large tables removed per transaction.
const ROW_BATCH = 2000
// Business-owned tables that can still hold many rows once the calls (and their leads) are gone:
// deliveries with their attempts, contacts no lead names. Drained in batches, so the final delete
// of the organization only cascades to what is small (settings, numbers, members, keys).
const DRAINED = ['deliveries', 'contacts'] as const

export interface PurgeDeps {
  db: Knex
  /** Null when no object store is configured (then nothing may be waiting there). */
  storage: ObjectStorage
  numbers: NumberDeps
  stripe: Stripe | null
  log: FastifyBaseLogger
}

type Counts = Record<string, number>

/**
 * Purges every closed organization whose purge date has passed (by the database's clock, the one
 * reopening is checked against): calls with their recordings (S3 objects checked gone) in small
 * batches, data-request archives, the other large tables, its phone numbers released at Twilio,
 * its subscriptions set to end, then the organization row, whose delete cascades to the rest. Its
 * billing accounts, ledger and invoices are kept (closed) for their seven years. Each step is a
 * short transaction that re-checks the organization is still due and adds what it removed to the
 * row, so a purge that dies half way is finished by the next run and counted once, in the
 * `organization.purged` audit entry. One organization failing (the store or Twilio down) does not
 * hold up the others; the run then fails, to be retried.
 */
export async function purgeClosedOrganizations(deps: PurgeDeps): Promise<number> {
  const dueIds: string[] = await deps.db('organizations').where({ status: 'closed' }).where('purge_after', '<=', deps.db.fn.now()).orderBy('purge_after').pluck('id')
  const failures: unknown[] = []
  let purged = 0
  for (const organizationId of dueIds) {
    try {
      if (await purgeOrganization(deps, organizationId)) purged++
    } catch (error) {
      failures.push(error)
      deps.log.error({ err: error, organizationId }, 'organization purge interrupted; the next run resumes it')
    }
  }
  if (failures.length) throw new AggregateError(failures, `${failures.length} of ${dueIds.length} due organizations are not purged yet`)
  return purged
}

async function purgeOrganization(deps: PurgeDeps, organizationId: string): Promise<boolean> {
  const businessIds: string[] = await deps.db('businesses').where({ organization_id: organizationId }).pluck('id')
  for (const businessId of businessIds) {
    while (await purgeStep(deps, organizationId, (trx) => removeCallBatch(trx, deps.storage, businessId)));
  }
  await purgeStep(deps, organizationId, (trx) => removeExports(trx, deps.storage, organizationId, businessIds))
  for (const table of DRAINED) {
    for (const businessId of businessIds) {
      while (await purgeStep(deps, organizationId, (trx) => drainBatch(trx, table, businessId)));
    }
  }
  await releaseNumbers(deps, organizationId, businessIds)
  await syncClosureSubscriptions(deps, organizationId)
  return deleteOrganization(deps.db, organizationId)
}

const due = (db: Knex, organizationId: string) => db('organizations').where({ id: organizationId, status: 'closed' }).where('purge_after', '<=', db.fn.now())

/** One short transaction holding the organization's row; what it removed is added to the row's counts. Null when nothing was left to do. */
async function purgeStep(deps: PurgeDeps, organizationId: string, work: (trx: Knex.Transaction) => Promise<Counts | null>): Promise<Counts | null> {
  return deps.db.transaction(async (trx) => {
    // Not FOR UPDATE: rows still being added that point at the organization need not wait.
    const org = await due(trx, organizationId).forNoKeyUpdate().first('purge_counts')
    if (!org) return null
    const counts = await work(trx)
    if (counts) await trx('organizations').where({ id: organizationId }).update({ purge_counts: sum(org.purge_counts, counts) })
    return counts
  })
}

async function removeCallBatch(trx: Knex.Transaction, storage: ObjectStorage, businessId: string): Promise<Counts | null> {
  const ids: string[] = await trx('calls').where({ business_id: businessId }).orderBy('id').limit(CALL_BATCH).forUpdate().pluck('id')
  return ids.length ? { ...(await removeCalls(trx, storage, ids)) } : null
}

/** Export archives of the organization's data requests (callers' and the organization's own) leave the store, then their rows go. */
async function removeExports(trx: Knex.Transaction, storage: ObjectStorage, organizationId: string, businessIds: string[]): Promise<Counts | null> {
  const requests: Array<{ id: string; result_storage_key: string | null }> = await trx('data_requests')
    .where((q) => q.where({ organization_id: organizationId }).orWhereIn('business_id', businessIds))
    .forUpdate()
    .select('id', 'result_storage_key')
  if (!requests.length) return null
  const keys = requests.flatMap((r) => (r.result_storage_key ? [r.result_storage_key] : []))
  await deleteObjects(storage, keys)
  await trx('data_requests').whereIn('id', requests.map((r) => r.id)).delete()
  return { dataRequests: requests.length, exports: keys.length }
}

async function drainBatch(trx: Knex.Transaction, table: (typeof DRAINED)[number], businessId: string): Promise<Counts | null> {
  const removed = await trx(table).whereIn('id', trx(table).where({ business_id: businessId }).limit(ROW_BATCH).select('id')).delete()
  return removed ? { [table]: removed } : null
}

/**
 * Each active number is given back to Twilio (bought ones) or stops pointing at us (attached
 * ones). A number Twilio would not release keeps the organization, and with it the record of the
 * number, for the next run: dropping the row would leave a number paid for and forgotten.
 */
async function releaseNumbers(deps: PurgeDeps, organizationId: string, businessIds: string[]): Promise<void> {
  const active: string[] = await deps.db('phone_numbers').whereIn('business_id', businessIds).where({ status: 'active' }).pluck('id')
  let kept = 0
  for (const phoneNumberId of active) {
    try {
      await releaseNumber(deps.numbers, { phoneNumberId, actorUserId: null })
      await purgeStep(deps, organizationId, async () => ({ phoneNumbersReleased: 1 }))
    } catch (error) {
      kept++
      deps.log.warn({ err: error, organizationId, phoneNumberId }, 'phone number not released; retried on the next run')
    }
  }
  if (kept) throw new Error(`${kept} of ${active.length} phone numbers could not be released`)
}

/** The organization row goes, cascading to what is left; its billing accounts stay, closed, with their ledger and invoices. */
async function deleteOrganization(db: Knex, organizationId: string): Promise<boolean> {
  return db.transaction(async (trx) => {
    const org = await due(trx, organizationId).forUpdate().first('purge_counts')
    if (!org) return false
    const businesses = trx('businesses').where({ organization_id: organizationId }).select('id')
    // Objects that reached the store after their step ran would lose their only pointer in the cascade.
    const stored = (await trx('recordings').whereIn('business_id', businesses).first('id')) ?? (await trx('data_requests').where((q) => q.where({ organization_id: organizationId }).orWhereIn('business_id', businesses)).whereNotNull('result_storage_key').first('id'))
    if (stored) throw new Error('objects were stored for the organization during its purge; the next run deletes them first')
    const count = async (query: Knex.QueryBuilder) => Number((await query.count({ n: '*' }).first())?.n ?? 0)
    const ofOrganization = (table: string) => trx(table).where({ organization_id: organizationId })
    const final = {
      // Calls refused while the purge ran (they have no recordings) go with the cascade.
      calls: await count(trx('calls').whereIn('business_id', businesses)),
      businesses: await count(ofOrganization('businesses')),
      memberships: await count(ofOrganization('memberships')),
      apiKeys: await count(ofOrganization('api_keys')),
      billingAccountsKept: await count(ofOrganization('billing_accounts')),
    }
    // Closed, they renew no free minutes and buy no top-ups; Stripe's last events still reach them.
    await ofOrganization('billing_accounts').whereNull('closed_at').update({ closed_at: trx.fn.now() })
    await trx('organizations').where({ id: organizationId }).delete()
    await recordAudit(trx, {
      action: 'organization.purged',
      actor: { type: 'system', id: null },
      organizationId,
      target: { type: 'organization', id: organizationId },
      metadata: sum(org.purge_counts, final),
    })
    return true
  })
}

function sum(into: Counts, more: Counts): Counts {
  const total = { ...into }
  for (const [key, value] of Object.entries(more)) total[key] = (total[key] ?? 0) + value
  return total
}
