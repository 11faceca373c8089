import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { base64ToBytes, bytesToBase64, decodeMulaw, decodeMulawSample, downsample, encodeMulaw, encodeMulawSample, encodePcm, FRAME_BYTES, newDownsampleState } from './mulaw.ts'

const mulaw = suite('widgets: mu-law codec of the test call')

mulaw('known G.711 values', () => {
  assert.is(encodeMulawSample(0), 0xff)
  assert.is(encodeMulawSample(1), 0x80)
  assert.is(encodeMulawSample(-1), 0x00)
  assert.is(encodeMulawSample(2), 0x80, 'clipped')
  assert.is(encodeMulawSample(Number.NaN), 0xff)
  assert.is(decodeMulawSample(0xff), 0)
  assert.is(decodeMulawSample(0x7f), 0)
  assert.is(decodeMulawSample(0x80), 32124 / 32768)
  assert.is(decodeMulawSample(0x00), -32124 / 32768)
  // Small positive values sit in the first segment, one step per 8 linear units.
  assert.is(encodeMulawSample(16 / 32767), 0xfd)
})

mulaw('every byte decodes and encodes back to itself (except the duplicate zero)', () => {
  for (let byte = 0; byte < 256; byte++) {
    if (byte === 0x7f) continue
    assert.is(encodeMulawSample(decodeMulawSample(byte)), byte, `byte ${byte}`)
  }
})

mulaw('a round trip stays within mu-law\'s quantisation error', () => {
  const pcm = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7) * 0.8)
  const back = decodeMulaw(encodeMulaw(pcm))
  for (let i = 0; i < pcm.length; i++) {
    const x = pcm[i] as number
    // Segment steps grow with the magnitude: about 3% of it, and 1/4000 near zero.
    assert.ok(Math.abs((back[i] as number) - x) <= Math.abs(x) * 0.035 + 0.0003, `sample ${i}`)
  }
})

mulaw('48 kHz downsamples to 8 kHz: 960 samples make one 160-byte frame', () => {
  const dc = new Float32Array(960).fill(0.5)
  const out = downsample(dc, 48_000)
  assert.is(out.length, FRAME_BYTES)
  assert.ok(out.every((x) => Math.abs(x - 0.5) < 1e-6))
  assert.is(encodePcm(new Float32Array(960), 48_000).length, FRAME_BYTES)
})

mulaw('streaming in 128-sample render quanta loses no samples, at 48 and 44.1 kHz', () => {
  for (const rate of [48_000, 44_100]) {
    const state = newDownsampleState()
    let total = 0
    const quanta = 1000
    for (let q = 0; q < quanta; q++) total += downsample(new Float32Array(128), rate, 8000, state).length
    assert.is(total, Math.floor((quanta * 128 * 8000) / rate), `${rate}`)
  }
})

mulaw('a 4 kHz tone (Nyquist of 8 kHz) is mostly filtered out; a 400 Hz one passes', () => {
  const tone = (hz: number) => Float32Array.from({ length: 4800 }, (_, i) => Math.sin((2 * Math.PI * hz * i) / 48_000))
  const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length)
  assert.ok(rms(downsample(tone(400), 48_000)) > 0.65)
  assert.ok(rms(downsample(tone(7_000), 48_000)) < 0.25)
})

mulaw('base64 of a frame matches the wire format', () => {
  const frame = new Uint8Array(FRAME_BYTES).fill(0xff)
  const base64 = bytesToBase64(frame)
  assert.is(base64, Buffer.from(frame).toString('base64'))
  assert.equal(base64ToBytes(base64), frame)
})

mulaw.run()
