import { html, nothing, type PropertyValues, type TemplateResult } from 'lit'
import { AnswerlineElement } from '../core/answerline-element.ts'
import { CATALOG, type MessageKey } from '../core/messages.ts'
import { renderFilters } from './call-log.filters.ts'
import { renderCallTable, rowKeyAction, type RowView } from './call-log.table.ts'
import { CALLS_QUERY, CALL_CHANGED_SUBSCRIPTION, NO_FILTERS, hasFilters, placeChangedCall, toCallFilter, type CallChangedData, type CallLogFilters, type CallRow, type CallsData } from './call-log.queries.ts'
import { callLogStyles } from './call-log.styles.ts'

/** One request per pause in typing, not per key. */
const SEARCH_DELAY_MS = 300
/** Long enough for a screen reader to pick the announcement up before it is cleared. */
const ANNOUNCE_MS = 5000

type Phase = 'idle' | 'loading' | 'ready' | 'error'

/**
 * The business's calls, newest first: filters, cursor pagination ("Load more") and live updates.
 *
 * @attr page-size - Calls per page: 1 to 100, default 20.
 * @fires al-call-select - A call was chosen (click, or Enter or Space on its focused row); detail `{ callId }`, a global id.
 * @cssproperty --row-height - Minimum height of a row (default: 5 × --al-space).
 * @csspart base - The wrapper.
 * @csspart header - The title bar.
 * @csspart filters - The filter form.
 * @csspart table - The table of calls.
 * @csspart row - One call's row.
 * @csspart empty-state - Shown when no call matches.
 * @csspart error - Shown when loading failed, with a retry button.
 * @csspart load-more - The "Load more" button.
 */
export class CallLogElement extends AnswerlineElement {
  static override styles = [...AnswerlineElement.styles, callLogStyles]
  // Its first page brings the branding along: one request fewer while the first render is due.
  static override brandingFromQuery = true
  static override properties = {
    ...AnswerlineElement.properties,
    pageSize: { type: Number, attribute: 'page-size' },
    calls: { state: true },
    phase: { state: true },
    errorMessage: { state: true },
    hasMore: { state: true },
    loadingMore: { state: true },
    focusId: { state: true },
    selectedId: { state: true },
    announcement: { state: true },
  }

  /** Calls per page (`page-size`). */
  declare pageSize: number
  declare private calls: CallRow[]
  declare private phase: Phase
  declare private errorMessage: string | null
  declare private hasMore: boolean
  declare private loadingMore: boolean
  /** The row that takes Tab (roving tabindex), so the table is one tab stop. */
  declare private focusId: string | null
  declare private selectedId: string | null
  declare private announcement: string
  #filters: CallLogFilters = { ...NO_FILTERS }
  // The filter form appears with the first answer, not before it: its controls take the browser
  // tens of milliseconds to lay out the first time, which would hold that answer back.
  #answered = false
  #cursor: string | null = null
  // Bumped by every fresh load, so a slower earlier response never overwrites a newer one.
  #generation = 0
  #connection = 0
  #unsubscribe: (() => void) | null = null
  #searchTimer: ReturnType<typeof setTimeout> | undefined
  #announceTimer: ReturnType<typeof setTimeout> | undefined

  constructor() {
    super()
    this.pageSize = 20
    this.calls = []
    this.phase = 'idle'
    this.errorMessage = null
    this.hasMore = false
    this.loadingMore = false
    this.focusId = null
    this.selectedId = null
    this.announcement = ''
  }

  override connectedCallback(): void {
    super.connectedCallback()
    if (this.hasUpdated) this.#connect()
  }

  override disconnectedCallback(): void {
    this.#stop()
    super.disconnectedCallback()
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const reconnect = changed.has('businessId') || changed.has('token') || changed.has('apiBase') || changed.has('tokenProvider')
    // Unsubscribe before the base class disposes the socket the subscription runs on.
    if (reconnect) this.#stop()
    super.willUpdate(changed)
    if (reconnect) this.#connect()
    else if (changed.has('pageSize')) void this.#load(false)
  }

  #stop(): void {
    // A subscription still waiting for the first page is not opened after this.
    this.#connection++
    this.#unsubscribe?.()
    this.#unsubscribe = null
    clearTimeout(this.#searchTimer)
    clearTimeout(this.#announceTimer)
  }

  #connect(): void {
    this.#stop()
    this.#generation++
    this.calls = []
    this.phase = 'idle'
    this.#answered = false
    if (!this.businessId) return
    const connection = this.#connection
    // The first page comes first; the live socket opens once its rows are painted (opening a
    // WebSocket costs the page a few milliseconds), so the two do not compete for the first
    // render; in a background tab, once the tab is shown. Errors are not shown: the socket
    // reconnects by itself, and the list still works without it.
    const loaded = this.#load(false).then(() => this.updateComplete)
    void loaded.finally(() => requestAnimationFrame(() => setTimeout(() => {
      if (this.#connection !== connection || this.#unsubscribe || !this.isConnected) return
      this.#unsubscribe = this.client.subscribe<CallChangedData>(CALL_CHANGED_SUBSCRIPTION, { businessId: this.businessId }, this.#onCallChanged, () => {})
    }, 0)))
  }

  async #load(append: boolean): Promise<void> {
    const generation = append ? this.#generation : ++this.#generation
    if (append) this.loadingMore = true
    else this.phase = 'loading'
    this.errorMessage = null
    try {
      const first = Math.min(100, Math.max(1, Math.floor(this.pageSize) || 20))
      const data = await this.client.request<CallsData>(CALLS_QUERY, { businessId: this.businessId, first, after: append ? this.#cursor : null, filter: toCallFilter(this.#filters), firstPage: !append })
      if (generation !== this.#generation) return
      const page = data.node?.calls
      if (!page) throw new Error(this.t('callLog.notFound'))
      if (!append) this.useBranding(data.node?.branding ?? null)
      const shown = new Set(append ? this.calls.map((call) => call.id) : [])
      this.calls = append ? [...this.calls, ...page.nodes.filter((call) => !shown.has(call.id))] : page.nodes
      this.#cursor = page.pageInfo.endCursor
      this.hasMore = page.pageInfo.hasNextPage
      this.phase = 'ready'
    } catch (error) {
      if (generation !== this.#generation) return
      this.errorMessage = error instanceof Error ? error.message : String(error)
      if (!append) this.phase = 'error'
    } finally {
      if (generation === this.#generation) {
        this.loadingMore = false
        this.#answered = true
      }
    }
  }

  #onCallChanged = ({ callChanged: call }: CallChangedData): void => {
    // Until the first page is in, the load brings the call itself.
    const placed = this.phase === 'ready' && placeChangedCall(this.calls, call, this.#filters, this.hasMore)
    if (!placed) return
    this.calls = placed.calls
    if (placed.added && placed.at === 0) this.#announce(this.t('callLog.live'))
  }

  #announce(text: string): void {
    clearTimeout(this.#announceTimer)
    this.announcement = text
    this.#announceTimer = setTimeout(() => (this.announcement = ''), ANNOUNCE_MS)
  }

  #onFilterInput = (event: Event): void => {
    const control = event.target as HTMLInputElement | HTMLSelectElement
    const name = control.name as keyof CallLogFilters
    if (!(name in this.#filters)) return
    if (name === 'search') clearTimeout(this.#searchTimer)
    const apply = () => {
      if (this.#filters[name] === control.value) return
      const asked = JSON.stringify(toCallFilter(this.#filters))
      this.#filters = { ...this.#filters, [name]: control.value }
      // Choosing "Choose dates" shows the date inputs; the list changes once a date is set.
      if (JSON.stringify(toCallFilter(this.#filters)) === asked) this.requestUpdate()
      else void this.#load(false)
    }
    if (name === 'search' && event.type === 'input') this.#searchTimer = setTimeout(apply, SEARCH_DELAY_MS)
    else apply()
  }

  #rowOf(event: Event): HTMLElement | null {
    return (event.target as Element).closest<HTMLElement>('tr[data-id]')
  }

  #select(row: HTMLElement): void {
    this.selectedId = this.focusId = row.dataset.id ?? null
    this.emit('call-select', { callId: this.selectedId })
  }

  #onRowClick = (event: Event): void => {
    const row = this.#rowOf(event)
    if (row) this.#select(row)
  }

  #onRowFocus = (event: Event): void => {
    const row = this.#rowOf(event)
    if (row) this.focusId = row.dataset.id ?? null
  }

  #onRowKey = (event: KeyboardEvent): void => {
    const row = this.#rowOf(event)
    const action = row && rowKeyAction(row, event.key)
    if (!row || !action) return
    event.preventDefault()
    if (action === 'select') this.#select(row)
    else (action as HTMLElement).focus()
  }

  #label(key: string, fallback: string): string {
    return key in CATALOG.en ? this.t(key as MessageKey) : fallback
  }

  #renderCalls(): TemplateResult | typeof nothing {
    const t = this.t.bind(this)
    if (this.phase === 'error') return html`<div part="error" class="state" role="alert">${t('common.error', { message: this.errorMessage ?? '' })} <button @click=${() => this.#load(false)}>${t('common.retry')}</button></div>`
    if (this.phase === 'idle' || (this.phase === 'loading' && !this.calls.length)) return this.phase === 'idle' ? nothing : html`<p class="state" role="status">${t('common.loading')}</p>`
    if (!this.calls.length) return html`<p part="empty-state" class="state">${t(hasFilters(this.#filters) ? 'callLog.emptyFiltered' : 'callLog.empty')}</p>`
    const focusId = this.calls.some((call) => call.id === this.focusId) ? (this.focusId ?? undefined) : this.calls[0]?.id
    const view: RowView = { t, label: (key, fallback) => this.#label(key, fallback), dates: this.dates, focusId, selectedId: this.selectedId }
    return html`
      ${renderCallTable(this.calls, view, { click: this.#onRowClick, keydown: this.#onRowKey, focusin: this.#onRowFocus }, this.phase === 'loading')}
      ${this.errorMessage ? html`<div part="error" class="state" role="alert">${t('common.error', { message: this.errorMessage })} <button @click=${() => this.#load(true)}>${t('common.retry')}</button></div>` : nothing}
      ${this.hasMore && !this.errorMessage ? html`<button part="load-more" class="load-more" ?disabled=${this.loadingMore} @click=${() => this.#load(true)}>${t(this.loadingMore ? 'common.loading' : 'common.loadMore')}</button>` : nothing}
    `
  }

  override render(): TemplateResult {
    return html`<div part="base" class="base">
      <div part="header" class="header"><h2>${this.t('callLog.title')}</h2></div>
      ${this.#answered
        ? html`<form part="filters" class="filters" role="search" @input=${this.#onFilterInput} @change=${this.#onFilterInput} @submit=${(event: Event) => event.preventDefault()}>
            ${renderFilters(this.t.bind(this), this.#filters)}
          </form>`
        : nothing}
      ${this.#renderCalls()}
      <div class="visually-hidden" role="status" aria-live="polite">${this.announcement}</div>
      ${this.renderBrand()}
    </div>`
  }
}
