import { html, type PropertyValues } from 'lit'
import { AnswerlineElement } from '../core/answerline-element.ts'
import { LeadCardController } from './lead-card.controller.ts'
import { renderLeadCard } from './lead-card.template.ts'
import { renderFilters } from './lead-inbox.filters.ts'
import { renderList } from './lead-inbox.list.ts'
import { leadInboxStyles } from './lead-inbox.styles.ts'
import { LEAD_CHANGED, LEADS_QUERY, matchesFilter, type LeadChangedData, type LeadFilter, type LeadSummary, type LeadsData } from './lead-inbox.queries.ts'

// Long enough that typing a name sends one search, short enough to feel live.
const SEARCH_DEBOUNCE_MS = 300
// Long enough for a screen reader to read it; cleared so the same text is announced again next time.
const ANNOUNCE_MS = 5000

/**
 * A business's leads: filters, a list with "Load more", and the selected lead's card, where a
 * person changes the status, corrects what was extracted, adds notes and sees the CRM sync per
 * connector. Live: leads captured or changed elsewhere appear without a reload.
 *
 * The CRM sync shows the record id with the connector's name but no link: a HubSpot record URL
 * (https://app.hubspot.com/contacts/<portal>/record/0-1/<id>) needs the HubSpot portal id, which a
 * delivery does not carry.
 *
 * @attr page-size - Leads per page (1 to 100, default 25).
 * @fires al-lead-open-call - "View call" was pressed: `{ callId }` (global id of the lead's call).
 * @cssproperty --lead-inbox-list-width - Width of the list column (default 20rem).
 * @cssproperty --lead-inbox-hot - Colour of the hot badge (default the danger token).
 * @csspart base - The wrapper.
 * @csspart filters - The filter bar.
 * @csspart list - The list of leads.
 * @csspart item - One lead's button in the list.
 * @csspart card - The selected lead.
 * @csspart field - One field of the card (label and value, or label and input).
 * @csspart notes - The notes section, with the add-note form.
 * @csspart note - One note.
 * @csspart sync - The CRM sync section.
 * @csspart empty-state - Shown when there are no leads, or none is selected.
 * @csspart error - A failed load or save, with its retry.
 */
export class LeadInbox extends AnswerlineElement {
  static override styles = [...AnswerlineElement.styles, leadInboxStyles]
  static override properties = {
    ...AnswerlineElement.properties,
    pageSize: { type: Number, attribute: 'page-size' },
    leads: { state: true },
    loading: { state: true },
    error: { state: true },
    cursor: { state: true },
    filter: { state: true },
    selectedId: { state: true },
    announcement: { state: true },
  }

  /** Leads per page (`page-size`). */
  declare pageSize: number
  declare private leads: LeadSummary[]
  declare private loading: boolean
  declare private error: string
  /** The end cursor when there is a next page. */
  declare private cursor: string | null
  declare private filter: LeadFilter
  declare private selectedId: string | null
  declare private announcement: string
  private readonly card = new LeadCardController(this, (query, variables) => this.client.request(query, variables), (lead) => this.#replace(lead))
  #requestId = 0
  #searchTimer: ReturnType<typeof setTimeout> | undefined
  #announceTimer: ReturnType<typeof setTimeout> | undefined
  #unsubscribe: (() => void) | null = null

  constructor() {
    super()
    this.pageSize = 25
    this.leads = []
    this.loading = false
    this.error = ''
    this.cursor = null
    this.filter = {}
    this.selectedId = null
    this.announcement = ''
  }

  // Loads start here, not in updated(), so their first state changes join this render.
  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed)
    const source = changed.has('businessId') || changed.has('token') || changed.has('apiBase') || changed.has('tokenProvider')
    // filter is private state, so not a key of PropertyValues<this>.
    if (source || (changed as PropertyValues).has('filter') || changed.has('pageSize')) void this.#load(false)
    if (source) this.#subscribe()
    // A fresh token (hosts renew them) keeps the open card; another business closes it.
    if (changed.has('businessId')) {
      this.selectedId = null
      void this.card.load(null)
    }
  }

  override connectedCallback(): void {
    super.connectedCallback()
    if (this.hasUpdated) this.#subscribe()
  }

  override disconnectedCallback(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    clearTimeout(this.#searchTimer)
    clearTimeout(this.#announceTimer)
    super.disconnectedCallback()
  }

  async #load(more: boolean): Promise<void> {
    if (!this.businessId) return
    const id = ++this.#requestId
    this.loading = true
    this.error = ''
    try {
      const first = Math.min(Math.max(Math.trunc(this.pageSize) || 25, 1), 100)
      const data = await this.client.request<LeadsData>(LEADS_QUERY, { id: this.businessId, filter: this.filter, first, after: more ? this.cursor : null })
      if (id !== this.#requestId) return
      const page = data.node?.leads
      this.leads = more ? [...this.leads, ...(page?.nodes ?? [])] : (page?.nodes ?? [])
      this.cursor = page?.pageInfo.hasNextPage ? page.pageInfo.endCursor : null
    } catch (error) {
      if (id === this.#requestId) this.error = error instanceof Error ? error.message : String(error)
    }
    if (id === this.#requestId) this.loading = false
  }

  #subscribe(): void {
    this.#unsubscribe?.()
    this.#unsubscribe = null
    if (!this.businessId) return
    this.#unsubscribe = this.client.subscribe<LeadChangedData>(LEAD_CHANGED, { businessId: this.businessId }, ({ leadChanged }) => this.#onChange(leadChanged), () => {
      this.#announce(this.t('leads.liveOff'))
    })
  }

  #onChange({ kind, lead }: LeadChangedData['leadChanged']): void {
    const known = this.leads.some((l) => l.id === lead.id)
    if (known) this.#replace(lead)
    else if (kind === 'CAPTURED' && matchesFilter(lead, this.filter)) {
      this.leads = [lead, ...this.leads]
      this.#announce(this.t('leads.live', { name: lead.name || lead.phone || this.t('leads.unnamed') }))
    }
    // The card refetches the lead it shows: notes and corrections may have changed.
    if (lead.id === this.selectedId && !this.card.editing && this.card.statusPhase !== 'saving') void this.card.load(lead.id)
  }

  #announce(text: string): void {
    this.announcement = text
    clearTimeout(this.#announceTimer)
    this.#announceTimer = setTimeout(() => (this.announcement = ''), ANNOUNCE_MS)
  }

  #replace(lead: LeadSummary): void {
    this.leads = this.leads.map((l) => (l.id === lead.id ? { ...l, ...pickSummary(lead) } : l))
  }

  #setFilter(change: Partial<LeadFilter>): void {
    const next: LeadFilter = { ...this.filter, ...change }
    for (const key of Object.keys(next) as Array<keyof LeadFilter>) if (next[key] === undefined) delete next[key]
    this.filter = next
  }

  #onSearch(value: string): void {
    clearTimeout(this.#searchTimer)
    this.#searchTimer = setTimeout(() => this.#setFilter({ search: value.trim() || undefined }), SEARCH_DEBOUNCE_MS)
  }

  #select(id: string): void {
    this.selectedId = id
    void this.card.load(id)
  }

  #formatDate = (iso: string) => this.dates.dateTime(iso)

  override render() {
    const t = this.t.bind(this)
    const card = { card: this.card, t, formatDate: this.#formatDate, openCall: (callId: string) => this.emit('lead-open-call', { callId }), update: () => this.requestUpdate() }
    const list = {
      t, leads: this.leads, loading: this.loading, error: this.error, filtered: Object.keys(this.filter).length > 0, hasMore: this.cursor !== null, selectedId: this.selectedId,
      select: (id: string) => this.#select(id), retry: () => void this.#load(false), loadMore: () => void this.#load(true),
    }
    return html`<div part="base" class="base">
      <h2 class="title">${t('leads.title')}</h2>
      ${renderFilters({ t, setFilter: (change) => this.#setFilter(change), search: (value) => this.#onSearch(value) })}
      <div class="panes">
        <div class="list-pane">${renderList(list)}</div>
        <div class="card-pane">${renderLeadCard(card)}</div>
      </div>
      <p class="visually-hidden" aria-live="polite">${this.announcement}</p>
      ${this.renderBrand()}
    </div>`
  }
}

const pickSummary = ({ id, name, email, phone, reason, requestedService, temperature, status, needsReview, createdAt }: LeadSummary): LeadSummary =>
  ({ id, name, email, phone, reason, requestedService, temperature, status, needsReview, createdAt })
