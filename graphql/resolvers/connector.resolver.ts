import type { IResolvers, MercuriusContext } from 'mercurius'
import { AppError, isUuid, recordAudit } from '../../core/index.ts'
import { createConnector, replayDelivery, rotateWebhookSecret, testConnector, updateConnector, type AdminDeps, type ConnectorKind } from '../../connectors/index.ts'
import { rowsById } from '../relay/batch-loaders.ts'
import type { BatchLoaders } from '../relay/batch-resolvers.ts'
import { paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { auditActor, fromEnum, localId, mutation, toEnum, visibleRow } from './support.ts'

type Row = Record<string, any>
const NEWEST = { column: 'created_at', direction: 'desc' } as const

/** A connector the caller may manage, by global id. */
async function requireConnector(ctx: MercuriusContext, globalId: string): Promise<Row> {
  const id = localId(globalId, 'Connector')
  const row = isUuid(id) ? await ctx.db('connectors').where({ id }).first() : undefined
  if (!row) throw new AppError('NOT_FOUND', 'Connector was not found')
  await (await ctx.access()).requireBusiness(row.business_id, 'connectors:manage')
  return row
}

async function requireManager(ctx: MercuriusContext, connector: Row): Promise<Row> {
  await (await ctx.access()).requireBusiness(connector.business_id, 'connectors:manage')
  return connector
}

/** Connector administration needs the registry, built once per app by the GraphQL plugin. */
export function connectorResolvers(deps: (ctx: MercuriusContext) => AdminDeps): IResolvers {
  const audit = async (ctx: MercuriusContext, action: string, row: Row) =>
    recordAudit(ctx.db, { action, actor: await auditActor(ctx), businessId: row.business_id, target: { type: 'connector', id: row.id }, metadata: { kind: row.kind } })
  return {
    Business: {
      connectors: async (b: Row, args: ConnectionArgs, ctx) => {
        await (await ctx.access()).requireBusiness(b.id, 'connectors:manage')
        return paginateQuery(ctx.db('connectors').where({ business_id: b.id }), args, NEWEST)
      },
    },
    Lead: {
      deliveries: (l: Row, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('deliveries').where({ business_id: l.business_id, subject_type: 'lead', subject_id: l.id }), args, NEWEST),
    },
    Connector: {
      id: (c: Row) => toGlobalId('Connector', c.id),
      kind: (c: Row) => toEnum(c.kind),
      status: (c: Row) => toEnum(c.status),
      disabledReason: (c: Row) => c.disabled_reason,
      // A lead's sync status shows the connector's kind and name to lead readers (widgets);
      // its settings and log only to those who manage connectors.
      config: async (c: Row, _args, ctx) => (await requireManager(ctx, c)).config,
      fieldMapping: async (c: Row, _args, ctx) => (await requireManager(ctx, c)).field_mapping,
      eventTypes: (c: Row) => c.event_types,
      connected: (c: Row) => c.credentials_ciphertext !== null,
      lastDeliveredAt: (c: Row) => c.last_delivered_at,
      failingSince: (c: Row) => c.failing_since,
      createdAt: (c: Row) => c.created_at,
      deliveries: async (c: Row, args: ConnectionArgs & { status?: string | null }, ctx) =>
        (await requireManager(ctx, c)) &&
        paginateQuery(ctx.db('deliveries').where({ connector_id: c.id, business_id: c.business_id }).modify((q) => (args.status ? q.where({ status: fromEnum(args.status) }) : q)), args, NEWEST),
    },
    Delivery: {
      id: (d: Row) => toGlobalId('Delivery', d.id),
      eventType: (d: Row) => d.event_type,
      status: (d: Row) => toEnum(d.status),
      nextAttemptAt: (d: Row) => d.next_attempt_at,
      externalId: (d: Row) => d.external_id,
      matchRule: (d: Row) => d.match_rule && toEnum(d.match_rule),
      lastError: (d: Row) => d.last_error,
      deliveredAt: (d: Row) => d.delivered_at,
      createdAt: (d: Row) => d.created_at,
      attemptLog: (d: Row, args: ConnectionArgs, ctx) => paginateQuery(ctx.db('delivery_attempts').where({ delivery_id: d.id }), args, { column: 'attempt', direction: 'asc' }),
    },
    DeliveryAttempt: {
      id: (a: Row) => toGlobalId('DeliveryAttempt', a.id),
      startedAt: (a: Row) => a.started_at,
      latencyMs: (a: Row) => a.latency_ms,
      statusCode: (a: Row) => a.status_code,
      responseExcerpt: (a: Row) => a.response_excerpt,
    },
    Mutation: {
      createConnector: mutation(async (input: Row, ctx) => {
        const scope = await (await ctx.access()).requireBusiness(localId(input.businessId, 'Business'), 'connectors:manage')
        const actor = await auditActor(ctx)
        const created = await createConnector(deps(ctx), {
          businessId: scope.businessId,
          kind: fromEnum(input.kind) as ConnectorKind,
          name: String(input.name ?? ''),
          config: input.config ?? {},
          credentials: input.credentials ?? null,
          ...(input.fieldMapping && { fieldMapping: input.fieldMapping }),
          ...(input.eventTypes && { eventTypes: input.eventTypes }),
          actorUserId: actor.type === 'user' ? actor.id : null,
        })
        await audit(ctx, 'connector.created', created.connector)
        return created
      }),
      updateConnector: mutation(async (input: Row, ctx) => {
        const row = await requireConnector(ctx, input.connectorId)
        const changes = Object.fromEntries(['name', 'config', 'fieldMapping', 'eventTypes', 'active'].filter((k) => input[k] !== undefined && input[k] !== null).map((k) => [k, input[k]]))
        const connector = await updateConnector(deps(ctx), row, changes)
        await audit(ctx, 'connector.updated', row)
        return { connector }
      }),
      deleteConnector: mutation(async (input: Row, ctx) => {
        const row = await requireConnector(ctx, input.connectorId)
        await ctx.db('connectors').where({ id: row.id }).delete()
        await audit(ctx, 'connector.deleted', row)
        return { deletedConnectorId: input.connectorId }
      }),
      testConnector: mutation(async (input: Row, ctx) => testConnector(deps(ctx), await requireConnector(ctx, input.connectorId))),
      rotateWebhookSecret: mutation(async (input: Row, ctx) => {
        const row = await requireConnector(ctx, input.connectorId)
        const signingSecret = await rotateWebhookSecret(deps(ctx), row)
        await audit(ctx, 'connector.secret_rotated', row)
        return { connector: row, signingSecret }
      }),
      replayDelivery: mutation(async (input: Row, ctx) => {
        const id = localId(input.deliveryId, 'Delivery')
        const delivery = isUuid(id) ? await ctx.db('deliveries').where({ id }).first() : undefined
        if (!delivery) throw new AppError('NOT_FOUND', 'Delivery was not found')
        await (await ctx.access()).requireBusiness(delivery.business_id, 'connectors:manage')
        return { delivery: await replayDelivery(ctx.db, delivery) }
      }),
    },
  }
}

export const connectorLoaders: BatchLoaders = {
  Connector: { business: rowsById('businesses', 'business_id') },
  Delivery: { connector: rowsById('connectors', 'connector_id') },
}

/** Connectors and their deliveries are seen by those who may manage connectors. */
export const connectorNodeLoaders = {
  async Connector(id: string, ctx: MercuriusContext) {
    return visibleRow(ctx, 'connectors', id, 'connectors:manage')
  },
  async Delivery(id: string, ctx: MercuriusContext) {
    return visibleRow(ctx, 'deliveries', id, 'connectors:manage')
  },
}
