/** The CRM half of the fake HubSpot: contacts and calls in memory, answering like the v3 object APIs. */

export interface FakeRecord {
  id: string
  properties: Record<string, string>
  createdAt: string
  updatedAt: string
}

export interface FakeCall extends FakeRecord {
  /** Associations made at create time: `{ toId, category, typeId }`. */
  associations: { toId: string; category: string; typeId: number }[]
}

export interface Answer {
  status: number
  body: unknown
}

type Filter = { propertyName: string; operator: string; value?: string; values?: string[] }
type SearchBody = { filterGroups?: { filters: Filter[] }[]; properties?: string[]; limit?: number }

/** Contact properties a fresh portal has (a subset); writing any other answers 400 like HubSpot. */
export const CONTACT_PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'mobilephone', 'company', 'jobtitle', 'message', 'city', 'hs_lead_status', 'lifecyclestage', 'hubspot_owner_id']
export const CALL_PROPERTIES = ['hs_timestamp', 'hs_call_title', 'hs_call_body', 'hs_call_direction', 'hs_call_disposition', 'hs_call_duration', 'hs_call_from_number', 'hs_call_to_number', 'hs_call_recording_url', 'hs_call_status', 'hs_call_external_id', 'hubspot_owner_id']
// HubSpot's association type id for call -> contact (HUBSPOT_DEFINED).
const CALL_TO_CONTACT = 194

const error = (status: number, category: string, message: string): Answer => ({ status, body: { status: 'error', message, correlationId: '00000000-fake-fake-fake-000000000000', category } })

function view(record: FakeRecord, only?: string[]) {
  const properties = only ? Object.fromEntries(only.map((name) => [name, record.properties[name] ?? null])) : { ...record.properties }
  return { id: record.id, properties: { ...properties, hs_object_id: record.id }, createdAt: record.createdAt, updatedAt: record.updatedAt, archived: false }
}

function matches(record: FakeRecord, filter: Filter): boolean {
  const value = record.properties[filter.propertyName]
  if (filter.operator === 'EQ') return value !== undefined && value.toLowerCase() === (filter.value ?? '').toLowerCase()
  if (filter.operator === 'IN') return value !== undefined && (filter.values ?? []).some((candidate) => candidate.toLowerCase() === value.toLowerCase())
  if (filter.operator === 'HAS_PROPERTY') return value !== undefined && value !== ''
  if (filter.operator === 'CONTAINS_TOKEN') return value !== undefined && value.toLowerCase().split(/\W+/).includes((filter.value ?? '').toLowerCase())
  throw new Error(`the fake does not implement the ${filter.operator} operator`)
}

/** In-memory CRM objects with HubSpot's answers (status codes, error bodies, the 409 on a taken email). */
export class FakeCrm {
  readonly contacts = new Map<string, FakeRecord>()
  readonly calls = new Map<string, FakeCall>()
  readonly contactProperties = new Set(CONTACT_PROPERTIES)
  readonly callProperties = new Set(CALL_PROPERTIES)
  #nextId = 1001

  #validate(properties: Record<string, unknown>, known: Set<string>): Answer | null {
    const unknown = Object.keys(properties).filter((name) => !known.has(name))
    if (unknown.length === 0) return null
    const details = unknown.map((name) => ({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name }))
    return error(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(details)}`)
  }

  #emailOwner(email: string | undefined, exceptId?: string): FakeRecord | undefined {
    if (!email) return undefined
    return [...this.contacts.values()].find((c) => c.id !== exceptId && c.properties.email?.toLowerCase() === email.toLowerCase())
  }

  /** Adds a contact directly, as if someone had typed it into HubSpot. */
  seedContact(properties: Record<string, string>): FakeRecord {
    const now = new Date().toISOString()
    const record = { id: String(this.#nextId++), properties: { ...properties }, createdAt: now, updatedAt: now }
    if (record.properties.email) record.properties.email = record.properties.email.toLowerCase()
    this.contacts.set(record.id, record)
    return record
  }

  createContact(body: { properties?: Record<string, string> }): Answer {
    const properties = body.properties ?? {}
    const invalid = this.#validate(properties, this.contactProperties)
    if (invalid) return invalid
    const taken = this.#emailOwner(properties.email)
    if (taken) return error(409, 'CONFLICT', `Contact already exists. Existing ID: ${taken.id}`)
    return { status: 201, body: view(this.seedContact(properties)) }
  }

  updateContact(id: string, body: { properties?: Record<string, string> }): Answer {
    const record = this.contacts.get(id)
    if (!record) return error(404, 'OBJECT_NOT_FOUND', 'resource not found')
    const properties = body.properties ?? {}
    const invalid = this.#validate(properties, this.contactProperties)
    if (invalid) return invalid
    const taken = this.#emailOwner(properties.email, id)
    if (taken) return error(409, 'CONFLICT', `Contact already exists. Existing ID: ${taken.id}`)
    Object.assign(record.properties, properties, properties.email ? { email: properties.email.toLowerCase() } : {})
    record.updatedAt = new Date().toISOString()
    return { status: 200, body: view(record) }
  }

  getContact(id: string, properties: string[] | undefined): Answer {
    const record = this.contacts.get(id)
    return record ? { status: 200, body: view(record, properties) } : error(404, 'OBJECT_NOT_FOUND', 'resource not found')
  }

  listContacts(limit: number): Answer {
    return { status: 200, body: { results: [...this.contacts.values()].slice(0, limit).map((c) => view(c)) } }
  }

  createCall(body: { properties?: Record<string, string>; associations?: { to: { id: string }; types: { associationCategory: string; associationTypeId: number }[] }[] }): Answer {
    const properties = body.properties ?? {}
    const invalid = this.#validate(properties, this.callProperties)
    if (invalid) return invalid
    if (!properties.hs_timestamp) return error(400, 'VALIDATION_ERROR', 'Property values were not valid: [{"isValid":false,"message":"hs_timestamp is required","error":"REQUIRED","name":"hs_timestamp"}]')
    const associations: FakeCall['associations'] = []
    for (const association of body.associations ?? []) {
      for (const type of association.types) {
        if (type.associationTypeId !== CALL_TO_CONTACT || !this.contacts.has(association.to.id)) return error(400, 'VALIDATION_ERROR', `invalid association to ${association.to.id} (type ${type.associationTypeId})`)
        associations.push({ toId: association.to.id, category: type.associationCategory, typeId: type.associationTypeId })
      }
    }
    const now = new Date().toISOString()
    const call: FakeCall = { id: String(this.#nextId++), properties: { ...properties }, createdAt: now, updatedAt: now, associations }
    this.calls.set(call.id, call)
    return { status: 201, body: view(call) }
  }

  /**
   * POST /crm/v3/objects/contacts/gdpr-delete: the contact is gone for good (no recycle bin), and
   * so are its associations; the calls logged on it stay, as in HubSpot.
   */
  purgeContact(body: { objectId?: string; idProperty?: string }): Answer {
    if (body.idProperty !== undefined) return error(400, 'VALIDATION_ERROR', 'the fake only deletes by contact id')
    const record = body.objectId ? this.contacts.get(body.objectId) : undefined
    if (!record) return error(404, 'OBJECT_NOT_FOUND', 'resource not found')
    this.contacts.delete(record.id)
    for (const call of this.calls.values()) call.associations = call.associations.filter((association) => association.toId !== record.id)
    return { status: 204, body: undefined }
  }

  /** DELETE /crm/v3/objects/calls/{id}. */
  archiveCall(id: string): Answer {
    return this.calls.delete(id) ? { status: 204, body: undefined } : error(404, 'OBJECT_NOT_FOUND', 'resource not found')
  }

  search(records: Iterable<FakeRecord>, body: SearchBody): Answer {
    const groups = body.filterGroups ?? []
    const found = [...records].filter((record) => groups.length === 0 || groups.some((group) => group.filters.every((filter) => matches(record, filter))))
    return { status: 200, body: { total: found.length, results: found.slice(0, body.limit ?? 10).map((record) => view(record, body.properties)) } }
  }
}
