// The GraphQL documents of the lead inbox and the shapes they return.

export const STATUSES = ['NEW', 'CONTACTED', 'QUALIFIED', 'WON', 'LOST'] as const
export const TEMPERATURES = ['HOT', 'WARM', 'COLD'] as const
export type LeadStatus = (typeof STATUSES)[number]
export type LeadTemperature = (typeof TEMPERATURES)[number]

/** What a row of the list shows. */
export interface LeadSummary {
  id: string
  name: string | null
  email: string | null
  phone: string | null
  reason: string | null
  requestedService: string | null
  temperature: LeadTemperature | null
  status: LeadStatus
  needsReview: boolean
  createdAt: string
}

export interface Delivery {
  status: 'PENDING' | 'DELIVERED' | 'FAILED'
  externalId: string | null
  matchRule: string | null
  lastError: string | null
  connector: { id: string; kind: 'HUBSPOT' | 'SALESFORCE' | 'WEBHOOK'; name: string }
}

export interface LeadNote {
  id: string
  body: string
  createdAt: string
  author: { displayName: string } | null
}

/** What the card shows. */
export interface LeadDetail extends LeadSummary {
  urgency: string | null
  reviewFields: string[]
  customFields: Record<string, unknown>
  extractionMethod: 'MODEL' | 'FALLBACK' | 'MANUAL'
  call: { id: string; fromNumber: string; startedAt: string; summary: string | null } | null
  notes: { nodes: LeadNote[] }
  deliveries: { nodes: Delivery[] }
}

export interface LeadFilter {
  status?: LeadStatus[]
  temperature?: LeadTemperature[]
  needsReview?: boolean
  search?: string
}

export interface UserError {
  field: string[]
  code: string
  message: string
}

const SUMMARY = 'id name email phone reason requestedService temperature status needsReview createdAt'
const NOTE = 'id body createdAt author { displayName }'
// The newest notes (notes are oldest first, so `last`), and enough deliveries to hold the latest
// one per connector (deliveries are newest first, one per lead event and connector).
const DETAIL = `${SUMMARY} urgency reviewFields customFields extractionMethod
  call { id fromNumber startedAt summary }
  notes(last: 50) { nodes { ${NOTE} } }
  deliveries(first: 30) { nodes { status externalId matchRule lastError connector { id kind name } } }`

export const LEADS_QUERY = `query LeadInbox($id: ID!, $filter: LeadFilter, $first: Int, $after: String) {
  node(id: $id) { ... on Business { leads(filter: $filter, first: $first, after: $after) {
    nodes { ${SUMMARY} } pageInfo { hasNextPage endCursor } } } }
}`

export const LEAD_QUERY = `query LeadCard($id: ID!) { node(id: $id) { ... on Lead { ${DETAIL} } } }`

export const UPDATE_LEAD = `mutation UpdateLead($input: UpdateLeadInput!) {
  updateLead(input: $input) { lead { ${DETAIL} } userErrors { field code message } }
}`

export const ADD_NOTE = `mutation AddLeadNote($input: AddLeadNoteInput!) {
  addLeadNote(input: $input) { note { ${NOTE} } userErrors { field code message } }
}`

export const LEAD_CHANGED = `subscription LeadChanged($businessId: ID!) {
  leadChanged(businessId: $businessId) { kind lead { ${SUMMARY} } }
}`

export interface LeadsData {
  node: { leads: { nodes: LeadSummary[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null
}
export interface LeadData {
  node: LeadDetail | null
}
export interface LeadChangedData {
  leadChanged: { kind: 'CAPTURED' | 'UPDATED'; lead: LeadSummary }
}

/** Whether a lead pushed by the subscription belongs in the list under the current filter. */
export function matchesFilter(lead: LeadSummary, filter: LeadFilter): boolean {
  if (filter.status && !filter.status.includes(lead.status)) return false
  if (filter.temperature && (!lead.temperature || !filter.temperature.includes(lead.temperature))) return false
  if (filter.needsReview !== undefined && lead.needsReview !== filter.needsReview) return false
  const words = filter.search?.toLowerCase().split(/\s+/).filter(Boolean) ?? []
  const text = [lead.name, lead.email, lead.phone, lead.reason, lead.requestedService].join(' ').toLowerCase()
  return words.every((word) => text.includes(word))
}
