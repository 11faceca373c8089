import { ConnectorError, type CallPayload } from '../connector.ts'
import type { SalesforceSession } from './salesforce-session.ts'
import { soqlString } from './soql.ts'

// Task.Description is a 32,000-character text area; Subject, CallObject and CallDisposition take 255.
// https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm
const DESCRIPTION_MAX = 32_000
const SHORT_TEXT_MAX = 255

/** The call's day where the business is: ActivityDate is a date without time, shown as is. */
export function localDate(iso: string, timeZone: string): string {
  const when = new Date(iso)
  try {
    // en-CA formats dates as YYYY-MM-DD.
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(when)
  } catch {
    return when.toISOString().slice(0, 10)
  }
}

/** The customer's number: who called in, or whom we called. */
export function callerNumber(call: CallPayload): string {
  return call.direction === 'outbound' ? call.to : call.from
}

/** Summary, links, then as much of the transcript as fits. */
export function describeCall(call: CallPayload): string {
  const head = [
    call.summary,
    call.escalated ? 'The caller was put through to a person.' : null,
    `Call in Answerline: ${call.callUrl}`,
    call.recordingUrl ? `Recording: ${call.recordingUrl}` : null,
  ].filter(Boolean).join('\n')
  const transcript = call.transcript.trim()
  if (!transcript) return head
  const label = '\n\nTranscript:\n'
  const room = DESCRIPTION_MAX - head.length - label.length
  const fitted = transcript.length > room ? `${transcript.slice(0, Math.max(0, room - 1))}…` : transcript
  return `${head}${label}${fitted}`
}

/**
 * The call as a completed call Task on the Lead. CallObject (the "Call Object Identifier" that CTI
 * integrations fill) carries the Answerline call id, which makes the Task findable on a retry.
 */
export function buildCallTask(call: CallPayload, leadId: string, timeZone: string): Record<string, unknown> {
  const task: Record<string, unknown> = {
    WhoId: leadId,
    Subject: `Call: ${callerNumber(call)}`.slice(0, SHORT_TEXT_MAX),
    TaskSubtype: 'Call',
    Status: 'Completed',
    Priority: 'Normal',
    CallType: call.direction === 'outbound' ? 'Outbound' : 'Inbound',
    CallObject: call.id,
    Description: describeCall(call),
    ActivityDate: localDate(call.startedAt, timeZone),
  }
  if (call.durationSeconds !== null) task.CallDurationInSeconds = Math.round(call.durationSeconds)
  if (call.outcome) task.CallDisposition = call.outcome.slice(0, SHORT_TEXT_MAX)
  return task
}

/**
 * Logs the call on the Lead once: a Task already carrying this call id on this Lead (an earlier run
 * that crashed after creating it) is kept instead of creating another.
 */
export async function logCallTask(session: SalesforceSession, call: CallPayload, leadId: string, timeZone: string): Promise<{ taskId: string; created: boolean }> {
  const soql = `SELECT Id FROM Task WHERE WhoId = ${soqlString(leadId)} AND CallObject = ${soqlString(call.id)} LIMIT 1`
  const existing = await session.run('looking up the call Task', (conn) => conn.query<{ Id: string }>(soql))
  const found = existing.records[0]?.Id
  if (found) return { taskId: found, created: false }
  const result = await session.run('logging the call as a Task', (conn) => conn.sobject('Task').create(buildCallTask(call, leadId, timeZone)))
  if (!result.success) throw new ConnectorError('rejected', `Salesforce rejected the call Task: ${result.errors.map((e) => `${e.errorCode}: ${e.message}`).join('; ')}`, { retryable: false })
  return { taskId: result.id, created: true }
}
