import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { SalesforceSession } from './salesforce-session.ts'
import { soqlName, soqlString } from './soql.ts'

/**
 * The ways a phone number may be stored on a Lead. Salesforce keeps Phone as typed (its UI shows a
 * 10-digit US number as "(555) 123-4567"), and SOQL compares text exactly, so we ask for each form.
 */
export function phoneCandidates(phone: string): string[] {
  const parsed = parsePhoneNumberFromString(phone)
  const forms = [phone.trim()]
  if (parsed) forms.push(parsed.number, parsed.formatNational(), parsed.formatInternational(), String(parsed.nationalNumber))
  return [...new Set(forms.filter(Boolean))]
}

/**
 * The oldest open Lead matching `condition`, if any. Converted Leads are skipped: Salesforce refuses
 * updates to them (CANNOT_UPDATE_CONVERTED_LEAD), and the person now lives on as a Contact.
 */
async function findOpenLead(session: SalesforceSession, condition: string, action: string): Promise<string | null> {
  const soql = `SELECT Id FROM Lead WHERE ${condition} AND IsConverted = false ORDER BY CreatedDate ASC LIMIT 1`
  const result = await session.run(action, (conn) => conn.query<{ Id: string }>(soql))
  return result.records[0]?.Id ?? null
}

/** SOQL's Email comparison ignores case, as Salesforce's own duplicate matching does. */
export function findLeadByEmail(session: SalesforceSession, email: string): Promise<string | null> {
  return findOpenLead(session, `Email = ${soqlString(email.trim())}`, 'looking up the Lead by email')
}

/** The oldest open Lead whose Phone is the caller's number in any of its usual forms. */
export function findLeadByPhone(session: SalesforceSession, phone: string): Promise<string | null> {
  const forms = phoneCandidates(phone).map(soqlString).join(', ')
  return findOpenLead(session, `Phone IN (${forms})`, 'looking up the Lead by phone')
}

/** The Lead carrying `value` in the external id field (converted or not: the field is unique to it). */
export async function findLeadByExternalId(session: SalesforceSession, field: string, value: string): Promise<string | null> {
  const soql = `SELECT Id FROM Lead WHERE ${soqlName(field)} = ${soqlString(value)} LIMIT 1`
  const result = await session.run(`looking up the Lead by ${field}`, (conn) => conn.query<{ Id: string }>(soql))
  return result.records[0]?.Id ?? null
}
