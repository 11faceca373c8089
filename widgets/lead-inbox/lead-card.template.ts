import { html, nothing, type TemplateResult } from 'lit'
import { live } from 'lit/directives/live.js'
import type { MessageKey } from '../core/messages.ts'
import { EDITABLE, type EditableField, type LeadCardController } from './lead-card.controller.ts'
import { STATUSES, type Delivery, type LeadDetail, type LeadStatus } from './lead-inbox.queries.ts'

/** What the card needs from the inbox element. */
export interface CardView {
  card: LeadCardController
  t: (key: MessageKey, params?: Record<string, string | number>) => string
  formatDate: (iso: string) => string
  openCall: (callId: string) => void
  update: () => void
}

const INPUT_TYPES: Record<EditableField, string> = { name: 'text', email: 'email', phone: 'tel', reason: 'text', requestedService: 'text' }
// reviewFields uses column names (requested_service) and custom.<key>.
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const show = (value: unknown) => (value === null || value === undefined || value === '' ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value))

function field(view: CardView, label: string, value: unknown, review = false): TemplateResult {
  return html`<div part="field" class=${review ? 'review' : ''}>
    <dt>${label}${review ? html` <span class="badge review">${view.t('leads.needsReview')}</span>` : nothing}</dt>
    <dd>${show(value)}</dd>
  </div>`
}

/** The newest delivery per connector, with the CRM record id of any that landed. */
function syncByConnector(deliveries: Delivery[]): Array<{ latest: Delivery; record: string | null }> {
  const byConnector = new Map<string, { latest: Delivery; record: string | null }>()
  for (const delivery of deliveries) {
    const entry = byConnector.get(delivery.connector.id) ?? { latest: delivery, record: null }
    entry.record ??= delivery.status === 'DELIVERED' ? delivery.externalId : null
    byConnector.set(delivery.connector.id, entry)
  }
  return [...byConnector.values()]
}

function syncText(view: CardView, { latest, record }: { latest: Delivery; record: string | null }): string {
  const crm = latest.connector.name
  if (latest.status === 'FAILED') return view.t('leads.syncFailed', { crm, reason: latest.lastError ?? view.t('leads.syncUnknown') })
  if (latest.status === 'PENDING') return view.t('leads.syncPending', { crm })
  return record ? view.t('leads.syncDelivered', { crm, record }) : view.t('leads.syncDeliveredNoRecord', { crm })
}

function renderFields(view: CardView, lead: LeadDetail): TemplateResult {
  const { t } = view
  const review = new Set(lead.reviewFields)
  return html`<dl class="fields">
      ${EDITABLE.map((key) => field(view, t(`leads.field.${key}`), lead[key], review.has(key) || review.has(snake(key))))}
      ${field(view, t('leads.field.urgency'), lead.urgency && t(`leads.urgency.${lead.urgency}` as MessageKey))}
      ${field(view, t('leads.field.temperature'), lead.temperature && t(`leads.temperature.${lead.temperature}`))}
      ${Object.entries(lead.customFields).map(([key, value]) => field(view, key, value, review.has(`custom.${key}`)))}
      ${field(view, t('leads.field.extraction'), t(`leads.extraction.${lead.extractionMethod}`))}
      ${field(view, t('leads.field.created'), view.formatDate(lead.createdAt))}
    </dl>
    <button type="button" @click=${() => view.card.startEdit()}>${t('leads.edit')}</button>`
}

function renderEditForm(view: CardView): TemplateResult {
  const { card, t } = view
  const errors = card.fieldErrors
  const submit = (event: Event) => {
    event.preventDefault()
    void card.saveEdit()
  }
  return html`<form class="edit" @submit=${submit} novalidate>
    ${EDITABLE.map(
      (key) => html`<div part="field" class="edit-field">
        <label for="edit-${key}">${t(`leads.field.${key}`)}</label>
        <input id="edit-${key}" type=${INPUT_TYPES[key]} .value=${live(card.draft[key])} aria-invalid=${errors[key] ? 'true' : 'false'}
          aria-describedby="edit-${key}-error" @input=${(e: Event) => (card.draft[key] = (e.target as HTMLInputElement).value)} />
        <span id="edit-${key}-error" class="field-error">${errors[key] ?? ''}</span>
      </div>`,
    )}
    ${errors[''] ? html`<p part="error" role="alert">${errors['']}</p>` : nothing}
    <div class="actions">
      <button class="primary" type="submit" ?disabled=${card.editPhase === 'saving'}>${card.editPhase === 'saving' ? t('common.saving') : t('common.save')}</button>
      <button type="button" @click=${() => card.cancelEdit()}>${t('leads.cancel')}</button>
    </div>
  </form>`
}

function renderNotes(view: CardView, lead: LeadDetail): TemplateResult {
  const { card, t } = view
  const submit = (event: Event) => {
    event.preventDefault()
    void card.addNote()
  }
  return html`<section part="notes" aria-labelledby="notes-title">
    <h4 id="notes-title">${t('leads.notes')}</h4>
    ${lead.notes.nodes.length === 0 ? html`<p class="muted">${t('leads.noNotes')}</p>` : nothing}
    <ul class="notes">
      ${lead.notes.nodes.map(
        (note) => html`<li part="note">
          <p class="note-body">${note.body}</p>
          <p class="muted">${note.author?.displayName ?? t('leads.noteAuthorUnknown')} · ${view.formatDate(note.createdAt)}</p>
        </li>`,
      )}
    </ul>
    <form class="add-note" @submit=${submit}>
      <label for="note-body">${t('leads.note')}</label>
      <textarea id="note-body" rows="3" .value=${live(card.noteDraft)} @input=${(e: Event) => {
        card.noteDraft = (e.target as HTMLTextAreaElement).value
        view.update()
      }}></textarea>
      <div class="actions">
        <button type="submit" ?disabled=${!card.noteDraft.trim() || card.notePhase === 'saving'}>${card.notePhase === 'saving' ? t('common.saving') : t('leads.addNote')}</button>
        ${card.noteError ? html`<span part="error" role="alert">${card.noteError}</span>` : nothing}
      </div>
    </form>
  </section>`
}

function renderSync(view: CardView, lead: LeadDetail): TemplateResult {
  const targets = syncByConnector(lead.deliveries.nodes)
  return html`<section part="sync" aria-labelledby="sync-title">
    <h4 id="sync-title">${view.t('leads.sync')}</h4>
    ${targets.length === 0
      ? html`<p class="muted">${view.t('leads.syncNone')}</p>`
      : html`<ul>${targets.map((target) => html`<li class="sync-${target.latest.status.toLowerCase()}">${syncText(view, target)}</li>`)}</ul>`}
  </section>`
}

/** The selected lead: its fields (or the correction form), status, call, notes and CRM sync. */
export function renderLeadCard(view: CardView): TemplateResult {
  const { card, t } = view
  const lead = card.lead
  if (card.error) {
    return html`<div part="error" role="alert">${t('common.error', { message: card.error })}
      <button type="button" @click=${() => card.retry()}>${t('common.retry')}</button></div>`
  }
  if (!lead) return html`<p part="empty-state" class="muted">${card.loading ? t('common.loading') : t('leads.pick')}</p>`
  const statusNote = card.statusPhase === 'saving' ? t('common.saving') : card.statusPhase === 'saved' ? t('common.saved') : card.statusError
  return html`<article part="card" aria-labelledby="lead-title" aria-busy=${card.loading ? 'true' : 'false'}>
    <h3 id="lead-title">${lead.name || lead.phone || t('leads.unnamed')}</h3>
    <div class="status-row">
      <label for="lead-status">${t('leads.status')}</label>
      <!-- Each option says whether it is selected: a .value set before the options exist would fall back to the first. -->
      <select id="lead-status" ?disabled=${card.statusPhase === 'saving'}
        @change=${(e: Event) => void card.saveStatus((e.target as HTMLSelectElement).value as LeadStatus)}>
        ${STATUSES.map((status) => html`<option value=${status} ?selected=${status === lead.status}>${t(`leads.status.${status}`)}</option>`)}
      </select>
      <span role="status" class=${card.statusPhase === 'failed' ? 'field-error' : 'muted'}>${statusNote}</span>
    </div>
    ${card.editing ? renderEditForm(view) : renderFields(view, lead)}
    ${lead.call
      ? html`<section class="call" aria-labelledby="call-title">
          <h4 id="call-title">${t('leads.call')}</h4>
          <p class="muted">${lead.call.fromNumber} · ${view.formatDate(lead.call.startedAt)}</p>
          ${lead.call.summary ? html`<p>${lead.call.summary}</p>` : nothing}
          <button type="button" @click=${() => view.openCall(lead.call!.id)}>${t('leads.viewCall')}</button>
        </section>`
      : nothing}
    ${renderNotes(view, lead)} ${renderSync(view, lead)}
  </article>`
}
