import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit'
import type { MessageKey } from '../core/messages.ts'
import { TestCallSession, type TestCallState, type TranscriptLine } from './test-call-session.ts'
import { addTranscriptLine } from './test-call-transcript.ts'

// The worklet is built to widgets/dist/; this code runs from dist/ or from a shared dist/chunks/ file.
const WORKLET_URL = new URL(/\/chunks\/[^/]*$/.test(import.meta.url) ? '../mulaw-worklet.js' : './mulaw-worklet.js', import.meta.url)
const STATE_TEXT: Record<TestCallState, MessageKey> = { connecting: 'settings.callConnecting', live: 'settings.callLive', ended: 'settings.callEnded', refused: 'settings.callRefused', failed: 'settings.callFailed', 'mic-denied': 'settings.callNoMic' }
const SPEAKER_TEXT: Record<TranscriptLine['speaker'], MessageKey> = { caller: 'settings.transcriptCaller', agent: 'settings.transcriptAgent' }

/** What a test call needs from the element when it starts. */
export interface TestCallTarget {
  /** The media worker's origin (http(s) or ws(s)). */
  origin: string
  /** The credential, fresh from the host's token provider when there is one. */
  token: () => Promise<string | null>
  /** The business's global id. */
  businessId: string
}

/** The business's own id inside its global id (base64url of "Business:<uuid>"): the worker wants it. */
function localIdOf(globalId: string): string {
  try {
    const decoded = atob(globalId.replace(/-/g, '+').replace(/_/g, '/'))
    return decoded.slice(decoded.indexOf(':') + 1)
  } catch {
    return ''
  }
}

/**
 * The "Talk to your agent" part of the settings: starts and ends a test call, shows where it is,
 * and shows what is said (the latest lines of the current or last call).
 */
export class TestCallController implements ReactiveController {
  state: TestCallState | null = null
  lines: TranscriptLine[] = []
  readonly #host: ReactiveControllerHost
  readonly #target: () => TestCallTarget
  readonly #onState: (state: TestCallState) => void
  #session: TestCallSession | null = null

  constructor(host: ReactiveControllerHost, target: () => TestCallTarget, onState: (state: TestCallState) => void) {
    this.#host = host
    this.#target = target
    this.#onState = onState
    host.addController(this)
  }

  hostDisconnected(): void {
    this.#session?.end()
  }

  get calling(): boolean {
    return this.state === 'connecting' || this.state === 'live'
  }

  /** Call from the click handler itself: the audio context needs the user's gesture. */
  toggle(): void {
    if (this.#session) return this.#session.end()
    const target = this.#target()
    this.lines = []
    const session = new TestCallSession({
      url: `${target.origin.replace(/\/+$/, '').replace(/^http/, 'ws')}/voice/test-call`,
      authorization: async () => `Bearer ${(await target.token()) ?? ''}`,
      businessId: localIdOf(target.businessId),
      workletUrl: WORKLET_URL,
      onState: (state) => {
        this.state = state
        if (!this.calling && this.#session === session) this.#session = null
        this.#host.requestUpdate()
        this.#onState(state)
      },
      onTranscript: (line) => {
        if (this.#session !== session) return
        this.lines = addTranscriptLine(this.lines, line)
        this.#host.requestUpdate()
      },
    })
    this.#session = session
    void session.start()
  }

  /**
   * The live region is there from the call's start, before its first line, so that screen readers
   * announce the lines; it is busy while the agent's reply is still growing, so that the reply is
   * announced once, whole. The text is the model's: Lit sets it as text, never as markup.
   */
  #renderTranscript(t: (key: MessageKey) => string): TemplateResult | typeof nothing {
    if (!this.state) return nothing
    const growing = this.calling && this.lines.some((line) => !line.final)
    return html`<div class="transcript" aria-live="polite" aria-busy=${growing ? 'true' : 'false'}>
      ${this.lines.length
        ? html`<ol part="test-call-transcript" aria-label=${t('settings.transcriptTitle')}>
            ${this.lines.map((line) => html`<li class=${line.final ? 'line' : 'line open'}><span class="speaker">${t(SPEAKER_TEXT[line.speaker])}:</span> ${line.text}</li>`)}
          </ol>`
        : nothing}
    </div>`
  }

  render(t: (key: MessageKey) => string, saved: boolean): TemplateResult {
    return html`<section part="section" class="section" aria-labelledby="test-call-title">
      <h3 id="test-call-title">${t('settings.testCallTitle')}</h3>
      <p class="hint">${t(saved ? 'settings.testCallHint' : 'settings.testCallNeedsSave')}</p>
      <button part="test-call" type="button" class=${this.calling ? '' : 'primary'} ?disabled=${!saved && !this.calling} @click=${() => this.toggle()}>${t(this.calling ? 'settings.endTestCall' : 'settings.testCall')}</button>
      <p class="call-status" role="status" aria-live="polite">${this.state ? t(STATE_TEXT[this.state]) : ''}</p>
      ${this.#renderTranscript(t)}
    </section>`
  }
}
