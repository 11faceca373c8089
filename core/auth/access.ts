import type { Knex } from 'knex'
import { AppError } from '../errors/app-error.ts'
import type { Principal } from './principal.ts'
import { ROLE_PERMISSIONS, type MembershipRole, type Permission } from './permissions.ts'

export interface BusinessScope {
  businessId: string
  organizationId: string
  permissions: ReadonlySet<Permission>
}

export interface OrganizationScope {
  organizationId: string
  /** The caller's role when it is a member of the whole organization. */
  role: MembershipRole | null
  /** Organization-wide permissions; empty for members limited to one business. */
  permissions: ReadonlySet<Permission>
}

interface MembershipRow {
  organization_id: string
  business_id: string | null
  role: MembershipRole
}

const NONE: ReadonlySet<Permission> = new Set()

/**
 * Tenant isolation in one place: what the caller of one request may see and do. Anything outside
 * the caller's reach is NOT_FOUND (its existence is not revealed); something visible but beyond
 * the caller's permissions is FORBIDDEN. Suspended and closed organizations grant nothing.
 */
export class Access {
  readonly principal: Principal
  readonly #db: Knex
  #memberships: Promise<MembershipRow[]> | undefined
  // One Access lives for one request; a page of nested fields asks the same questions many times.
  readonly #activeOrganizations = new Map<string, Promise<boolean>>()
  readonly #businessScopes = new Map<string, Promise<BusinessScope | null>>()

  constructor(db: Knex, principal: Principal) {
    this.#db = db
    this.principal = principal
  }

  /** The signed-in user: UNAUTHENTICATED for nobody, FORBIDDEN for keys and embed tokens, which act for no person. */
  requireUser(): { userId: string; sessionId: string } {
    if (this.principal.kind === 'anonymous') throw new AppError('UNAUTHENTICATED', 'Sign in to do this')
    if (this.principal.kind !== 'user') throw new AppError('FORBIDDEN', 'Only a signed-in person can do this, not an API key or embed token')
    return this.principal
  }

  async organizationScope(organizationId: string): Promise<OrganizationScope | null> {
    const p = this.principal
    if (!(await this.#organizationActive(organizationId))) return null
    switch (p.kind) {
      case 'anonymous':
        return null
      case 'user': {
        const membership = (await this.#userMemberships()).find((m) => m.organization_id === organizationId)
        if (!membership) return null
        const orgWide = membership.business_id === null
        return { organizationId, role: orgWide ? membership.role : null, permissions: orgWide ? new Set(ROLE_PERMISSIONS[membership.role]) : NONE }
      }
      case 'api_key':
        if (p.organizationId !== organizationId) return null
        return { organizationId, role: null, permissions: p.businessId === null ? new Set(p.scopes) : NONE }
      case 'embed':
        return p.organizationId === organizationId ? { organizationId, role: null, permissions: NONE } : null
    }
  }

  businessScope(businessId: string): Promise<BusinessScope | null> {
    let scope = this.#businessScopes.get(businessId)
    if (!scope) this.#businessScopes.set(businessId, (scope = this.#resolveBusinessScope(businessId)))
    return scope
  }

  async #resolveBusinessScope(businessId: string): Promise<BusinessScope | null> {
    const p = this.principal
    if (p.kind === 'anonymous' || !isUuid(businessId)) return null
    const business = await this.#db('businesses as b')
      .join('organizations as o', 'o.id', 'b.organization_id')
      .where({ 'b.id': businessId, 'o.status': 'active' })
      .whereNot('b.status', 'closed')
      .first('b.id', 'b.organization_id')
    if (!business) return null
    const organizationId: string = business.organization_id
    switch (p.kind) {
      case 'user': {
        const membership = (await this.#userMemberships()).find((m) => m.organization_id === organizationId && (m.business_id === null || m.business_id === businessId))
        return membership ? { businessId, organizationId, permissions: new Set(ROLE_PERMISSIONS[membership.role]) } : null
      }
      case 'api_key':
        return p.organizationId === organizationId && (p.businessId === null || p.businessId === businessId) ? { businessId, organizationId, permissions: new Set(p.scopes) } : null
      case 'embed':
        return p.businessId === businessId ? { businessId, organizationId, permissions: new Set(p.permissions) } : null
    }
  }

  /** The business, when the caller holds `permission` on it; NOT_FOUND or FORBIDDEN otherwise. */
  async requireBusiness(businessId: string, permission: Permission): Promise<BusinessScope> {
    return demand(await this.businessScope(businessId), permission, 'Business')
  }

  async requireOrganization(organizationId: string, permission: Permission): Promise<OrganizationScope> {
    return demand(await this.organizationScope(organizationId), permission, 'Organization')
  }

  /** Organizations the caller reaches at all, for listing. */
  async organizationIds(): Promise<string[]> {
    const p = this.principal
    if (p.kind === 'anonymous') return []
    if (p.kind === 'user') return [...new Set((await this.#userMemberships()).map((m) => m.organization_id))]
    return (await this.#organizationActive(p.organizationId)) ? [p.organizationId] : []
  }

  /**
   * Which of the organization's businesses the caller reaches: all of them, or a list of ids
   * (empty when none). Returned as data, not a query builder: an awaited knex builder runs.
   */
  async reachableBusinesses(organizationId: string): Promise<'all' | string[]> {
    const p = this.principal
    if (!(await this.organizationScope(organizationId))) return []
    switch (p.kind) {
      case 'user': {
        const memberships = (await this.#userMemberships()).filter((m) => m.organization_id === organizationId)
        return memberships.some((m) => m.business_id === null) ? 'all' : memberships.map((m) => m.business_id as string)
      }
      case 'api_key':
        return p.businessId === null ? 'all' : [p.businessId]
      case 'embed':
        return [p.businessId]
      case 'anonymous':
        return []
    }
  }

  #userMemberships(): Promise<MembershipRow[]> {
    const p = this.principal
    if (p.kind !== 'user') return Promise.resolve([])
    this.#memberships ??= this.#db('memberships as m')
      .join('organizations as o', 'o.id', 'm.organization_id')
      .where({ 'm.user_id': p.userId, 'o.status': 'active' })
      .select('m.organization_id', 'm.business_id', 'm.role')
    return this.#memberships
  }

  #organizationActive(organizationId: string): Promise<boolean> {
    if (!isUuid(organizationId)) return Promise.resolve(false)
    let active = this.#activeOrganizations.get(organizationId)
    if (!active) {
      active = this.#db('organizations').where({ id: organizationId, status: 'active' }).first('id').then((row) => row !== undefined)
      this.#activeOrganizations.set(organizationId, active)
    }
    return active
  }
}

function demand<T extends { permissions: ReadonlySet<Permission> }>(scope: T | null, permission: Permission, what: string): T {
  if (!scope) throw new AppError('NOT_FOUND', `${what} was not found`)
  if (!scope.permissions.has(permission)) throw new AppError('FORBIDDEN', `You may not do this (needs ${permission})`, { permission })
  return scope
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function isUuid(value: string): boolean {
  return UUID.test(value)
}
