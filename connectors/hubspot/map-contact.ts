import { createHash } from 'node:crypto'
import type { LeadPayload } from '../connector.ts'

/**
 * HubSpot's built-in contact properties for the fields every lead has; other fields (reason,
 * urgency, custom.<key>...) need a property the business creates. `status` is deliberately left
 * out: HubSpot's hs_lead_status is an enumeration whose options each portal defines, so writing
 * Answerline's statuses into it would be refused.
 */
export const DEFAULT_FIELD_MAPPING: Readonly<Record<string, string>> = {
  firstName: 'firstname',
  lastName: 'lastname',
  email: 'email',
  phone: 'phone',
}

export type OwnerRule = { kind: 'existing' } | { kind: 'fixed'; ownerId: string } | { kind: 'round_robin'; ownerIds: string[] }

/** Splits a full name on its last space: "Mary Ann Smith" is first "Mary Ann", last "Smith". */
export function splitName(name: string | null): { firstName: string | null; lastName: string | null } {
  const trimmed = name?.trim().replace(/\s+/g, ' ') ?? ''
  if (!trimmed) return { firstName: null, lastName: null }
  const at = trimmed.lastIndexOf(' ')
  return at < 0 ? { firstName: trimmed, lastName: null } : { firstName: trimmed.slice(0, at), lastName: trimmed.slice(at + 1) }
}

/**
 * HubSpot property values are strings. Multi-select values are joined with ";", which is how
 * HubSpot's enumeration checkbox properties take several options.
 */
function toPropertyValue(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'string') return value.trim() || null
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.map((item) => toPropertyValue(item)).filter((item) => item !== null).join(';') || null
  return JSON.stringify(value)
}

function sourceValue(lead: LeadPayload, source: string): unknown {
  if (source.startsWith('custom.')) return lead.customFields[source.slice('custom.'.length)]
  switch (source) {
    case 'firstName':
      return splitName(lead.name).firstName
    case 'lastName':
      return splitName(lead.name).lastName
    case 'name':
    case 'email':
    case 'phone':
    case 'reason':
    case 'requestedService':
    case 'urgency':
    case 'temperature':
    case 'callOutcome':
    case 'status':
      return lead[source]
    default:
      return undefined
  }
}

/**
 * Contact properties for a lead: each mapped Answerline field with a value becomes the HubSpot
 * property it maps to. Empty values are left out, so an update never blanks what HubSpot knows.
 */
export function mapContactProperties(lead: LeadPayload, fieldMapping: Record<string, string>): Record<string, string> {
  const properties: Record<string, string> = {}
  for (const [source, target] of Object.entries(fieldMapping)) {
    if (!target) continue
    const value = toPropertyValue(sourceValue(lead, source))
    if (value !== null) properties[target] = value
  }
  return properties
}

/**
 * The owner to set on a contact, or null to leave hubspot_owner_id alone. Owners are only
 * assigned to contacts we create or that have none, so a salesperson's existing contact is never
 * taken away. Round robin hashes the lead id: a retried delivery picks the same owner.
 */
export function chooseOwner(rule: OwnerRule, leadId: string, currentOwnerId: string | null | undefined, creating: boolean): string | null {
  if (rule.kind === 'existing') return null
  if (!creating && currentOwnerId) return null
  if (rule.kind === 'fixed') return rule.ownerId
  const bucket = createHash('sha256').update(leadId).digest().readUInt32BE(0) % rule.ownerIds.length
  return rule.ownerIds[bucket] ?? null
}
