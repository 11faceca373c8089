import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { TRANSCRIPT_BUFFER_LIMIT, TranscriptBuffer, type TranscriptSegment } from './worker-api.ts'

/** What the worker does with transcript segments while the api is unreachable. */
const buffer = suite('voice: transcript batches survive an unreachable api')

buffer('a failed batch stays queued and is sent, once, when the api is back', async () => {
  const saved: TranscriptSegment[][] = []
  let apiUp = false
  const errors: unknown[] = []
  const transcript = new TranscriptBuffer(
    async (segments) => {
      if (!apiUp) throw new Error('ECONNREFUSED')
      saved.push(segments)
    },
    (error) => errors.push(error),
  )
  transcript.add('caller', 'Hello?', 0, 900)
  transcript.add('agent', 'Hi, how can I help?', 1000, 2500)
  await transcript.flush()
  assert.is(errors.length, 1)
  assert.is(transcript.size, 2)
  apiUp = true
  transcript.add('caller', 'A cleaning, please.', 3000, 4200)
  await transcript.flush()
  assert.equal(saved.flat().map((s) => [s.seq, s.speaker]), [[0, 'caller'], [1, 'agent'], [2, 'caller']])
  assert.is(transcript.size, 0)
  await transcript.close()
})

buffer('the buffer is bounded: past its limit the oldest segments go, and are counted', async () => {
  const transcript = new TranscriptBuffer(async () => {
    throw new Error('down')
  }, () => {})
  for (let i = 0; i < TRANSCRIPT_BUFFER_LIMIT + 5; i++) transcript.add('caller', `line ${i}`, i, i)
  assert.is(transcript.size, TRANSCRIPT_BUFFER_LIMIT)
  assert.is(transcript.dropped, 5)
  await transcript.close(1)
})

buffer('empty text is not a segment, and times never run backwards', () => {
  const segments: TranscriptSegment[] = []
  const transcript = new TranscriptBuffer(async (s) => void segments.push(...s), () => {})
  transcript.add('agent', '   ', 0, 10)
  transcript.add('agent', 'ok', 500, 100)
  assert.is(transcript.size, 1)
  void transcript.close()
})

buffer.run()
