/**
 * G.711 mu-law, the codec of the media worker's stream (8 kHz, one byte a sample, 160 bytes per
 * 20 ms frame), as pure functions so the test call's audio path can be unit-tested without a
 * microphone. https://www.itu.int/rec/T-REC-G.711
 */

/** Samples a second on the wire. */
export const MULAW_RATE = 8000
/** Bytes in one 20 ms frame at 8 kHz. */
export const FRAME_BYTES = 160

// G.711's bias and the largest 14-bit magnitude that still fits after adding it.
const BIAS = 0x84
const CLIP = 32635

/** One sample in [-1, 1] to its mu-law byte: 0 → 0xFF, +1 → 0x80, -1 → 0x00. */
export function encodeMulawSample(sample: number): number {
  let pcm = Math.round(Math.max(-1, Math.min(1, sample || 0)) * 32767)
  const sign = pcm < 0 ? 0x80 : 0
  if (sign) pcm = -pcm
  pcm = Math.min(pcm, CLIP) + BIAS
  // The segment is the position of the highest set bit above bit 7 (0 to 7).
  const exponent = Math.max(0, 31 - Math.clz32(pcm) - 7)
  const mantissa = (pcm >> (exponent + 3)) & 0x0f
  return ~(sign | (exponent << 4) | mantissa) & 0xff
}

/** One mu-law byte to a sample in [-1, 1]. */
export function decodeMulawSample(byte: number): number {
  const u = ~byte & 0xff
  const magnitude = ((((u & 0x0f) << 3) + BIAS) << ((u >> 4) & 0x07)) - BIAS
  return (u & 0x80 ? -magnitude : magnitude) / 32768
}

export function encodeMulaw(pcm: Float32Array): Uint8Array {
  const out = new Uint8Array(pcm.length)
  for (let i = 0; i < pcm.length; i++) out[i] = encodeMulawSample(pcm[i] as number)
  return out
}

export function decodeMulaw(bytes: Uint8Array): Float32Array<ArrayBuffer> {
  const out = new Float32Array(bytes.length)
  for (let i = 0; i < bytes.length; i++) out[i] = decodeMulawSample(bytes[i] as number)
  return out
}

/** Where a streaming downsample left off between calls (render quanta are 128 samples). */
export interface DownsampleState {
  sum: number
  count: number
  position: number
}

export const newDownsampleState = (): DownsampleState => ({ sum: 0, count: 0, position: 0 })

/**
 * Downsamples by averaging the input samples that fall into each output sample (a box filter,
 * which also keeps most energy above 4 kHz from folding back as aliasing). Any input rate works
 * (48 kHz averages 6 samples, 44.1 kHz about 5.5); pass the same state for consecutive chunks.
 */
export function downsample(input: Float32Array, inputRate: number, outputRate = MULAW_RATE, state = newDownsampleState()): Float32Array {
  // Counted in whole units of the rates, so no rounding error builds up over a call.
  const out = new Float32Array(Math.ceil((input.length * outputRate) / inputRate) + 1)
  let written = 0
  for (let i = 0; i < input.length; i++) {
    state.sum += input[i] as number
    state.count++
    state.position += outputRate
    if (state.position >= inputRate) {
      state.position -= inputRate
      out[written++] = state.sum / state.count
      state.sum = 0
      state.count = 0
    }
  }
  return out.subarray(0, written)
}

/** Microphone PCM at any rate to 8 kHz mu-law bytes. */
export function encodePcm(input: Float32Array, inputRate: number, state = newDownsampleState()): Uint8Array {
  return encodeMulaw(downsample(input, inputRate, MULAW_RATE, state))
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number)
  return btoa(binary)
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
