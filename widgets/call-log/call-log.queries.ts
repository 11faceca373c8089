/** What the call log asks the api, and the filters it turns into a CallFilter. */
import type { Branding } from '../core/branding-data.ts'

export const CALL_STATUSES = ['RINGING', 'IN_PROGRESS', 'COMPLETED', 'BUSY', 'FAILED', 'NO_ANSWER', 'CANCELED', 'REFUSED'] as const
export const TEMPERATURES = ['HOT', 'WARM', 'COLD'] as const
export const CONSENT_DECISIONS = ['PENDING', 'GIVEN', 'DECLINED', 'NOT_COMPLETED'] as const
/** The outcomes a call ends with (the api's `outcome` is open text; these are the ones it writes). */
export const CALL_OUTCOMES = ['lead_captured', 'question_answered', 'appointment_requested', 'escalated', 'transferred', 'callback_requested', 'message_taken', 'message_after_hours', 'message_no_minutes', 'message_model_unavailable', 'forwarded_after_hours', 'forwarded_no_minutes', 'answered_by_staff', 'wrong_number', 'spam', 'hung_up', 'other'] as const

export type CallStatus = (typeof CALL_STATUSES)[number]
export type Temperature = (typeof TEMPERATURES)[number]
export type ConsentDecision = (typeof CONSENT_DECISIONS)[number]

export interface CallRow {
  id: string
  fromNumber: string
  startedAt: string
  durationSeconds: number | null
  status: CallStatus
  outcome: string | null
  escalated: boolean
  consent: { decision: ConsentDecision } | null
  lead: { id: string; name: string | null; temperature: Temperature | null } | null
}

interface CallPage {
  nodes: CallRow[]
  pageInfo: { hasNextPage: boolean; endCursor: string | null }
}

export interface CallsData {
  node: { calls: CallPage; branding?: Branding } | null
}

export interface CallChangedData {
  callChanged: CallRow
}

const ROW_FIELDS = `
  fragment CallLogRow on Call {
    id fromNumber startedAt durationSeconds status outcome escalated
    consent { decision }
    lead { id name temperature }
  }`

export const CALLS_QUERY = `
  query CallLog($businessId: ID!, $first: Int!, $after: String, $filter: CallFilter, $firstPage: Boolean = true) {
    node(id: $businessId) {
      ... on Business {
        calls(first: $first, after: $after, filter: $filter) {
          nodes { ...CallLogRow }
          pageInfo { hasNextPage endCursor }
        }
        branding @include(if: $firstPage) { productName colorBrand logoUrl }
      }
    }
  }
  ${ROW_FIELDS}`

export const CALL_CHANGED_SUBSCRIPTION = `
  subscription CallLogChanged($businessId: ID!) {
    callChanged(businessId: $businessId) { ...CallLogRow }
  }
  ${ROW_FIELDS}`

/** The date filter's choices besides any time: days counted back from today, or two dates. */
export const DATE_RANGES = ['today', 'week', 'month', 'custom'] as const
const RANGE_START_DAYS_AGO: Record<string, number> = { today: 0, week: 6, month: 29 }

/**
 * The filter form's values, as strings ('' means any). `from` and `to` (yyyy-mm-dd in local time)
 * count only while `range` is 'custom'.
 */
export interface CallLogFilters {
  search: string
  outcome: string
  range: string
  from: string
  to: string
  status: string
  temperature: string
  consent: string
  escalated: string
}

export const NO_FILTERS: CallLogFilters = { search: '', outcome: '', range: '', from: '', to: '', status: '', temperature: '', consent: '', escalated: '' }

/** A date input's day as the instant it starts in the viewer's time zone, `days` later. */
function localDayStart(day: string, days = 0): string | null {
  const [year, month, date] = day.split('-').map(Number)
  if (!year || !month || !date) return null
  return new Date(year, month - 1, date + days).toISOString()
}

/** The instants the date filter allows calls to start from (inclusive) and before; null is open. */
export function dateWindow(filters: CallLogFilters, now = new Date()): { after: string | null; before: string | null } {
  if (filters.range === 'custom') return { after: filters.from ? localDayStart(filters.from) : null, before: filters.to ? localDayStart(filters.to, 1) : null }
  const daysAgo = RANGE_START_DAYS_AGO[filters.range]
  if (daysAgo === undefined) return { after: null, before: null }
  return { after: new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo).toISOString(), before: null }
}

/** The CallFilter for the api; a custom range's `to` is inclusive, so it ends at the start of the next day. */
export function toCallFilter(filters: CallLogFilters, now = new Date()): Record<string, unknown> | null {
  const filter: Record<string, unknown> = {}
  const search = filters.search.trim()
  if (search) filter.search = search
  const { after, before } = dateWindow(filters, now)
  if (after) filter.startedAfter = after
  if (before) filter.startedBefore = before
  if (filters.status) filter.status = [filters.status]
  if (filters.outcome) filter.outcome = filters.outcome
  if (filters.temperature) filter.temperature = [filters.temperature]
  if (filters.consent) filter.consent = filters.consent
  if (filters.escalated) filter.escalated = filters.escalated === 'yes'
  return Object.keys(filter).length ? filter : null
}

/** Whether the filters narrow the list at all (an empty list then says no call matches). */
export const hasFilters = (filters: CallLogFilters) => toCallFilter(filters) !== null

/**
 * Whether a call pushed by the subscription belongs in the filtered list. Search matching is the
 * server's (word prefixes over several fields), so while a search is active only calls already
 * shown are updated.
 */
export function matchesFilters(call: CallRow, filters: CallLogFilters): boolean {
  if (filters.search.trim()) return false
  const started = Date.parse(call.startedAt)
  const { after, before } = dateWindow(filters)
  if (after && started < Date.parse(after)) return false
  if (before && started >= Date.parse(before)) return false
  if (filters.status && call.status !== filters.status) return false
  if (filters.outcome && call.outcome !== filters.outcome) return false
  if (filters.temperature && call.lead?.temperature !== filters.temperature) return false
  if (filters.consent && call.consent?.decision !== filters.consent) return false
  if (filters.escalated && call.escalated !== (filters.escalated === 'yes')) return false
  return true
}

/**
 * Where a call pushed by the subscription goes: a known call is replaced where it is, keeping the
 * list newest first; an unknown one that matches the filters is placed by its start time, unless
 * it is older than every loaded call while more pages remain (it will come with them). Null when
 * the list does not change.
 */
export function placeChangedCall(calls: CallRow[], call: CallRow, filters: CallLogFilters, hasMore: boolean): { calls: CallRow[]; at: number; added: boolean } | null {
  const index = calls.findIndex((shown) => shown.id === call.id)
  if (index >= 0) return { calls: calls.map((shown, i) => (i === index ? call : shown)), at: index, added: false }
  if (!matchesFilters(call, filters)) return null
  const started = Date.parse(call.startedAt)
  let at = calls.findIndex((shown) => Date.parse(shown.startedAt) <= started)
  if (at < 0 && hasMore) return null
  if (at < 0) at = calls.length
  return { calls: [...calls.slice(0, at), call, ...calls.slice(at)], at, added: true }
}
