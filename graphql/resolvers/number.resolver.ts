import type { IResolvers, MercuriusContext } from 'mercurius'
import { z } from 'zod'
import { AppError, isUuid, recordAudit, UserInputError } from '../../core/index.ts'
import { attachNumber, purchaseNumber, releaseNumber, searchAvailableNumbers, type NumberDeps } from '../../voice/index.ts'
import { connectionFromArray, paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { actingUserId, localId, mutation, optionalLocalId, toEnum, visibleRow } from './support.ts'

type Row = Record<string, any>
const CREATED = { column: 'created_at', direction: 'asc' } as const
const ACQUIRED = { column: 'acquired_at', direction: 'asc' } as const
const E164 = z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'Use the E.164 format, such as +14155550100')

function e164(value: unknown): string {
  const parsed = E164.safeParse(value)
  if (!parsed.success) throw new UserInputError([{ field: ['input', 'phoneNumber'], code: 'INVALID', message: parsed.error.issues[0]?.message ?? 'Invalid number' }])
  return parsed.data
}

/** Number management needs Twilio; the client is made once per app by the GraphQL plugin. */
export function numberResolvers(numbers: (ctx: MercuriusContext) => NumberDeps): IResolvers {
  return {
    Query: {
      async availablePhoneNumbers(_root, args: { businessId: string; country: string; areaCode?: number | null; contains?: string | null; first?: number | null }, ctx) {
        await (await ctx.access()).requireBusiness(localId(args.businessId, 'Business'), 'business:manage')
        if (!/^[A-Z]{2}$/.test(args.country)) throw new AppError('BAD_USER_INPUT', 'country must be a two-letter ISO code', { argument: 'country' })
        const found = await searchAvailableNumbers(numbers(ctx), { country: args.country, areaCode: args.areaCode ?? null, contains: args.contains ?? null, limit: Math.min(args.first ?? 20, 50) })
        return connectionFromArray(found, { first: args.first ?? null })
      },
    },
    Business: {
      phoneNumbers: async (b: Row, args: ConnectionArgs, ctx) => {
        await (await ctx.access()).requireBusiness(b.id, 'business:read')
        return paginateQuery(ctx.db('phone_numbers').where({ business_id: b.id, status: 'active' }), args, ACQUIRED)
      },
    },
    Organization: {
      blockedNumbers: async (o: Row, args: ConnectionArgs, ctx) => {
        await (await ctx.access()).requireOrganization(o.id, 'business:manage')
        return paginateQuery(ctx.db('blocked_numbers').where({ organization_id: o.id }), args, CREATED)
      },
    },
    PhoneNumber: {
      id: (n: Row) => toGlobalId('PhoneNumber', n.id),
      friendlyName: (n: Row) => n.friendly_name,
      source: (n: Row) => toEnum(n.source),
      business: (n: Row, _args, ctx) => ctx.db('businesses').where({ id: n.business_id }).first(),
      acquiredAt: (n: Row) => n.acquired_at,
    },
    BlockedNumber: {
      id: (n: Row) => toGlobalId('BlockedNumber', n.id),
      business: (n: Row, _args, ctx) => (n.business_id ? ctx.db('businesses').where({ id: n.business_id }).first() : null),
      createdAt: (n: Row) => n.created_at,
    },
    Mutation: {
      purchasePhoneNumber: mutation(async (input: Row, ctx) => {
        const scope = await (await ctx.access()).requireBusiness(localId(input.businessId, 'Business'), 'business:manage')
        const id = await purchaseNumber(numbers(ctx), { businessId: scope.businessId, e164: e164(input.phoneNumber), actorUserId: await actingUserId(ctx) })
        return { phoneNumber: await ctx.db('phone_numbers').where({ id }).first() }
      }),
      attachPhoneNumber: mutation(async (input: Row, ctx) => {
        const scope = await (await ctx.access()).requireBusiness(localId(input.businessId, 'Business'), 'business:manage')
        const id = await attachNumber(numbers(ctx), { businessId: scope.businessId, e164: e164(input.phoneNumber), actorUserId: await actingUserId(ctx) })
        return { phoneNumber: await ctx.db('phone_numbers').where({ id }).first() }
      }),
      releasePhoneNumber: mutation(async (input: Row, ctx) => {
        const id = localId(input.phoneNumberId, 'PhoneNumber')
        const number = isUuid(id) ? await ctx.db('phone_numbers').where({ id, status: 'active' }).first('business_id') : undefined
        if (!number) throw new AppError('NOT_FOUND', 'Phone number was not found')
        await (await ctx.access()).requireBusiness(number.business_id, 'business:manage')
        await releaseNumber(numbers(ctx), { phoneNumberId: id, actorUserId: await actingUserId(ctx) })
        return { releasedPhoneNumberId: input.phoneNumberId }
      }),
      blockNumber: mutation(async (input: Row, ctx) => {
        const access = await ctx.access()
        const organizationId = localId(input.organizationId, 'Organization')
        const businessId = optionalLocalId(input.businessId, 'Business')
        if (businessId) {
          const scope = await access.requireBusiness(businessId, 'business:manage')
          if (scope.organizationId !== organizationId) throw new AppError('NOT_FOUND', 'Business was not found')
        } else await access.requireOrganization(organizationId, 'business:manage')
        const number = e164(input.phoneNumber)
        const reason = typeof input.reason === 'string' ? input.reason.trim().slice(0, 500) || null : null
        const [row] = await ctx.db('blocked_numbers')
          .insert({ organization_id: organizationId, business_id: businessId, e164: number, reason, created_by: await actingUserId(ctx) })
          .onConflict(ctx.db.raw('(organization_id, business_id, e164)'))
          .ignore()
          .returning('*')
        if (!row) throw new UserInputError([{ field: ['input', 'phoneNumber'], code: 'TAKEN', message: 'This number is already blocked here' }])
        await recordAudit(ctx.db, { action: 'blocked_number.created', actor: { type: 'user', id: await actingUserId(ctx) }, organizationId, businessId, target: { type: 'blocked_number', id: row.id } })
        return { blockedNumber: row }
      }),
      unblockNumber: mutation(async (input: Row, ctx) => {
        const id = localId(input.blockedNumberId, 'BlockedNumber')
        const row = isUuid(id) ? await ctx.db('blocked_numbers').where({ id }).first() : undefined
        if (!row) throw new AppError('NOT_FOUND', 'Blocked number was not found')
        const access = await ctx.access()
        if (row.business_id) await access.requireBusiness(row.business_id, 'business:manage')
        else await access.requireOrganization(row.organization_id, 'business:manage')
        await ctx.db('blocked_numbers').where({ id }).delete()
        return { unblockedNumberId: input.blockedNumberId }
      }),
    },
  }
}

/** Node loaders for the numbers domain: visible to whoever may read or manage the business. */
export const numberNodeLoaders = {
  async PhoneNumber(id: string, ctx: MercuriusContext) {
    return visibleRow(ctx, 'phone_numbers', id, 'business:read')
  },
  async BlockedNumber(id: string, ctx: MercuriusContext) {
    if (!isUuid(id)) return null
    const row = await ctx.db('blocked_numbers').where({ id }).first()
    if (!row) return null
    const access = await ctx.access()
    const scope = row.business_id ? await access.businessScope(row.business_id) : await access.organizationScope(row.organization_id)
    return scope?.permissions.has('business:manage') ? row : null
  },
}
