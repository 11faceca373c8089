import type { MercuriusContext } from 'mercurius'
import { Access, type Permission } from '../../core/index.ts'

/**
 * Whether a subscriber may still hear about the business, asked afresh for each event: a
 * subscription outlives the request that opened it, and the access it was opened with remembers
 * its answers, so a closed organization or a removed membership would otherwise keep streaming.
 */
export async function stillReaches(ctx: MercuriusContext, businessId: string, permission: Permission): Promise<boolean> {
  const fresh = new Access(ctx.db, (await ctx.access()).principal)
  return (await fresh.businessScope(businessId))?.permissions.has(permission) ?? false
}
