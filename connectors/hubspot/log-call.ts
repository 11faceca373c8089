import { AssociationTypes } from '@hubspot/api-client'
import type { AssociationSpecAssociationCategoryEnum, FilterOperatorEnum, SimplePublicObjectInputForCreate } from '@hubspot/api-client/lib/codegen/crm/objects/calls/index.js'
import type { CallPayload } from '../connector.ts'
import type { HubSpotSession } from './hubspot-session.ts'

/**
 * The call property holding the Answerline call id. HubSpot defines hs_call_external_id for the
 * calling provider's own id (https://developers.hubspot.com/docs/api/crm/extensions/third-party-calling),
 * so it is the natural idempotency key: before logging, we search for it.
 */
export const EXTERNAL_ID_PROPERTY = 'hs_call_external_id'
// hs_call_body is a rich-text property capped at 65,536 characters; keep room for the markup.
const MAX_BODY_CHARS = 60_000

// Answerline's call statuses (migrations/…_create_calls.ts) -> HubSpot's hs_call_status options.
const CALL_STATUS: Record<string, string> = {
  ringing: 'RINGING',
  in_progress: 'IN_PROGRESS',
  completed: 'COMPLETED',
  busy: 'BUSY',
  failed: 'FAILED',
  no_answer: 'NO_ANSWER',
  canceled: 'CANCELED',
  refused: 'CANCELED',
}

/** The external id a call is logged under; prefixed so it cannot collide with another calling app's ids. */
export function callExternalId(call: Pick<CallPayload, 'id'>): string {
  return `answerline:${call.id}`
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function paragraph(text: string): string {
  return `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`
}

/** hs_call_body is shown as HTML on the timeline: plain newlines would run together. */
export function callBody(call: CallPayload): string {
  const parts: string[] = []
  if (call.summary?.trim()) parts.push(paragraph(call.summary.trim()))
  const facts = [call.outcome ? `Outcome: ${call.outcome}` : null, call.escalated ? 'Escalated to a person' : null].filter((fact) => fact !== null)
  if (facts.length) parts.push(paragraph(facts.join(' · ')))
  parts.push(`<p><a href="${escapeHtml(call.callUrl)}">Transcript and details in Answerline</a></p>`)
  if (call.recordingUrl) parts.push(`<p><a href="${escapeHtml(call.recordingUrl)}">Recording</a></p>`)
  const transcript = call.transcript.trim()
  if (transcript) {
    const room = MAX_BODY_CHARS - parts.join('').length - 100
    const text = transcript.length > room ? `${transcript.slice(0, Math.max(0, room))}\n…` : transcript
    parts.push(`<p><strong>Transcript</strong></p>${paragraph(text)}`)
  }
  return parts.join('')
}

/** The call engagement's properties (https://developers.hubspot.com/docs/api/crm/calls). */
export function callProperties(call: CallPayload, businessName: string): Record<string, string> {
  const direction = call.direction === 'outbound' ? 'OUTBOUND' : 'INBOUND'
  const seconds = call.durationSeconds ?? (call.endedAt ? Math.max(0, (Date.parse(call.endedAt) - Date.parse(call.startedAt)) / 1000) : null)
  const properties: Record<string, string> = {
    // Required: places the call on the timeline; ISO UTC or epoch milliseconds are both accepted.
    hs_timestamp: call.startedAt,
    hs_call_title: `${call.direction === 'outbound' ? 'Outbound' : 'Inbound'} call handled by Answerline for ${businessName}`,
    hs_call_body: callBody(call),
    hs_call_direction: direction,
    hs_call_status: CALL_STATUS[call.status] ?? 'COMPLETED',
    hs_call_from_number: call.from,
    hs_call_to_number: call.to,
    [EXTERNAL_ID_PROPERTY]: callExternalId(call),
  }
  // hs_call_duration is in milliseconds, not seconds.
  if (seconds !== null) properties.hs_call_duration = String(Math.round(seconds * 1000))
  // HubSpot only plays recordings from HTTPS URLs; any other link stays in the body only.
  if (call.recordingUrl?.startsWith('https://')) properties.hs_call_recording_url = call.recordingUrl
  return properties
}

/**
 * Logs the call on the contact's timeline once: a call already logged under this external id (an
 * earlier delivery that crashed before recording its receipt) is reused, not duplicated.
 * Returns the HubSpot call id.
 */
export async function logCall(session: HubSpotSession, call: CallPayload, contactId: string, businessName: string): Promise<{ id: string; created: boolean }> {
  const externalId = callExternalId(call)
  const found = await session.run('the call search', (client) =>
    client.crm.objects.calls.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: EXTERNAL_ID_PROPERTY, operator: 'EQ' as FilterOperatorEnum, value: externalId }] }],
      properties: [EXTERNAL_ID_PROPERTY],
      limit: 1,
    }),
  )
  const existing = found.results[0]
  if (existing) return { id: existing.id, created: false }
  const input: SimplePublicObjectInputForCreate = {
    properties: callProperties(call, businessName),
    associations: [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as AssociationSpecAssociationCategoryEnum, associationTypeId: AssociationTypes.callToContact }] }],
  }
  const created = await session.run('the call create', (client) => client.crm.objects.calls.basicApi.create(input))
  return { id: created.id, created: true }
}
