import { html, nothing, type TemplateResult } from 'lit'
import { repeat } from 'lit/directives/repeat.js'
import type { MessageKey } from '../core/messages.ts'
import type { CallLead, ConsentRecord, TranscriptSegment } from './call-detail.queries.ts'

/** The element's strings and formats, handed to the section renderers. */
export interface Format {
  t: (key: MessageKey, params?: Record<string, string | number>) => string
  /** A catalog entry for an enum value, or the raw value when the catalog has none (a newer api). */
  label: (key: string, fallback: string) => string
  time: (iso: string | null) => string | typeof nothing
}

const SPEAKERS = { CALLER: 'callDetail.caller', AGENT: 'callDetail.agent', SYSTEM: 'callDetail.note' } as const

/** Milliseconds from the start of the call as m:ss (minutes keep counting past 59). */
const formatOffset = (ms: number) => {
  const seconds = Math.floor(ms / 1000)
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}

const fact = (label: string, value: unknown) => html`<div><dt>${label}</dt><dd>${value ?? '—'}</dd></div>`

export function renderTranscript(format: Format, segments: TranscriptSegment[], incomplete: boolean): TemplateResult {
  const { t } = format
  return html`<section part="transcript" class="card transcript" aria-labelledby="transcript-title">
    <h3 id="transcript-title">${t('callDetail.transcript')}</h3>
    ${segments.length
      ? // The list scrolls on its own, so it takes focus for keyboard scrolling.
        html`<ol class="segments" tabindex="0" aria-labelledby="transcript-title">
          ${repeat(
            segments,
            (segment) => segment.seq,
            (segment) => html`<li part="segment" class="segment ${segment.speaker.toLowerCase()}">
              <span class="speaker">${format.label(SPEAKERS[segment.speaker] ?? '', segment.speaker)}</span>
              <time class="offset">${formatOffset(segment.startedMs)}</time>
              <span class="text">${segment.text}</span>
            </li>`,
          )}
        </ol>`
      : html`<p class="note">${t('callDetail.noTranscript')}</p>`}
    ${incomplete ? html`<p class="note" role="status">${t('callDetail.transcriptIncomplete')}</p>` : nothing}
  </section>`
}

export function renderConsent(format: Format, consent: ConsentRecord | null): TemplateResult {
  const { t, label, time } = format
  return html`<section part="consent" class="card" aria-labelledby="consent-title">
    <h3 id="consent-title">${t('callDetail.consent')}</h3>
    ${consent
      ? html`<dl class="facts">
          ${fact(t('callDetail.decision'), label(`callLog.consent.${consent.decision}`, consent.decision))}
          ${fact(t('callDetail.method'), consent.method && label(`callDetail.method.${consent.method}`, consent.method))}
          ${fact(t('callDetail.attempts'), consent.attempts)}
          ${fact(t('callDetail.decidedAt'), consent.decidedAt && html`<time datetime=${consent.decidedAt}>${time(consent.decidedAt)}</time>`)}
          ${consent.withdrawnAt ? fact(t('callDetail.withdrawnAt'), html`<time datetime=${consent.withdrawnAt}>${time(consent.withdrawnAt)}</time>`) : nothing}
        </dl>`
      : html`<p class="note">${t('callDetail.noConsent')}</p>`}
  </section>`
}

export function renderLead(format: Format, lead: CallLead | null): TemplateResult {
  const { t, label } = format
  return html`<section part="lead" class="card" aria-labelledby="lead-title">
    <h3 id="lead-title">
      ${t('callDetail.lead')} ${lead?.needsReview ? html`<span class="badge review">${t('callDetail.needsReview')}</span>` : nothing}
    </h3>
    ${lead
      ? html`<dl class="facts">
          ${fact(t('callDetail.leadName'), lead.name)} ${fact(t('callDetail.leadPhone'), lead.phone)} ${fact(t('callDetail.leadEmail'), lead.email)}
          ${fact(t('callDetail.leadReason'), lead.reason)} ${fact(t('callDetail.leadStatus'), label(`callDetail.leadStatus.${lead.status}`, lead.status))}
          ${fact(
            t('callDetail.leadTemperature'),
            lead.temperature && html`<span class="badge ${lead.temperature.toLowerCase()}">${label(`callLog.temperature.${lead.temperature}`, lead.temperature)}</span>`,
          )}
        </dl>`
      : html`<p class="note">${t('callDetail.noLead')}</p>`}
  </section>`
}
