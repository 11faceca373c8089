import { createHash } from 'node:crypto'
import type { LeadPayload } from '../connector.ts'
import type { SalesforceConfig } from './salesforce-config.ts'

/** Answerline field -> Lead field, until the business changes it. */
export const DEFAULT_FIELD_MAPPING: Readonly<Record<string, string>> = {
  firstName: 'FirstName',
  lastName: 'LastName',
  email: 'Email',
  phone: 'Phone',
  reason: 'Description',
  temperature: 'Rating',
}

// Lead.LastName is required; a caller who gave no name is filed under their number, or this.
export const NAME_PLACEHOLDER = '[not provided]'

// Standard Lead text fields and their lengths: longer values fail with STRING_TOO_LONG, so they
// are cut. https://developer.salesforce.com/docs/atlas.en-us.sfFieldRef.meta/sfFieldRef/salesforce_field_reference_Lead.htm
const MAX_LENGTH: Readonly<Record<string, number>> = { FirstName: 40, LastName: 80, Company: 255, Title: 128, Description: 32_000, LeadSource: 255 }

// The standard Rating picklist holds Hot, Warm and Cold; Answerline's temperature is lower case.
const RATINGS: Readonly<Record<string, string>> = { hot: 'Hot', warm: 'Warm', cold: 'Cold' }

/** "Mary Ann Smith" -> first "Mary Ann", last "Smith": the last word is the surname; one word is a surname. */
export function splitName(name: string | null): { firstName: string | null; lastName: string | null } {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean)
  if (words.length === 0) return { firstName: null, lastName: null }
  const lastName = words.pop() as string
  return { firstName: words.length > 0 ? words.join(' ') : null, lastName }
}

/** The value of one Answerline field a mapping can name (firstName, email, custom.<key>...). */
function sourceValue(lead: LeadPayload, source: string): unknown {
  if (source.startsWith('custom.')) return lead.customFields[source.slice('custom.'.length)]
  const names = splitName(lead.name)
  switch (source) {
    case 'firstName': return names.firstName
    case 'lastName': return names.lastName
    case 'name': return lead.name
    case 'email': return lead.email
    case 'phone': return lead.phone
    case 'reason': return lead.reason
    case 'requestedService': return lead.requestedService
    case 'urgency': return lead.urgency
    case 'temperature': return lead.temperature
    case 'callOutcome': return lead.callOutcome
    case 'status': return lead.status
    default: return undefined
  }
}

/** A value as Salesforce takes it; null for "nothing to send". Lists become multi-select picklist values ("a;b"). */
function toFieldValue(value: unknown, target: string): string | number | boolean | null {
  if (value === null || value === undefined || value === '') return null
  if (Array.isArray(value)) return value.length > 0 ? value.map(String).join(';') : null
  if (typeof value === 'object') return JSON.stringify(value)
  if (typeof value === 'string') {
    if (target === 'Rating') return RATINGS[value.toLowerCase()] ?? value.charAt(0).toUpperCase() + value.slice(1).toLowerCase()
    const max = MAX_LENGTH[target]
    return max !== undefined && value.length > max ? value.slice(0, max) : value
  }
  return value as number | boolean
}

/**
 * The Lead fields the mapping yields for `lead`. Empty Answerline values are left out, so an update
 * never erases what a rep typed in Salesforce.
 */
export function mapLeadFields(lead: LeadPayload, fieldMapping: Record<string, string>): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const [source, target] of Object.entries(fieldMapping)) {
    const value = toFieldValue(sourceValue(lead, source), target)
    if (value !== null) fields[target] = value
  }
  return fields
}

/**
 * What only a new Lead gets, on top of the mapped fields: the required LastName and Company when the
 * mapping gave none, LeadSource, and the owner from the owner rule.
 */
export function createOnlyFields(lead: LeadPayload, mapped: Record<string, unknown>, config: SalesforceConfig): Record<string, unknown> {
  const fields: Record<string, unknown> = { LeadSource: config.leadSource }
  if (!mapped.LastName) fields.LastName = splitName(lead.name).lastName ?? lead.phone ?? NAME_PLACEHOLDER
  if (!mapped.Company) fields.Company = config.defaultCompany
  const owner = ownerFor(lead.id, config.ownerRule)
  if (owner) fields.OwnerId = owner
  return fields
}

/**
 * The owner a new Lead gets: none (Salesforce's default owner or assignment rules), a fixed user or
 * queue, or one of several picked by a hash of the lead id, so a retried delivery picks the same one.
 */
export function ownerFor(leadId: string, rule: SalesforceConfig['ownerRule']): string | null {
  switch (rule.kind) {
    case 'existing':
      return null
    case 'fixed':
      return rule.ownerId
    case 'round_robin': {
      const bucket = createHash('sha256').update(leadId).digest().readUInt32BE(0)
      return rule.ownerIds[bucket % rule.ownerIds.length] ?? null
    }
  }
}
