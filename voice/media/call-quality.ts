/**
 * Voice quality of one call, as the caller experienced it: how long the greeting took, how long
 * the agent took to answer after the caller stopped speaking, how often the caller talked over
 * the agent, and how often the model failed. Stored with the call when it ends.
 */
export class CallQuality {
  #firstAudioMs: number | null = null
  #callerStoppedAt: number | null = null
  readonly #responseLatencies: number[] = []
  bargeIns = 0
  modelErrors = 0

  callerStoppedSpeaking(now = performance.now()): void {
    this.#callerStoppedAt = now
  }

  /** Agent audio left for the caller, `sinceStartMs` after the stream started. */
  agentAudio(sinceStartMs: number, now = performance.now()): void {
    if (this.#firstAudioMs === null) this.#firstAudioMs = sinceStartMs
    if (this.#callerStoppedAt !== null) {
      this.#responseLatencies.push(now - this.#callerStoppedAt)
      this.#callerStoppedAt = null
    }
  }

  report(endReason: string, transcriptSegmentsDropped: number): Record<string, number | string | null> {
    const sorted = [...this.#responseLatencies].sort((a, b) => a - b)
    const pick = (p: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number) : null)
    return {
      firstGreetingAudioMs: this.#firstAudioMs === null ? null : Math.round(this.#firstAudioMs),
      responseLatencyP50Ms: pick(0.5),
      responseLatencyP90Ms: pick(0.9),
      bargeIns: this.bargeIns,
      modelErrors: this.modelErrors,
      endReason,
      transcriptSegmentsDropped,
    }
  }
}
