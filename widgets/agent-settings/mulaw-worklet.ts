/**
 * The microphone side of a test call, run on the audio thread: downsamples the context's rate to
 * 8 kHz, encodes G.711 mu-law, and posts each full 160-byte (20 ms) frame to the element, which
 * sends it to the media worker. Bundled on its own as widgets/dist/mulaw-worklet.js: a worklet
 * module needs a URL of its own, and `script-src 'self'` rules out blob: URLs.
 */
import { encodePcm, FRAME_BYTES, newDownsampleState } from './mulaw.ts'

// The AudioWorkletGlobalScope; TypeScript's DOM library does not describe it.
declare const sampleRate: number
declare class AudioWorkletProcessor {
  readonly port: MessagePort
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void

class MulawEncoder extends AudioWorkletProcessor {
  #state = newDownsampleState()
  #frame = new Uint8Array(FRAME_BYTES)
  #filled = 0

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0]
    if (!channel) return true
    const bytes = encodePcm(channel, sampleRate, this.#state)
    for (let i = 0; i < bytes.length; i++) {
      this.#frame[this.#filled++] = bytes[i] as number
      if (this.#filled === FRAME_BYTES) {
        const full = this.#frame
        this.port.postMessage(full, [full.buffer])
        this.#frame = new Uint8Array(FRAME_BYTES)
        this.#filled = 0
      }
    }
    return true
  }
}

registerProcessor('answerline-mulaw-encoder', MulawEncoder)
