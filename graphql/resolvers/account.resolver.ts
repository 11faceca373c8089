import type { IResolvers, MercuriusContext } from 'mercurius'
import { paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { toGlobalId } from '../relay/global-id.ts'
import { permissionToEnum, toEnum } from './support.ts'
import { type Access, AppError, DEFAULT_BRANDING, isUuid, organizationBranding, presentableBranding } from '../../core/index.ts'

type Row = Record<string, any>

const CREATED = { column: 'created_at', direction: 'asc' } as const

async function canSeeMembers(access: Access, organizationId: string): Promise<boolean> {
  const scope = await access.organizationScope(organizationId)
  return !!scope && (scope.role !== null || scope.permissions.has('members:manage'))
}

/** Node loaders: each returns null for what the caller may not see, exactly as for a missing row. */
export const accountNodeLoaders = {
  async Organization(id: string, ctx: MercuriusContext) {
    const access = await ctx.access()
    return (await access.organizationScope(id)) ? ctx.db('organizations').where({ id }).first() : null
  },
  async Business(id: string, ctx: MercuriusContext) {
    const scope = await (await ctx.access()).businessScope(id)
    return scope?.permissions.has('business:read') ? ctx.db('businesses').where({ id }).first() : null
  },
  async User(id: string, ctx: MercuriusContext) {
    const access = await ctx.access()
    return access.principal.kind === 'user' && access.principal.userId === id ? ctx.db('users').where({ id }).first() : null
  },
  async Session(id: string, ctx: MercuriusContext) {
    const access = await ctx.access()
    if (access.principal.kind !== 'user' || !isUuid(id)) return null
    return ctx.db('user_sessions').where({ id, user_id: access.principal.userId }).first()
  },
  async Membership(id: string, ctx: MercuriusContext) {
    if (!isUuid(id)) return null
    const row = await ctx.db('memberships').where({ id }).first()
    const access = await ctx.access()
    const own = access.principal.kind === 'user' && row?.user_id === access.principal.userId
    return row && (own || (await canSeeMembers(access, row.organization_id))) ? row : null
  },
  async Invitation(id: string, ctx: MercuriusContext) {
    if (!isUuid(id)) return null
    const row = await ctx.db('invitations').where({ id }).first()
    const scope = row && (await (await ctx.access()).organizationScope(row.organization_id))
    return scope?.permissions.has('members:manage') ? row : null
  },
  async ApiKey(id: string, ctx: MercuriusContext) {
    if (!isUuid(id)) return null
    const row = await ctx.db('api_keys').where({ id }).first()
    const scope = row && (await (await ctx.access()).organizationScope(row.organization_id))
    return scope?.permissions.has('api_keys:manage') ? row : null
  },
}

export const accountResolvers: IResolvers = {
  Query: {
    async me(_root, _args, ctx) {
      const access = await ctx.access()
      if (access.principal.kind !== 'user') return null
      return { user: await ctx.db('users').where({ id: access.principal.userId }).first(), sessionId: access.principal.sessionId }
    },
    async organizations(_root, args: ConnectionArgs, ctx) {
      const ids = await (await ctx.access()).organizationIds()
      return paginateQuery(ctx.db('organizations').whereIn('id', ids), args, CREATED)
    },
  },
  Viewer: {
    user: (viewer: { user: Row }) => viewer.user,
    memberships: (viewer: { user: Row }, args: ConnectionArgs, ctx) =>
      paginateQuery(ctx.db('memberships as m').join('organizations as o', 'o.id', 'm.organization_id').where({ 'm.user_id': viewer.user.id, 'o.status': 'active' }).select('m.*'), args, CREATED),
    sessions: (viewer: { user: Row }, args: ConnectionArgs, ctx) =>
      paginateQuery(ctx.db('user_sessions').where({ user_id: viewer.user.id }).whereNull('revoked_at').where('expires_at', '>', ctx.db.fn.now()), args, CREATED),
  },
  User: {
    id: (u: Row) => toGlobalId('User', u.id),
    displayName: (u: Row) => u.display_name,
    emailVerified: (u: Row) => u.email_verified_at !== null,
    createdAt: (u: Row) => u.created_at,
  },
  Session: {
    id: (s: Row) => toGlobalId('Session', s.id),
    userAgent: (s: Row) => s.user_agent,
    ipAddress: (s: Row) => s.ip,
    createdAt: (s: Row) => s.created_at,
    lastUsedAt: (s: Row) => s.last_used_at,
    expiresAt: (s: Row) => s.expires_at,
    current: async (s: Row, _args, ctx) => {
      const p = (await ctx.access()).principal
      return p.kind === 'user' && p.sessionId === s.id
    },
  },
  Organization: {
    id: (o: Row) => toGlobalId('Organization', o.id),
    kind: (o: Row) => toEnum(o.kind),
    status: (o: Row) => toEnum(o.status),
    whiteLabel: (o: Row) => o.white_label,
    branding: (o: Row) => ({ productName: o.branding.productName ?? null, colorBrand: o.branding.colorBrand ?? null, logoUrl: o.branding.logoUrl ?? null }),
    createdAt: (o: Row) => o.created_at,
    viewerRole: async (o: Row, _args, ctx) => {
      const role = (await (await ctx.access()).organizationScope(o.id))?.role
      return role ? toEnum(role) : null
    },
    viewerPermissions: async (o: Row, _args, ctx) => [...((await (await ctx.access()).organizationScope(o.id))?.permissions ?? [])].map(permissionToEnum),
    businesses: async (o: Row, args: ConnectionArgs, ctx) => {
      const reachable = await (await ctx.access()).reachableBusinesses(o.id)
      const query = ctx.db('businesses').where({ organization_id: o.id }).whereNot('status', 'closed')
      if (reachable !== 'all') query.whereIn('id', reachable)
      return paginateQuery(query, args, CREATED)
    },
    members: async (o: Row, args: ConnectionArgs, ctx) => {
      if (!(await canSeeMembers(await ctx.access(), o.id))) throw new AppError('FORBIDDEN', 'Only members of the whole organization see its members')
      return paginateQuery(ctx.db('memberships').where({ organization_id: o.id }), args, CREATED)
    },
    invitations: async (o: Row, args: ConnectionArgs, ctx) => {
      await (await ctx.access()).requireOrganization(o.id, 'members:manage')
      return paginateQuery(ctx.db('invitations').where({ organization_id: o.id }).whereNull('accepted_at').whereNull('revoked_at'), args, CREATED)
    },
    apiKeys: async (o: Row, args: ConnectionArgs, ctx) => {
      await (await ctx.access()).requireOrganization(o.id, 'api_keys:manage')
      return paginateQuery(ctx.db('api_keys').where({ organization_id: o.id }), args, CREATED)
    },
  },
  Business: {
    id: (b: Row) => toGlobalId('Business', b.id),
    timeZone: (b: Row) => b.time_zone,
    retentionDays: (b: Row) => b.retention_days,
    createdAt: (b: Row) => b.created_at,
    organization: (b: Row, _args, ctx) => ctx.db('organizations').where({ id: b.organization_id }).first(),
    viewerPermissions: async (b: Row, _args, ctx) => [...((await (await ctx.access()).businessScope(b.id))?.permissions ?? [])].map(permissionToEnum),
    branding: async (b: Row, _args, ctx) => {
      const shown = presentableBranding((await organizationBranding(ctx.db, b.organization_id)) ?? { productName: DEFAULT_BRANDING.productName })
      return { productName: shown.productName, colorBrand: shown.colorBrand ?? null, logoUrl: shown.logoUrl ?? null }
    },
  },
  Membership: {
    id: (m: Row) => toGlobalId('Membership', m.id),
    role: (m: Row) => toEnum(m.role),
    user: (m: Row, _args, ctx) => ctx.db('users').where({ id: m.user_id }).first(),
    organization: (m: Row, _args, ctx) => ctx.db('organizations').where({ id: m.organization_id }).first(),
    business: (m: Row, _args, ctx) => (m.business_id ? ctx.db('businesses').where({ id: m.business_id }).first() : null),
    createdAt: (m: Row) => m.created_at,
  },
  Invitation: {
    id: (i: Row) => toGlobalId('Invitation', i.id),
    role: (i: Row) => toEnum(i.role),
    business: (i: Row, _args, ctx) => (i.business_id ? ctx.db('businesses').where({ id: i.business_id }).first() : null),
    createdAt: (i: Row) => i.created_at,
    expiresAt: (i: Row) => i.expires_at,
  },
  ApiKey: {
    id: (k: Row) => toGlobalId('ApiKey', k.id),
    scopes: (k: Row) => (k.scopes as string[]).map(permissionToEnum),
    business: (k: Row, _args, ctx) => (k.business_id ? ctx.db('businesses').where({ id: k.business_id }).first() : null),
    createdAt: (k: Row) => k.created_at,
    lastUsedAt: (k: Row) => k.last_used_at,
    expiresAt: (k: Row) => k.expires_at,
    revokedAt: (k: Row) => k.revoked_at,
  },
}
