import { html, nothing, type PropertyValues } from 'lit'
import { AnswerlineElement } from '../core/answerline-element.ts'
import type { MessageKey } from '../core/messages.ts'
import { USAGE_QUERY, type Usage, type UsageData } from './usage-meter.queries.ts'
import { usageMeterStyles } from './usage-meter.styles.ts'

// Subscription states worth telling the owner about; active (and none, on free plans) say nothing.
const NOTED_STATUSES = ['trialing', 'past_due', 'unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused']

type Phase = 'loading' | 'ready' | 'error'

/**
 * Minutes used this period against the plan's allowance, the top-up balance, the plan and when it
 * renews, and a "Buy minutes" button. The button only tells the host: checkout links arrive with
 * the billing work, so until then the host opens its own billing page on `al-topup-request`.
 * There is no usage subscription: call `refresh()` after a call ends to show the new balance.
 *
 * @fires al-topup-request - "Buy minutes" was pressed: `{ businessId }`.
 * @cssproperty --usage-meter-height - Height of the bar (default 1.5 × --al-space).
 * @cssproperty --usage-meter-fill - Colour of the used part (default the brand token).
 * @cssproperty --usage-meter-fill-high - Colour once nearly all minutes are used (default the danger token).
 * @csspart base - The wrapper.
 * @csspart meter - The `<meter>` of minutes used.
 * @csspart label - Its text equivalent ("350 of 500 minutes used").
 * @csspart topup - The top-up balance.
 * @csspart plan - The plan, its renewal and subscription state.
 * @csspart buy - The "Buy minutes" button.
 * @csspart empty-state - Shown when no billing account pays for the business.
 * @csspart error - Shown when loading failed, with a retry button.
 */
export class UsageMeter extends AnswerlineElement {
  static override styles = [...AnswerlineElement.styles, usageMeterStyles]
  static override properties = {
    ...AnswerlineElement.properties,
    usage: { state: true },
    planName: { state: true },
    phase: { state: true },
    errorMessage: { state: true },
  }

  declare private usage: Usage | null
  declare private planName: string
  declare private phase: Phase
  declare private errorMessage: string
  #requestId = 0

  constructor() {
    super()
    this.usage = null
    this.planName = ''
    this.phase = 'loading'
    this.errorMessage = ''
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed)
    if (changed.has('businessId') || changed.has('token') || changed.has('apiBase') || changed.has('tokenProvider')) void this.refresh()
  }

  /** Loads the balance again. */
  async refresh(): Promise<void> {
    if (!this.businessId) return
    const id = ++this.#requestId
    this.phase = this.usage ? this.phase : 'loading'
    try {
      const data = await this.client.request<UsageData>(USAGE_QUERY, { id: this.businessId })
      if (id !== this.#requestId) return
      this.usage = data.node?.usage ?? null
      this.planName = data.plans.nodes.find((plan) => plan.key === this.usage?.plan)?.name ?? this.usage?.plan ?? ''
      this.phase = 'ready'
    } catch (error) {
      if (id !== this.#requestId) return
      this.errorMessage = error instanceof Error ? error.message : String(error)
      this.phase = 'error'
    }
  }

  #formatDate(iso: string): string {
    return this.dates.date(iso)
  }

  #renderUsage(usage: Usage) {
    const t = this.t.bind(this)
    const number = new Intl.NumberFormat(this.locale)
    const included = usage.includedMinutesPerPeriod
    // A meter needs max > min; past the allowance the bar stays full and the text tells the rest.
    const max = Math.max(included, 1)
    const left = usage.includedMinutesLeft + usage.topupMinutesLeft
    const status = NOTED_STATUSES.includes(usage.subscriptionStatus) ? t(`usage.status.${usage.subscriptionStatus}` as MessageKey) : ''
    return html`
      <p part="plan" class="plan">
        ${t('usage.plan', { plan: this.planName })}
        ${status ? html`<span class="status">${status}</span>` : nothing}
        <span class="muted">${usage.periodEnd ? t('usage.periodEnd', { date: this.#formatDate(usage.periodEnd) }) : t('usage.rolling')}</span>
      </p>
      <label part="label" for="meter">${t('usage.used', { used: number.format(usage.minutesUsedThisPeriod), included: number.format(included) })}</label>
      <meter part="meter" id="meter" min="0" max=${max} value=${Math.min(usage.minutesUsedThisPeriod, max)} low=${max * 0.75} high=${max * 0.9} optimum="0">
        ${number.format(usage.minutesUsedThisPeriod)} / ${number.format(included)}
      </meter>
      <p class="muted">${t('usage.left', { minutes: number.format(usage.includedMinutesLeft) })}</p>
      <p part="topup">${t('usage.topup', { minutes: number.format(usage.topupMinutesLeft) })}</p>
      ${left <= 0 ? html`<p class="out" role="alert">${t('usage.out')}</p>` : nothing}
      <button part="buy" class="primary" type="button" @click=${() => this.emit('topup-request', { businessId: this.businessId })}>${t('usage.buy')}</button>`
  }

  #renderBody() {
    const t = this.t.bind(this)
    if (this.phase === 'error') {
      return html`<div part="error" role="alert">${t('common.error', { message: this.errorMessage })}
        <button type="button" @click=${() => void this.refresh()}>${t('common.retry')}</button></div>`
    }
    if (this.phase === 'loading') return html`<p class="muted">${t('common.loading')}</p>`
    return this.usage ? this.#renderUsage(this.usage) : html`<p part="empty-state" class="muted">${t('usage.none')}</p>`
  }

  override render() {
    return html`<section part="base" class="base" aria-labelledby="title" aria-busy=${this.phase === 'loading' ? 'true' : 'false'}>
      <h2 id="title" class="title">${this.t('usage.title')}</h2>
      ${this.#renderBody()}
      ${this.renderBrand()}
    </section>`
  }
}
