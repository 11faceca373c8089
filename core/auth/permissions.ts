/**
 * What a credential may do. Roles grant sets of these; API keys carry them as scopes; embed tokens
 * carry the widget subset. One vocabulary, so a check reads the same whoever is calling.
 */
export const PERMISSIONS = [
  'business:read',
  'business:manage',
  'calls:read',
  'recordings:read',
  'leads:read',
  'leads:write',
  'agent:read',
  'agent:write',
  'connectors:manage',
  'billing:read',
  'billing:manage',
  'members:manage',
  'api_keys:manage',
  'embed_tokens:create',
] as const
export type Permission = (typeof PERMISSIONS)[number]

/** What a widget on a host page may be given through an embed token. */
export const WIDGET_PERMISSIONS = [
  'business:read',
  'calls:read',
  'recordings:read',
  'leads:read',
  'leads:write',
  'agent:read',
  'agent:write',
  'billing:read',
] as const satisfies readonly Permission[]

export type MembershipRole = 'owner' | 'admin' | 'member'

const MEMBER: readonly Permission[] = ['business:read', 'calls:read', 'recordings:read', 'leads:read', 'leads:write', 'agent:read', 'billing:read']

/** Owners and admins manage everything in their organization; owners alone may manage owners. */
export const ROLE_PERMISSIONS: Readonly<Record<MembershipRole, readonly Permission[]>> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  member: MEMBER,
}

