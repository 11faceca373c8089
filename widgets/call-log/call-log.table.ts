import { html, nothing, type TemplateResult } from 'lit'
import { repeat } from 'lit/directives/repeat.js'
import type { MessageKey } from '../core/messages.ts'
import type { CallRow } from './call-log.queries.ts'
import { formatDuration, humanise, type DateFormatter } from '../core/format.ts'

/** What a row needs from the element; built once per render, shared by every row. */
export interface RowView {
  t: (key: MessageKey) => string
  /** A catalog entry for an enum value, or the raw value when the catalog has none (a newer api). */
  label: (key: string, fallback: string) => string
  dates: DateFormatter
  /** The one row in the tab order (roving tabindex). */
  focusId: string | undefined
  selectedId: string | null
}


/**
 * One call's row. Rows carry no listeners of their own: the element listens on the table body and
 * finds the row by `data-id`, which keeps a first render of many rows cheap.
 */
export function renderCallRow(call: CallRow, view: RowView): TemplateResult {
  const { t, label } = view
  const temperature = call.lead?.temperature
  return html`<tr part="row" data-id=${call.id} tabindex=${call.id === view.focusId ? 0 : -1} aria-current=${call.id === view.selectedId ? 'true' : nothing}>
    <td>${call.fromNumber}</td>
    <td><time datetime=${call.startedAt}>${view.dates.dateTime(call.startedAt)}</time></td>
    <td>${formatDuration(call.durationSeconds)}</td>
    <td>${label(`callLog.status.${call.status}`, call.status)}${call.escalated ? html` <span class="badge">${t('callLog.escalated')}</span>` : nothing}</td>
    <td>${call.outcome ? label(`callLog.outcome.${call.outcome}`, humanise(call.outcome)) : '—'}</td>
    <td>
      ${call.lead ? (call.lead.name ?? t('callLog.unnamed')) : '—'}
      ${temperature ? html`<span class="badge ${temperature.toLowerCase()}">${label(`callLog.temperature.${temperature}`, temperature)}</span>` : nothing}
    </td>
  </tr>`
}

const COLUMNS = ['callLog.caller', 'callLog.started', 'callLog.duration', 'callLog.status', 'callLog.outcome', 'callLog.lead'] as const

/** Listeners on the table body, delegated for every row. */
export interface RowListeners {
  click: (event: Event) => void
  keydown: (event: KeyboardEvent) => void
  focusin: (event: Event) => void
}

export function renderCallTable(calls: CallRow[], view: RowView, on: RowListeners, busy: boolean): TemplateResult {
  return html`<div class="scroll">
      <table part="table" aria-busy=${busy ? 'true' : 'false'} aria-describedby="row-hint">
        <caption class="visually-hidden">${view.t('callLog.title')}</caption>
        <thead>
          <tr>${COLUMNS.map((key) => html`<th scope="col">${view.t(key)}</th>`)}</tr>
        </thead>
        <tbody @click=${on.click} @keydown=${on.keydown} @focusin=${on.focusin}>
          ${repeat(calls, (call) => call.id, (call) => renderCallRow(call, view))}
        </tbody>
      </table>
    </div>
    <p id="row-hint" class="visually-hidden">${view.t('callLog.rowHint')}</p>`
}

/** What a key does on a focused row: choose the call, move to another row, or nothing (null). */
export function rowKeyAction(row: HTMLElement, key: string): 'select' | Element | null {
  if (key === 'Enter' || key === ' ') return 'select'
  const rows = row.parentElement
  const moves: Record<string, Element | null | undefined> = { ArrowDown: row.nextElementSibling, ArrowUp: row.previousElementSibling, Home: rows?.firstElementChild, End: rows?.lastElementChild }
  return moves[key] ?? null
}
