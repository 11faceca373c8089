import { z } from 'zod'
import type { Access } from '../auth/access.ts'
import type { MembershipRole } from '../auth/permissions.ts'
import { randomToken, sha256 } from '../auth/secrets.ts'
import { recordAudit } from '../audit/audit-log.ts'
import { AppError, notFound } from '../errors/app-error.ts'
import { userError } from '../errors/user-error.ts'
import { organizationBranding, sendAfterCommit, type AccountDeps } from './deps.ts'
import { actorOf } from './organizations.ts'
import { email, parseInput } from './validation.ts'

export const INVITATION_TTL_DAYS = 7
const role = z.enum(['owner', 'admin', 'member'])

/** Only owners hand out or take away ownership. */
function assertMayGrant(grantorRole: MembershipRole | null, target: MembershipRole): void {
  if (target === 'owner' && grantorRole !== 'owner') throw new AppError('FORBIDDEN', 'Only an owner can make someone an owner')
}

/** Invites someone by email to the organization (or to one of its businesses). */
export async function inviteMember(deps: AccountDeps, access: Access, raw: unknown): Promise<{ invitationId: string }> {
  const input = parseInput(z.object({ organizationId: z.string(), email, role, businessId: z.string().nullish() }), raw)
  const scope = await access.requireOrganization(input.organizationId, 'members:manage')
  assertMayGrant(scope.role, input.role)
  if (input.businessId && !(await deps.db('businesses').where({ id: input.businessId, organization_id: scope.organizationId }).first('id'))) {
    throw userError('businessId', 'INVALID', 'The business is not part of this organization')
  }
  const alreadyMember = await deps.db('memberships as m').join('users as u', 'u.id', 'm.user_id').where({ 'm.organization_id': scope.organizationId, 'u.email': input.email }).first('m.id')
  if (alreadyMember) throw userError('email', 'TAKEN', 'This person is already a member')
  const token = randomToken()
  const [invitation] = await deps.db('invitations')
    .insert({
      organization_id: scope.organizationId,
      business_id: input.businessId ?? null,
      email: input.email,
      role: input.role,
      token_hash: sha256(token),
      invited_by: access.principal.kind === 'user' ? access.principal.userId : null,
      expires_at: new Date(Date.now() + INVITATION_TTL_DAYS * 86_400_000),
    })
    .onConflict(deps.db.raw('(organization_id, email) where accepted_at is null and revoked_at is null'))
    .ignore()
    .returning('id')
  if (!invitation) throw userError('email', 'TAKEN', 'This person has already been invited')
  await recordAudit(deps.db, { action: 'invitation.created', actor: actorOf(access), organizationId: scope.organizationId, target: { type: 'invitation', id: invitation.id }, ip: deps.client.ip, metadata: { role: input.role } })
  const org = await deps.db('organizations').where({ id: scope.organizationId }).first('name')
  const inviter = access.principal.kind === 'user' ? await deps.db('users').where({ id: access.principal.userId }).first('display_name', 'email') : null
  await sendAfterCommit(
    deps,
    input.email,
    {
      kind: 'invitation',
      organizationName: org.name,
      inviterName: inviter?.display_name || inviter?.email || org.name,
      role: input.role,
      acceptUrl: `${deps.config.http.publicBaseUrl}/invitations/accept#token=${token}`,
      expiresInDays: INVITATION_TTL_DAYS,
    },
    await organizationBranding(deps.db, scope.organizationId),
  )
  return { invitationId: invitation.id }
}

/** The invited person, signed in with the invited (verified) email, joins the organization. */
export async function acceptInvitation(deps: AccountDeps, access: Access, raw: unknown): Promise<{ membershipId: string; organizationId: string }> {
  const { userId } = access.requireUser()
  const input = parseInput(z.object({ token: z.string().min(1).max(200) }), raw)
  return deps.db.transaction(async (trx) => {
    const invitation = await trx('invitations').where({ token_hash: sha256(input.token) }).whereNull('accepted_at').whereNull('revoked_at').forUpdate().first()
    if (!invitation) throw userError('token', 'INVALID', 'This invitation is not valid')
    if (invitation.expires_at.getTime() <= Date.now()) throw userError('token', 'EXPIRED', 'This invitation has expired; ask for a new one')
    const user = await trx('users').where({ id: userId }).first('email', 'email_verified_at')
    if (user.email !== invitation.email || !user.email_verified_at) throw userError('token', 'NOT_ALLOWED', `This invitation is for another email address`)
    const [membership] = await trx('memberships')
      .insert({ organization_id: invitation.organization_id, user_id: userId, business_id: invitation.business_id, role: invitation.role })
      .onConflict(['organization_id', 'user_id'])
      .ignore()
      .returning('id')
    if (!membership) throw userError('token', 'TAKEN', 'You are already a member of this organization')
    await trx('invitations').where({ id: invitation.id }).update({ accepted_at: trx.fn.now() })
    await recordAudit(trx, { action: 'membership.created', actor: { type: 'user', id: userId }, organizationId: invitation.organization_id, target: { type: 'membership', id: membership.id }, ip: deps.client.ip, metadata: { role: invitation.role } })
    return { membershipId: membership.id as string, organizationId: invitation.organization_id as string }
  })
}

export async function revokeInvitation(deps: AccountDeps, access: Access, invitationId: string): Promise<string> {
  const invitation = await deps.db('invitations').where({ id: invitationId }).first('organization_id')
  if (!invitation) throw notFound('Invitation')
  const scope = await access.requireOrganization(invitation.organization_id, 'members:manage')
  await deps.db('invitations').where({ id: invitationId }).whereNull('accepted_at').whereNull('revoked_at').update({ revoked_at: deps.db.fn.now() })
  await recordAudit(deps.db, { action: 'invitation.revoked', actor: actorOf(access), organizationId: scope.organizationId, target: { type: 'invitation', id: invitationId }, ip: deps.client.ip })
  return invitationId
}

/** Changes a member's role; an organization always keeps at least one owner. */
export async function updateMemberRole(deps: AccountDeps, access: Access, raw: unknown): Promise<string> {
  const input = parseInput(z.object({ membershipId: z.string(), role }), raw)
  return changeMembership(deps, access, input.membershipId, async (trx, membership, scopeRole) => {
    assertMayGrant(scopeRole, input.role)
    assertMayGrant(scopeRole, membership.role)
    if (membership.role === 'owner' && input.role !== 'owner') await assertAnotherOwner(trx, membership)
    await trx('memberships').where({ id: membership.id }).update({ role: input.role })
    return { action: 'membership.role_changed', metadata: { from: membership.role, to: input.role } }
  })
}

export async function removeMember(deps: AccountDeps, access: Access, membershipId: string): Promise<string> {
  return changeMembership(deps, access, membershipId, async (trx, membership, scopeRole) => {
    assertMayGrant(scopeRole, membership.role)
    if (membership.role === 'owner') await assertAnotherOwner(trx, membership)
    await trx('memberships').where({ id: membership.id }).delete()
    return { action: 'membership.removed', metadata: { role: membership.role } }
  })
}

interface MembershipRow {
  id: string
  organization_id: string
  user_id: string
  role: MembershipRole
}

async function changeMembership(
  deps: AccountDeps,
  access: Access,
  membershipId: string,
  change: (trx: import('knex').Knex.Transaction, membership: MembershipRow, scopeRole: MembershipRole | null) => Promise<{ action: string; metadata: Record<string, unknown> }>,
): Promise<string> {
  const found = await deps.db('memberships').where({ id: membershipId }).first('organization_id')
  if (!found) throw notFound('Membership')
  const scope = await access.requireOrganization(found.organization_id, 'members:manage')
  return deps.db.transaction(async (trx) => {
    // Locks the organization's memberships so two concurrent demotions cannot remove the last owner.
    const memberships: MembershipRow[] = await trx('memberships').where({ organization_id: scope.organizationId }).forUpdate()
    const membership = memberships.find((m) => m.id === membershipId)
    if (!membership) throw notFound('Membership')
    const { action, metadata } = await change(trx, membership, scope.role)
    await recordAudit(trx, { action, actor: actorOf(access), organizationId: scope.organizationId, target: { type: 'membership', id: membershipId }, ip: deps.client.ip, metadata })
    return membershipId
  })
}

async function assertAnotherOwner(trx: import('knex').Knex.Transaction, membership: MembershipRow): Promise<void> {
  const owners = await trx('memberships').where({ organization_id: membership.organization_id, role: 'owner' }).whereNot({ id: membership.id }).first('id')
  if (!owners) throw new AppError('CONFLICT', 'An organization needs at least one owner')
}
