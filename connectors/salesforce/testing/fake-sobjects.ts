import { parseSoql, runSoql, SoqlError } from './fake-soql.ts'

export type FakeRecord = Record<string, unknown> & { Id: string }

/** The org's data and the setup that changes how it answers. */
export interface FakeOrg {
  leads: FakeRecord[]
  tasks: FakeRecord[]
  /** Lead fields marked External ID (upserts by other fields answer NOT_FOUND). */
  externalIdFields: Set<string>
  /** A duplicate rule on Lead.Email; reportMatches puts the matched ids in duplicateResult. */
  duplicateRule: { enabled: boolean; reportMatches: boolean }
  /** Ids of deleted records: deleting one again answers ENTITY_IS_DELETED. */
  recycleBin: Set<string>
}

export interface RestAnswer {
  status: number
  body?: unknown
}

let counter = 0
const PREFIX: Record<string, string> = { Lead: '00Q', Task: '00T' }
const newId = (object: string) => `${PREFIX[object] ?? '001'}${String(++counter).padStart(12, '0')}AAA`
const fail = (status: number, errorCode: string, message: string, extra: Record<string, unknown> = {}): RestAnswer => ({ status, body: [{ message, errorCode, ...extra }] })
const notFound = (message = 'The requested resource does not exist') => fail(404, 'NOT_FOUND', message)
const same = (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase()

/** A new record with Salesforce's system fields. */
export function newRecord(object: string, fields: Record<string, unknown>): FakeRecord {
  // Ids and creation times both grow with the counter, so ORDER BY CreatedDate is insertion order.
  const id = newId(object)
  const created = new Date(Date.UTC(2026, 0, 1) + counter * 1000).toISOString()
  return { ...(object === 'Lead' ? { IsConverted: false } : {}), ...fields, Id: id, CreatedDate: created }
}

function checkLead(org: FakeOrg, lead: Record<string, unknown>, self: string | null): RestAnswer | null {
  const missing = ['LastName', 'Company'].filter((f) => lead[f] === undefined || lead[f] === null || lead[f] === '')
  if (missing.length > 0) return fail(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, { fields: missing })
  if (org.duplicateRule.enabled && typeof lead.Email === 'string') {
    const matches = org.leads.filter((l) => l.Id !== self && !l.IsConverted && same(l.Email, lead.Email))
    if (matches.length > 0) {
      const message = "You're creating a duplicate record. We recommend you use an existing record instead."
      const matchRecords = matches.map((m) => ({ additionalInformation: [], fieldDiffs: [], matchConfidence: 100, record: { attributes: { type: 'Lead' }, Id: m.Id } }))
      const duplicateResult = { allowSave: false, duplicateRule: 'Standard_Lead_Duplicate_Rule', duplicateRuleEntityType: 'Lead', errorMessage: message, matchResults: [{ entityType: 'Lead', errors: [], matchEngine: 'ExactMatchEngine', matchRecords, rule: 'Standard_Lead_Match_Rule_v1_0', size: matchRecords.length, success: true }] }
      return fail(400, 'DUPLICATES_DETECTED', message, org.duplicateRule.reportMatches ? { duplicateResult } : {})
    }
  }
  return null
}

function createLead(org: FakeOrg, fields: Record<string, unknown>): RestAnswer {
  const problem = checkLead(org, fields, null)
  if (problem) return problem
  const lead = newRecord('Lead', fields)
  org.leads.push(lead)
  return { status: 201, body: { id: lead.Id, success: true, errors: [] } }
}

function updateLead(org: FakeOrg, lead: FakeRecord, fields: Record<string, unknown>): RestAnswer | null {
  if (lead.IsConverted) return fail(400, 'CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead')
  const problem = checkLead(org, { ...lead, ...fields }, lead.Id)
  if (problem) return problem
  Object.assign(lead, fields, { Id: lead.Id })
  return null
}

/** PATCH /sobjects/Lead/{field}/{value}: 201 created; 200 {created:false} from API 46.0, 204 before; 300 for several. */
function upsertLead(org: FakeOrg, version: number, field: string, value: string, fields: Record<string, unknown>): RestAnswer {
  if (!org.externalIdFields.has(field)) return notFound(`Provided external ID field does not exist or is not accessible: ${field}`)
  const matches = org.leads.filter((l) => same(l[field], value))
  if (matches.length > 1) return { status: 300, body: matches.map((m) => `/services/data/v${version.toFixed(1)}/sobjects/Lead/${m.Id}`) }
  const [existing] = matches
  if (!existing) {
    const created = createLead(org, { ...fields, [field]: value })
    if (created.status !== 201) return created
    return { status: 201, body: { ...(created.body as object), created: true } }
  }
  const problem = updateLead(org, existing, fields)
  if (problem) return problem
  return version >= 46 ? { status: 200, body: { id: existing.Id, success: true, errors: [], created: false } } : { status: 204 }
}

function createTask(org: FakeOrg, fields: Record<string, unknown>): RestAnswer {
  if (fields.WhoId !== undefined && !org.leads.some((l) => l.Id === fields.WhoId)) {
    return fail(400, 'FIELD_INTEGRITY_EXCEPTION', 'Name ID: id value of incorrect type', { fields: ['WhoId'] })
  }
  const task = newRecord('Task', fields)
  org.tasks.push(task)
  return { status: 201, body: { id: task.Id, success: true, errors: [] } }
}

/** DELETE /sobjects/{Lead|Task}/{id}: to the recycle bin; a Lead takes the Tasks on it along, as Salesforce deletes a record's activities with it. */
function deleteRecord(org: FakeOrg, object: 'Lead' | 'Task', id: string): RestAnswer {
  if (org.recycleBin.has(id)) return fail(404, 'ENTITY_IS_DELETED', 'entity is deleted')
  const table = object === 'Lead' ? org.leads : org.tasks
  const at = table.findIndex((record) => record.Id === id)
  if (at < 0) return notFound()
  table.splice(at, 1)
  org.recycleBin.add(id)
  if (object === 'Lead') for (const task of org.tasks.filter((t) => t.WhoId === id)) deleteRecord(org, 'Task', task.Id)
  return { status: 204 }
}

function query(org: FakeOrg, version: number, soql: string): RestAnswer {
  try {
    const parsed = parseSoql(soql)
    const table = parsed.object === 'Lead' ? org.leads : parsed.object === 'Task' ? org.tasks : null
    if (!table) return fail(400, 'INVALID_TYPE', `sObject type '${parsed.object}' is not supported.`)
    const records = runSoql(parsed, table).map((r) => ({ attributes: { type: parsed.object, url: `/services/data/v${version.toFixed(1)}/sobjects/${parsed.object}/${String(r.Id)}` }, ...r }))
    return { status: 200, body: { totalSize: records.length, done: true, records } }
  } catch (error) {
    if (error instanceof SoqlError) return fail(400, 'MALFORMED_QUERY', error.message)
    throw error
  }
}

/** One REST call below /services/data/vXX.X; `path` is what follows the version. */
export function answerRest(org: FakeOrg, version: number, method: string, path: string[], params: URLSearchParams, body: unknown): RestAnswer {
  const fields = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const [resource, object, a, b] = path
  if (resource === 'limits' && method === 'GET') return { status: 200, body: { DailyApiRequests: { Max: 15000, Remaining: 14990 } } }
  if (resource === 'query' && method === 'GET') return query(org, version, params.get('q') ?? '')
  if (resource !== 'sobjects') return notFound()
  if (object === 'Task' && a === undefined && method === 'POST') return createTask(org, fields)
  if ((object === 'Lead' || object === 'Task') && a !== undefined && b === undefined && method === 'DELETE') return deleteRecord(org, object, a)
  if (object !== 'Lead') return notFound()
  if (a === undefined && method === 'POST') return createLead(org, fields)
  if (a !== undefined && b !== undefined && method === 'PATCH') return upsertLead(org, version, a, decodeURIComponent(b), fields)
  const lead = org.leads.find((l) => l.Id === a)
  if (!lead || b !== undefined) return notFound()
  if (method === 'GET') return { status: 200, body: { attributes: { type: 'Lead' }, ...lead } }
  if (method === 'PATCH') return updateLead(org, lead, fields) ?? { status: 204 }
  return fail(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed`)
}
