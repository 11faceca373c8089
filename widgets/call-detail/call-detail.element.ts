import { html, nothing, type PropertyValues, type TemplateResult } from 'lit'
import { AnswerlineElement } from '../core/answerline-element.ts'
import { CATALOG, type MessageKey } from '../core/messages.ts'
import { renderConsent, renderLead, renderTranscript, type Format } from './call-detail.sections.ts'
import { CALL_DETAIL_QUERY, RECORDING_QUERY, TRANSCRIPT_PAGE, TRANSCRIPT_QUERY, type CallDetail, type CallDetailData, type RecordingData, type TranscriptData } from './call-detail.queries.ts'
import { callDetailStyles } from './call-detail.styles.ts'
import { formatDuration, humanise } from '../core/format.ts'

type Phase = 'idle' | 'loading' | 'ready' | 'not-found' | 'error'

/** Stops a runaway transcript (100 segments a page) from loading forever. */
const MAX_TRANSCRIPT_PAGES = 50


/**
 * One call: who called and when, the summary, the transcript, the recording consent, the
 * recording (when there is one and the viewer may hear it) and the lead captured from it.
 *
 * @attr call-id - Global id of the call to show; the element reloads when it changes.
 * @csspart base - The wrapper.
 * @csspart header - Caller, time, duration, status, outcome and summary.
 * @csspart transcript - The transcript section.
 * @csspart segment - One turn of speech.
 * @csspart consent - The recording-consent record.
 * @csspart recording - The audio player, or the "No recording" note.
 * @csspart lead - The lead card.
 * @csspart empty-state - Shown before a call is chosen, or when it was not found.
 * @csspart error - Shown when loading failed, with a retry button.
 */
export class CallDetailElement extends AnswerlineElement {
  static override styles = [...AnswerlineElement.styles, callDetailStyles]
  static override properties = {
    ...AnswerlineElement.properties,
    callId: { type: String, attribute: 'call-id' },
    call: { state: true },
    phase: { state: true },
    errorMessage: { state: true },
    transcriptIncomplete: { state: true },
  }

  /** Global id of the call shown (`call-id`). */
  declare callId: string
  declare private call: CallDetail | null
  declare private phase: Phase
  declare private errorMessage: string
  declare private transcriptIncomplete: boolean
  // Bumped by every load, so the answer for a call no longer chosen is dropped.
  #generation = 0
  #refreshedUrl: string | null = null

  constructor() {
    super()
    this.callId = ''
    this.call = null
    this.phase = 'idle'
    this.errorMessage = ''
    this.transcriptIncomplete = false
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed)
    if (changed.has('callId') || changed.has('token') || changed.has('apiBase') || changed.has('tokenProvider')) void this.#load()
  }

  async #load(): Promise<void> {
    const generation = ++this.#generation
    this.call = null
    this.transcriptIncomplete = false
    this.phase = this.callId ? 'loading' : 'idle'
    if (!this.callId) return
    try {
      const { node } = await this.client.request<CallDetailData>(CALL_DETAIL_QUERY, { id: this.callId, first: TRANSCRIPT_PAGE })
      if (generation !== this.#generation) return
      if (node?.__typename !== 'Call') {
        this.phase = 'not-found'
        return
      }
      this.call = node as CallDetail
      this.phase = 'ready'
      await this.#loadRestOfTranscript(generation)
    } catch (error) {
      if (generation !== this.#generation) return
      this.errorMessage = error instanceof Error ? error.message : String(error)
      this.phase = 'error'
    }
  }

  // The api pages transcripts like every list; a detail view wants all of it, so it follows the pages.
  async #loadRestOfTranscript(generation: number): Promise<void> {
    for (let page = 1; this.call?.transcript.pageInfo.hasNextPage && page < MAX_TRANSCRIPT_PAGES; page++) {
      const after = this.call.transcript.pageInfo.endCursor
      const data = await this.client.request<TranscriptData>(TRANSCRIPT_QUERY, { id: this.callId, first: TRANSCRIPT_PAGE, after }).catch(() => null)
      if (generation !== this.#generation) return
      const next = data?.node?.transcript
      if (!next) break
      this.call = { ...this.call, transcript: { nodes: [...this.call.transcript.nodes, ...next.nodes], pageInfo: next.pageInfo } }
    }
    this.transcriptIncomplete = Boolean(this.call?.transcript.pageInfo.hasNextPage)
  }

  #label(key: string, fallback: string): string {
    return key in CATALOG.en ? this.t(key as MessageKey) : fallback
  }

  #formatTime = (iso: string | null): string | typeof nothing => {
    if (!iso) return nothing
    return this.dates.dateTime(iso)
  }

  // Recording links last a few minutes (the api says to ask again rather than keep one), so a
  // player that fails asks once for a fresh link; a second failure of that link is left as is.
  #onAudioError = async (): Promise<void> => {
    const url = this.call?.recordingUrl
    if (!url || url === this.#refreshedUrl) return
    const generation = this.#generation
    const data = await this.client.request<RecordingData>(RECORDING_QUERY, { id: this.callId }).catch(() => null)
    if (generation !== this.#generation || !this.call) return
    this.#refreshedUrl = data?.node?.recordingUrl ?? null
    this.call = { ...this.call, recordingUrl: this.#refreshedUrl }
  }

  #renderHeader(call: CallDetail): TemplateResult {
    const t = this.t.bind(this)
    return html`<header part="header" class="header">
      <h2>${t('callDetail.title', { caller: call.fromNumber })}</h2>
      <dl class="facts">
        <div><dt>${t('callDetail.started')}</dt><dd><time datetime=${call.startedAt}>${this.#formatTime(call.startedAt)}</time></dd></div>
        <div><dt>${t('callDetail.duration')}</dt><dd>${formatDuration(call.durationSeconds)}</dd></div>
        <div>
          <dt>${t('callDetail.status')}</dt>
          <dd>${this.#label(`callLog.status.${call.status}`, call.status)}${call.escalated ? html` <span class="badge">${t('callLog.escalated')}</span>` : nothing}</dd>
        </div>
        <div><dt>${t('callDetail.outcome')}</dt><dd>${call.outcome ? this.#label(`callLog.outcome.${call.outcome}`, humanise(call.outcome)) : '—'}</dd></div>
      </dl>
      ${call.summary ? html`<p class="summary"><span class="visually-hidden">${t('callDetail.summary')}: </span>${call.summary}</p>` : nothing}
    </header>`
  }

  #renderRecording(call: CallDetail): TemplateResult {
    return html`<section part="recording" class="card" aria-labelledby="recording-title">
      <h3 id="recording-title">${this.t('callDetail.recording')}</h3>
      ${call.recordingUrl ? html`<audio controls preload="none" src=${call.recordingUrl} @error=${this.#onAudioError}></audio>` : html`<p class="note">${this.t('callDetail.noRecording')}</p>`}
    </section>`
  }

  override render(): TemplateResult {
    const t = this.t.bind(this)
    const { call } = this
    let body: TemplateResult
    if (this.phase === 'loading') body = html`<p class="state" role="status">${t('common.loading')}</p>`
    else if (this.phase === 'error') body = html`<div part="error" class="state error" role="alert">${t('common.error', { message: this.errorMessage })} <button @click=${() => this.#load()}>${t('common.retry')}</button></div>`
    else if (this.phase === 'not-found') body = html`<p part="empty-state" class="state">${t('callDetail.notFound')}</p>`
    else if (!call) body = html`<p part="empty-state" class="state">${t('callDetail.choose')}</p>`
    else {
      const format: Format = { t, label: (key, fallback) => this.#label(key, fallback), time: this.#formatTime }
      body = html`${this.#renderHeader(call)}
        <div class="columns">
          ${renderTranscript(format, call.transcript.nodes, this.transcriptIncomplete)}
          <div class="side">${this.#renderRecording(call)} ${renderConsent(format, call.consent)} ${renderLead(format, call.lead)}</div>
        </div>`
    }
    return html`<div part="base" class="base" aria-busy=${this.phase === 'loading' ? 'true' : 'false'}>${body}${this.renderBrand()}</div>`
  }
}
