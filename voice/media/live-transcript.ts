import WebSocket from 'ws'

/**
 * The conversation as it happens, sent to the browser during a test call (a Twilio call never
 * gets it: Twilio does not know the message). Each line is
 * `{"event":"transcript","streamSid":…,"transcript":{"speaker","text","final"}}`. The caller's
 * lines come whole, once transcribed. The agent's line grows with each transcript delta and is
 * sent whole every time (`final: false`), so the browser only ever replaces its open line; a
 * spoken reply is a few hundred characters, so resending it costs little. The `done` text is final
 * and replaces it. The text is the model's output: JSON.stringify escapes it, and the browser
 * renders it as text.
 */
export class LiveTranscript {
  readonly #socket: WebSocket
  readonly #streamSid: string
  // The agent's line being spoken: the item its deltas belong to, and its text so far.
  #open: { itemId: string; text: string } | null = null

  constructor(socket: WebSocket, streamSid: string) {
    this.#socket = socket
    this.#streamSid = streamSid
  }

  caller(text: string): void {
    this.#send('caller', text, true)
  }

  agentDelta(itemId: string, delta: string): void {
    if (!delta) return
    if (this.#open?.itemId !== itemId) {
      this.#closeOpen()
      this.#open = { itemId, text: '' }
    }
    const open = this.#open as { itemId: string; text: string }
    open.text += delta
    this.#send('agent', open.text, false)
  }

  agentDone(itemId: string, text: string): void {
    if (this.#open?.itemId !== itemId) {
      this.#closeOpen()
      this.#send('agent', text, true)
      return
    }
    const open = this.#open
    this.#open = null
    this.#send('agent', text.trim() ? text : open.text, true)
  }

  /** A reply whose `done` never came (a cancelled response) ends where it got to. */
  #closeOpen(): void {
    const open = this.#open
    this.#open = null
    if (open) this.#send('agent', open.text, true)
  }

  #send(speaker: 'caller' | 'agent', text: string, final: boolean): void {
    if (!text.trim() || this.#socket.readyState !== WebSocket.OPEN) return
    this.#socket.send(JSON.stringify({ event: 'transcript', streamSid: this.#streamSid, transcript: { speaker, text, final } }))
  }
}
