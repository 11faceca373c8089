import { html, type TemplateResult } from 'lit'
import type { MessageKey } from '../core/messages.ts'
import { STATUSES, TEMPERATURES, type LeadFilter, type LeadStatus, type LeadTemperature } from './lead-inbox.queries.ts'

export interface FiltersView {
  t: (key: MessageKey, params?: Record<string, string | number>) => string
  /** Merges a change into the filter; undefined removes that criterion. */
  setFilter: (change: Partial<LeadFilter>) => void
  /** Called on every keystroke; the element debounces. */
  search: (value: string) => void
}

const valueOf = (event: Event) => (event.target as HTMLSelectElement | HTMLInputElement).value
// The API filters by lists of statuses and temperatures; the selects choose one or any.
const single = <T>(value: string): T[] | undefined => (value ? [value as T] : undefined)

/** The filter bar: status, temperature, needs review, and a search box. */
export function renderFilters({ t, setFilter, search }: FiltersView): TemplateResult {
  return html`<div part="filters" class="filters" role="search">
    <label>${t('leads.status')}
      <select @change=${(e: Event) => setFilter({ status: single<LeadStatus>(valueOf(e)) })}>
        <option value="">${t('common.any')}</option>
        ${STATUSES.map((s) => html`<option value=${s}>${t(`leads.status.${s}`)}</option>`)}
      </select></label>
    <label>${t('leads.field.temperature')}
      <select @change=${(e: Event) => setFilter({ temperature: single<LeadTemperature>(valueOf(e)) })}>
        <option value="">${t('common.any')}</option>
        ${TEMPERATURES.map((s) => html`<option value=${s}>${t(`leads.temperature.${s}`)}</option>`)}
      </select></label>
    <label class="check"><input type="checkbox" @change=${(e: Event) => setFilter({ needsReview: (e.target as HTMLInputElement).checked || undefined })} />
      ${t('leads.needsReview')}</label>
    <label>${t('common.search')}
      <input type="search" @input=${(e: Event) => search(valueOf(e))} /></label>
  </div>`
}
