import type { AgentContext } from './instructions.ts'

export interface TranscriptSegment {
  seq: number
  speaker: 'caller' | 'agent' | 'system'
  text: string
  startedMs: number
  endedMs: number | null
}

// A worker must never hang a call on a slow api.
const REQUEST_TIMEOUT_MS = 5_000

/**
 * The media worker's only way to the database: the api's internal routes, with the shared
 * worker secret as bearer token.
 */
export class WorkerApi {
  readonly #base: string
  readonly #headers: Record<string, string>
  #sequence = 0

  constructor(baseUrl: string, secret: string) {
    this.#base = baseUrl
    this.#headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }
  }

  /** `callId` becomes the prefix of the request id the api logs, so one search finds a call's lines in both processes. */
  async #request(method: string, path: string, body?: unknown, callId?: string | null): Promise<Response> {
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers: callId ? { ...this.#headers, 'x-request-id': `${callId}.${(++this.#sequence).toString(36)}` } : this.#headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    if (!response.ok) throw new Error(`api ${method} ${path} answered ${response.status}`)
    return response
  }

  async agentContext(callId: string): Promise<AgentContext> {
    return (await (await this.#request('GET', `/internal/voice/calls/${callId}/agent`, undefined, callId)).json()) as AgentContext
  }

  async saveTranscript(callId: string, segments: TranscriptSegment[]): Promise<void> {
    await this.#request('POST', `/internal/voice/calls/${callId}/transcript`, { segments }, callId)
  }

  async saveQuality(callId: string, quality: Record<string, number | string | null>): Promise<void> {
    await this.#request('POST', `/internal/voice/calls/${callId}/quality`, { quality }, callId)
  }

  async recordingStarted(callId: string, storageKey: string, uploadId: string): Promise<void> {
    await this.#request('POST', `/internal/voice/calls/${callId}/recording`, { storageKey, uploadId }, callId)
  }

  async recordingFinished(callId: string, result: { status: 'complete'; bytes: number; durationMs: number } | { status: 'failed' } | { status: 'withdrawn' }): Promise<void> {
    await this.#request('POST', `/internal/voice/calls/${callId}/recording/finish`, result, callId)
  }

  /** Asks the api to start a browser test call for the credential the browser presented. */
  async createTestCall(authorization: string, businessId: string): Promise<{ callId: string; callSid: string; callToken: string }> {
    return (await (await this.#request('POST', '/internal/voice/test-calls', { authorization, businessId })).json()) as { callId: string; callSid: string; callToken: string }
  }

  async endTestCall(callId: string, durationSeconds: number): Promise<void> {
    await this.#request('POST', `/internal/voice/calls/${callId}/end`, { durationSeconds }, callId)
  }

  /** The model is gone: the api forwards the caller to a person, or takes a message. */
  async fallback(callSid: string, callId?: string | null): Promise<void> {
    await this.#request('POST', `/internal/voice/calls/${callSid}/fallback`, {}, callId)
  }

  async transfer(callSid: string, reason: string, callId?: string | null): Promise<void> {
    await this.#request('POST', `/internal/voice/calls/${callSid}/transfer`, { reason }, callId)
  }
}

// Segments are sent at least this often, so a crash loses at most the last couple of seconds.
export const TRANSCRIPT_FLUSH_MS = 1_000
// While the api is unreachable, this many segments wait; past it the oldest are dropped (and logged).
export const TRANSCRIPT_BUFFER_LIMIT = 2_000

/**
 * Collects a call's transcript segments and sends them in batches. A failed batch stays queued
 * and is retried with the next flush; segments carry their seq, so a batch that did arrive but
 * whose answer was lost is harmless to send again.
 */
export class TranscriptBuffer {
  readonly #pending: TranscriptSegment[] = []
  #seq = 0
  #flushing: Promise<void> | null = null
  #timer: NodeJS.Timeout
  readonly #save: (segments: TranscriptSegment[]) => Promise<void>
  readonly #onError: (error: unknown) => void
  dropped = 0

  constructor(save: (segments: TranscriptSegment[]) => Promise<void>, onError: (error: unknown) => void) {
    this.#save = save
    this.#onError = onError
    this.#timer = setInterval(() => void this.flush(), TRANSCRIPT_FLUSH_MS)
    this.#timer.unref()
  }

  add(speaker: TranscriptSegment['speaker'], text: string, startedMs: number, endedMs: number | null): void {
    if (!text.trim()) return
    this.#pending.push({ seq: this.#seq++, speaker, text, startedMs: Math.max(0, Math.round(startedMs)), endedMs: endedMs === null ? null : Math.max(Math.round(startedMs), Math.round(endedMs)) })
    if (this.#pending.length > TRANSCRIPT_BUFFER_LIMIT) {
      this.#pending.shift()
      this.dropped++
    }
  }

  get size(): number {
    return this.#pending.length
  }

  flush(): Promise<void> {
    if (this.#flushing || this.#pending.length === 0) return this.#flushing ?? Promise.resolve()
    const batch = this.#pending.slice(0, 200)
    this.#flushing = this.#save(batch)
      .then(() => {
        this.#pending.splice(0, batch.length)
      })
      .catch(this.#onError)
      .finally(() => {
        this.#flushing = null
      })
    return this.#flushing
  }

  /** Final flush when the call ends: keeps trying a few times, then gives up on what is left. */
  async close(attempts = 3): Promise<void> {
    clearInterval(this.#timer)
    for (let i = 0; i < attempts && this.#pending.length > 0; i++) {
      await this.flush()
      if (this.#pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 200 * (i + 1)))
    }
  }
}
