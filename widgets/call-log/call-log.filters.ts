import { html, nothing, type TemplateResult } from 'lit'
import type { MessageKey } from '../core/messages.ts'
import { CALL_OUTCOMES, CALL_STATUSES, CONSENT_DECISIONS, DATE_RANGES, TEMPERATURES, type CallLogFilters } from './call-log.queries.ts'

type Translate = (key: MessageKey) => string

function renderSelect(t: Translate, name: keyof CallLogFilters, label: MessageKey, current: string, options: ReadonlyArray<readonly [string, string]>, any: MessageKey = 'common.any'): TemplateResult {
  return html`<label
    >${t(label)}
    <select name=${name}>
      <option value="">${t(any)}</option>
      ${options.map(([value, text]) => html`<option value=${value} ?selected=${value === current}>${text}</option>`)}
    </select></label
  >`
}

/**
 * The call log's filter form. The element listens on the form (input and change bubble), so the
 * controls carry only their `name`. The date filter is a list of ranges; the two date inputs
 * appear only once "Choose dates" is picked, right after it in the tab order: a date input is the
 * costliest control a page can build (30-60 ms for the first one, in Chromium), and most searches
 * are for recent calls.
 */
export function renderFilters(t: Translate, filters: CallLogFilters): TemplateResult {
  return html`
    <label class="search"
      >${t('common.search')}
      <input type="search" name="search" .value=${filters.search} autocomplete="off" placeholder=${t('callLog.searchPlaceholder')} />
    </label>
    ${renderSelect(t, 'range', 'callLog.filterDate', filters.range, DATE_RANGES.map((range) => [range, t(`callLog.range.${range}`)] as const), 'callLog.range.any')}
    ${filters.range === 'custom'
      ? html`<label>${t('common.from')} <input type="date" name="from" .value=${filters.from} max=${filters.to || ''} /></label>
          <label>${t('common.to')} <input type="date" name="to" .value=${filters.to} min=${filters.from || ''} /></label>`
      : nothing}
    ${renderSelect(t, 'status', 'callLog.filterStatus', filters.status, CALL_STATUSES.map((s) => [s, t(`callLog.status.${s}`)] as const))}
    ${renderSelect(t, 'outcome', 'callLog.filterOutcome', filters.outcome, CALL_OUTCOMES.map((o) => [o, t(`callLog.outcome.${o}`)] as const))}
    ${renderSelect(t, 'temperature', 'callLog.filterTemperature', filters.temperature, TEMPERATURES.map((s) => [s, t(`callLog.temperature.${s}`)] as const))}
    ${renderSelect(t, 'consent', 'callLog.filterConsent', filters.consent, CONSENT_DECISIONS.map((s) => [s, t(`callLog.consent.${s}`)] as const))}
    ${renderSelect(t, 'escalated', 'callLog.filterEscalated', filters.escalated, [['yes', t('common.yes')], ['no', t('common.no')]])}
  `
}
