import type { ReactiveControllerHost } from 'lit'
import { ADD_NOTE, LEAD_QUERY, UPDATE_LEAD, type LeadData, type LeadDetail, type LeadNote, type LeadStatus, type UserError } from './lead-inbox.queries.ts'

/** The fields a person may correct on the card (rectification). */
export const EDITABLE = ['name', 'email', 'phone', 'reason', 'requestedService'] as const
export type EditableField = (typeof EDITABLE)[number]

type Request = <T>(query: string, variables: Record<string, unknown>) => Promise<T>
type Phase = 'idle' | 'saving' | 'saved' | 'failed'

interface UpdateData {
  updateLead: { lead: LeadDetail | null; userErrors: UserError[] }
}
interface NoteData {
  addLeadNote: { note: LeadNote | null; userErrors: UserError[] }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * The selected lead's card: loads it, saves its status and corrections through `updateLead`, and
 * adds notes. Input problems come back as `userErrors` whose `field` path starts at the mutation's
 * `input`, so `['input', 'email']` belongs next to the email box.
 */
export class LeadCardController {
  lead: LeadDetail | null = null
  loading = false
  error = ''
  editing = false
  draft: Record<EditableField, string> = { name: '', email: '', phone: '', reason: '', requestedService: '' }
  /** Messages by field name; '' holds those that name no field of the form. */
  fieldErrors: Record<string, string> = {}
  editPhase: Phase = 'idle'
  statusPhase: Phase = 'idle'
  statusError = ''
  noteDraft = ''
  notePhase: Phase = 'idle'
  noteError = ''
  #host: ReactiveControllerHost
  #request: Request
  #onSaved: (lead: LeadDetail) => void
  #loadId = 0
  #leadId: string | null = null

  constructor(host: ReactiveControllerHost, request: Request, onSaved: (lead: LeadDetail) => void) {
    this.#host = host
    this.#request = request
    this.#onSaved = onSaved
  }

  /**
   * Shows a lead (or none); a newer call wins over a slower earlier one. Reloading the lead already
   * shown (a live update) keeps what the person is typing and the last save's outcome.
   */
  async load(leadId: string | null): Promise<void> {
    const id = ++this.#loadId
    this.#leadId = leadId
    if (this.lead?.id !== leadId) {
      Object.assign(this, { lead: null, editing: false, fieldErrors: {}, statusPhase: 'idle', editPhase: 'idle', notePhase: 'idle', noteDraft: '', noteError: '' })
    }
    Object.assign(this, { loading: Boolean(leadId), error: '' })
    this.#host.requestUpdate()
    if (!leadId) return
    try {
      const data = await this.#request<LeadData>(LEAD_QUERY, { id: leadId })
      if (id !== this.#loadId) return
      this.lead = data.node
    } catch (error) {
      if (id === this.#loadId) this.error = messageOf(error)
    }
    if (id === this.#loadId) this.loading = false
    this.#host.requestUpdate()
  }

  retry(): void {
    void this.load(this.#leadId)
  }

  startEdit(): void {
    const lead = this.lead
    if (!lead) return
    this.draft = Object.fromEntries(EDITABLE.map((key) => [key, lead[key] ?? ''])) as Record<EditableField, string>
    Object.assign(this, { editing: true, fieldErrors: {}, editPhase: 'idle' })
    this.#host.requestUpdate()
  }

  cancelEdit(): void {
    this.editing = false
    this.#host.requestUpdate()
  }

  async saveStatus(status: LeadStatus): Promise<void> {
    this.statusPhase = 'saving'
    this.statusError = ''
    this.#host.requestUpdate()
    const errors = await this.#update({ status })
    this.statusPhase = errors ? 'failed' : 'saved'
    this.statusError = errors ? Object.values(errors).join(' ') : ''
    this.#host.requestUpdate()
  }

  /** Sends only what changed; an emptied box clears the field (an explicit null). */
  async saveEdit(): Promise<void> {
    const lead = this.lead
    if (!lead) return
    const changes = Object.fromEntries(EDITABLE.filter((key) => this.draft[key].trim() !== (lead[key] ?? '')).map((key) => [key, this.draft[key].trim() || null]))
    if (Object.keys(changes).length === 0) return this.cancelEdit()
    this.editPhase = 'saving'
    this.#host.requestUpdate()
    const errors = await this.#update(changes)
    this.fieldErrors = errors ?? {}
    this.editPhase = errors ? 'failed' : 'saved'
    if (!errors) this.editing = false
    this.#host.requestUpdate()
  }

  async addNote(): Promise<void> {
    const lead = this.lead
    const body = this.noteDraft.trim()
    if (!lead || !body) return
    this.notePhase = 'saving'
    this.noteError = ''
    this.#host.requestUpdate()
    try {
      const { addLeadNote } = await this.#request<NoteData>(ADD_NOTE, { input: { leadId: lead.id, body } })
      if (addLeadNote.note && this.lead?.id === lead.id) {
        this.lead = { ...this.lead, notes: { nodes: [...this.lead.notes.nodes, addLeadNote.note] } }
        this.noteDraft = ''
      }
      this.noteError = addLeadNote.userErrors.map((e) => e.message).join(' ')
    } catch (error) {
      this.noteError = messageOf(error)
    }
    this.notePhase = this.noteError ? 'failed' : 'saved'
    this.#host.requestUpdate()
  }

  /** Runs updateLead; gives the problems by field name, or null when it saved. */
  async #update(changes: Record<string, unknown>): Promise<Record<string, string> | null> {
    const lead = this.lead
    if (!lead) return null
    try {
      const { updateLead } = await this.#request<UpdateData>(UPDATE_LEAD, { input: { leadId: lead.id, ...changes } })
      if (updateLead.lead) {
        if (this.lead?.id === lead.id) this.lead = updateLead.lead
        this.#onSaved(updateLead.lead)
      }
      if (updateLead.userErrors.length === 0) return null
      const errors: Record<string, string> = {}
      for (const { field, message } of updateLead.userErrors) {
        const key = field[0] === 'input' && EDITABLE.includes(field[1] as EditableField) ? (field[1] as string) : ''
        errors[key] = errors[key] ? `${errors[key]} ${message}` : message
      }
      return errors
    } catch (error) {
      return { '': messageOf(error) }
    }
  }
}
