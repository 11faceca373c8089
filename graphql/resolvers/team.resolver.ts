import type { IResolvers } from 'mercurius'
import { fromEnum, localId, mutation, optionalLocalId, permissionFromEnum, permissionToEnum } from './support.ts'
import { acceptInvitation, createBusiness, createEmbedToken, createOrganization, createOrganizationApiKey, inviteMember, removeMember, revokeInvitation, revokeOrganizationApiKey, updateMemberRole } from '../../core/index.ts'

type Input = Record<string, any>

export const teamResolvers: IResolvers = {
  Mutation: {
    createOrganization: mutation(async (input: Input, ctx) => {
      const id = await createOrganization(ctx.deps(), await ctx.access(), { ...input, kind: fromEnum(input.kind), timeZone: input.timeZone ?? undefined, country: input.country ?? undefined })
      return { organization: await ctx.db('organizations').where({ id }).first() }
    }),
    createBusiness: mutation(async (input: Input, ctx) => {
      const organizationId = localId(input.organizationId, 'Organization')
      const id = await createBusiness(ctx.deps(), await ctx.access(), organizationId, { name: input.name, timeZone: input.timeZone ?? undefined, country: input.country ?? undefined })
      return { business: await ctx.db('businesses').where({ id }).first() }
    }),
    inviteMember: mutation(async (input: Input, ctx) => {
      const { invitationId } = await inviteMember(ctx.deps(), await ctx.access(), {
        organizationId: localId(input.organizationId, 'Organization'),
        businessId: optionalLocalId(input.businessId, 'Business'),
        email: input.email,
        role: fromEnum(input.role),
      })
      return { invitation: await ctx.db('invitations').where({ id: invitationId }).first() }
    }),
    acceptInvitation: mutation(async (input: Input, ctx) => {
      const { membershipId } = await acceptInvitation(ctx.deps(), await ctx.access(), input)
      return { membership: await ctx.db('memberships').where({ id: membershipId }).first() }
    }),
    revokeInvitation: mutation(async (input: Input, ctx) => {
      await revokeInvitation(ctx.deps(), await ctx.access(), localId(input.invitationId, 'Invitation'))
      return { revokedInvitationId: input.invitationId }
    }),
    updateMemberRole: mutation(async (input: Input, ctx) => {
      const id = await updateMemberRole(ctx.deps(), await ctx.access(), { membershipId: localId(input.membershipId, 'Membership'), role: fromEnum(input.role) })
      return { membership: await ctx.db('memberships').where({ id }).first() }
    }),
    removeMember: mutation(async (input: Input, ctx) => {
      await removeMember(ctx.deps(), await ctx.access(), localId(input.membershipId, 'Membership'))
      return { removedMembershipId: input.membershipId }
    }),
    createApiKey: mutation(async (input: Input, ctx) => {
      const { apiKeyId, secret } = await createOrganizationApiKey(ctx.deps(), await ctx.access(), {
        organizationId: localId(input.organizationId, 'Organization'),
        businessId: optionalLocalId(input.businessId, 'Business'),
        name: input.name,
        scopes: (input.scopes as string[]).map(permissionFromEnum),
      })
      return { apiKey: await ctx.db('api_keys').where({ id: apiKeyId }).first(), secret }
    }),
    revokeApiKey: mutation(async (input: Input, ctx) => {
      const id = await revokeOrganizationApiKey(ctx.deps(), await ctx.access(), localId(input.apiKeyId, 'ApiKey'))
      return { apiKey: await ctx.db('api_keys').where({ id }).first() }
    }),
    createEmbedToken: mutation(async (input: Input, ctx) => {
      const embed = await createEmbedToken(ctx.deps(), await ctx.access(), {
        businessId: localId(input.businessId, 'Business'),
        permissions: (input.permissions as string[]).map(permissionFromEnum),
        ttlMinutes: input.ttlMinutes ?? undefined,
      })
      return { token: embed.token, expiresAt: embed.expiresAt, permissions: embed.permissions.map(permissionToEnum) }
    }),
  },
}
