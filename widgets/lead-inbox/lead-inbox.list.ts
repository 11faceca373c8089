import { html, nothing, type TemplateResult } from 'lit'
import { repeat } from 'lit/directives/repeat.js'
import type { MessageKey } from '../core/messages.ts'
import type { LeadSummary } from './lead-inbox.queries.ts'

export interface ListView {
  t: (key: MessageKey, params?: Record<string, string | number>) => string
  leads: LeadSummary[]
  loading: boolean
  error: string
  filtered: boolean
  hasMore: boolean
  selectedId: string | null
  select: (leadId: string) => void
  retry: () => void
  loadMore: () => void
}

function renderItem({ t, selectedId, select }: ListView, lead: LeadSummary): TemplateResult {
  return html`<li>
    <button part="item" class="item" type="button" aria-current=${lead.id === selectedId ? 'true' : 'false'} @click=${() => select(lead.id)}>
      <span class="who">${lead.name || lead.phone || t('leads.unnamed')}</span>
      <span class="reason muted">${lead.reason ?? ''}</span>
      <span class="badges">
        ${lead.temperature ? html`<span class="badge temp-${lead.temperature.toLowerCase()}">${t(`leads.temperature.${lead.temperature}`)}</span>` : nothing}
        <span class="badge">${t(`leads.status.${lead.status}`)}</span>
        ${lead.needsReview ? html`<span class="badge review">${t('leads.needsReview')}</span>` : nothing}
      </span>
    </button>
  </li>`
}

/** The list of leads with its loading, empty and error states and "Load more". */
export function renderList(view: ListView): TemplateResult {
  const { t } = view
  if (view.error) {
    return html`<div part="error" role="alert">${t('common.error', { message: view.error })}
      <button type="button" @click=${view.retry}>${t('common.retry')}</button></div>`
  }
  if (view.leads.length === 0) {
    return html`<p part="empty-state" class="muted">${view.loading ? t('common.loading') : view.filtered ? t('leads.noMatch') : t('leads.empty')}</p>`
  }
  // Keyed, so a lead arriving live at the top does not move focus onto another lead's button.
  return html`<ul part="list" class="list" aria-label=${t('leads.title')} aria-busy=${view.loading ? 'true' : 'false'}>
      ${repeat(view.leads, (lead) => lead.id, (lead) => renderItem(view, lead))}
    </ul>
    ${view.hasMore
      ? html`<button type="button" class="more" ?disabled=${view.loading} @click=${view.loadMore}>${view.loading ? t('common.loading') : t('common.loadMore')}</button>`
      : nothing}`
}
