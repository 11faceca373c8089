/**
 * Plans of the statements the product really runs on its hot paths. auto_explain, preloaded into
 * every new session of the database, reports each executed statement's plan (statements inside
 * PL/pgSQL functions included) to the client as a LOG notice; the notices are collected while the
 * real code paths run, so no SQL is copied here and the plans are those of the real parameters.
 */
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '../app.ts'
import { DeliveryDispatcher } from '../connectors/delivery/dispatcher.ts'
import { createConnectorRegistry } from '../connectors/index.ts'
import { createKnex, testConfig, type Knex } from '../core/index.ts'
import { graphqlRequest } from '../core/testing/graphql-request.ts'
import { insertApiKey } from '../core/testing/accounts.ts'
import { toGlobalId } from '../graphql/relay/global-id.ts'
import { sweepRetention } from '../privacy/index.ts'
import { gateInboundCall } from '../voice/call-gate.ts'
import { CALLS_QUERY } from '../widgets/call-log/call-log.queries.ts'
import type { CallVolume } from './seed-call-volume.ts'

// A sequential scan is fine on a table this small (settings, plans, one row per business).
const LARGE_TABLE_ROWS = 10_000

export interface StatementPlan {
  query: string
  plan: PlanNode
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  Plans?: PlanNode[]
}

export interface SeqScan {
  table: string
  rows: number
  query: string
}

/** Makes every new session of `database` report the plan of each statement it runs. */
export async function reportPlansOf(admin: Knex, database: string, on: boolean): Promise<void> {
  const settings = { session_preload_libraries: 'auto_explain', 'auto_explain.log_min_duration': '0', 'auto_explain.log_nested_statements': 'on', 'auto_explain.log_format': 'json', client_min_messages: 'log' }
  for (const [name, value] of Object.entries(settings)) {
    await admin.raw(on ? `alter database ?? set ${name} = '${value}'` : `alter database ?? reset ${name}`, [database])
  }
}

const HOOKED = Symbol('plan notices')
const listeners = new Set<(plan: StatementPlan) => void>()

/** Collects the plans every pg client in this process receives until the returned function is called. */
export function recordPlans(): () => StatementPlan[] {
  const client = pg.Client.prototype as pg.Client & { [HOOKED]?: true }
  if (!client[HOOKED]) {
    client[HOOKED] = true
    const query = client.query
    client.query = function (this: pg.Client & { [HOOKED]?: true }, ...args: unknown[]) {
      if (!Object.hasOwn(this, HOOKED)) {
        Object.defineProperty(this, HOOKED, { value: true })
        this.on('notice', (notice) => {
          const at = notice.message?.indexOf('plan:\n') ?? -1
          if (at < 0) return
          const report = JSON.parse(notice.message!.slice(at + 6)) as { 'Query Text': string; Plan: PlanNode }
          for (const listener of listeners) listener({ query: report['Query Text'], plan: report.Plan })
        })
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args)
    } as typeof client.query
  }
  const plans: StatementPlan[] = []
  const listener = (plan: StatementPlan) => plans.push(plan)
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
    return plans
  }
}

/** Sequential scans of tables with at least LARGE_TABLE_ROWS rows (by the planner's statistics). */
export async function seqScansOf(db: Knex, plans: StatementPlan[]): Promise<SeqScan[]> {
  const { rows } = await db.raw(`select relname, reltuples from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace`)
  const sizes = new Map<string, number>(rows.map((r: { relname: string; reltuples: number }) => [r.relname, Number(r.reltuples)]))
  const scans: SeqScan[] = []
  const walk = (node: PlanNode, query: string) => {
    const table = node['Relation Name']
    if (node['Node Type'] === 'Seq Scan' && table && (sizes.get(table) ?? 0) >= LARGE_TABLE_ROWS) scans.push({ table, rows: sizes.get(table) ?? 0, query })
    for (const child of node.Plans ?? []) walk(child, query)
  }
  for (const { query, plan } of plans) walk(plan, query)
  return scans
}

/**
 * Runs the hot paths against a seeded database (see seedCallVolume), with plans reported: the
 * widget's call list with each filter and a second page, the lead list and its search, a call's
 * detail with its transcript, the call gate (number lookup and minute reservation), the delivery
 * dispatcher's claim and the retention sweep. Returns every plan seen, with the operation it
 * belongs to. Job queue claims are pg-boss's own and are left out.
 */
export async function exerciseHotQueries(url: string, volume: CallVolume): Promise<Array<StatementPlan & { operation: string }>> {
  const admin = createKnex(url, 1)
  const database = new URL(url).pathname.slice(1)
  await reportPlansOf(admin, database, true)
  const app = await buildApp(testConfig({ DATABASE_URL: url, MIGRATE_ON_START: 'false' }), { role: 'api' })
  const seen: Array<StatementPlan & { operation: string }> = []
  const during = async (operation: string, work: () => Promise<unknown>) => {
    const stop = recordPlans()
    try {
      await work()
    } finally {
      seen.push(...stop().map((plan) => ({ ...plan, operation })))
    }
  }
  try {
    const businessId = volume.businessIds[0] as string
    const { secret } = await insertApiKey(admin, volume.organizationId, ['business:read', 'calls:read', 'leads:read'])
    const ask = async (query: string, variables: Record<string, unknown>) => {
      const result = await graphqlRequest(app, query, variables, { token: secret })
      if (result.errors) throw new Error(`${JSON.stringify(result.errors)} for ${JSON.stringify(variables)}`)
      return result.data
    }
    const business = toGlobalId('Business', businessId)
    const since = new Date(Date.now() - 7 * 86_400_000).toISOString()
    const filters: Record<string, object | null> = {
      none: null,
      startedAfter: { startedAfter: since },
      startedBefore: { startedBefore: since },
      status: { status: ['NO_ANSWER', 'BUSY'] },
      outcome: { outcome: 'booked' },
      escalated: { escalated: true },
      consent: { consent: 'GIVEN' },
      temperature: { temperature: ['HOT'] },
      'search by number': { search: '+1555000' },
      'search by words': { search: 'okafor' },
    }
    for (const [name, filter] of Object.entries(filters)) {
      await during(`call list, filter ${name}`, async () => {
        const first = await ask(CALLS_QUERY, { businessId: business, first: 50, filter })
        const after = first.node.calls.pageInfo.endCursor
        if (after) await ask(CALLS_QUERY, { businessId: business, first: 50, after, filter, firstPage: false })
      })
    }
    const LEADS = `query($id: ID!, $filter: LeadFilter, $after: String) { node(id: $id) { ... on Business { leads(first: 50, after: $after, filter: $filter) { nodes { id name temperature status } pageInfo { endCursor } } } } }`
    for (const [name, filter] of Object.entries({ none: null, search: { search: 'okafor' }, status: { status: ['NEW'] }, temperature: { temperature: ['WARM'] }, createdAfter: { createdAfter: since } })) {
      await during(`lead list, filter ${name}`, async () => {
        const first = await ask(LEADS, { id: business, filter })
        const after = first.node.leads.pageInfo.endCursor
        if (after) await ask(LEADS, { id: business, filter, after })
      })
    }
    const [talked] = await admin('transcript_segments').where({ business_id: businessId }).select('call_id').limit(1)
    await during('call detail', () =>
      ask(`query($id: ID!) { node(id: $id) { ... on Call { id status consent { decision } lead { id name } transcript(first: 100) { nodes { speaker text } } } } }`, { id: toGlobalId('Call', talked.call_id) }),
    )
    await during('call gate', () => gateInboundCall(app.db, { reservationMinutes: 10 }, { callSid: `CA${'f'.repeat(32)}`, from: '+15550001234', to: volume.phoneNumbers[0] as string }))
    const log = pino({ level: 'silent' })
    await during('delivery claim', () => new DeliveryDispatcher({ db: app.db, log, registry: createConnectorRegistry(app.config), keys: app.config.connectors.keys, mailer: app.mailer, publicBaseUrl: app.config.http.publicBaseUrl, concurrency: 32 }).claim(32))
    await during('retention sweep', () => sweepRetention({ db: app.db, storage: null, log }))
    return seen
  } finally {
    await app.close()
    await reportPlansOf(admin, database, false)
    await admin.destroy()
  }
}
