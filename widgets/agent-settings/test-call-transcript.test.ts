import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { TranscriptLine } from './test-call-session.ts'
import { addTranscriptLine, TRANSCRIPT_LINES } from './test-call-transcript.ts'

const transcript = suite('widgets: the test call transcript on screen')
const caller = (text: string): TranscriptLine => ({ speaker: 'caller', text, final: true })
const agent = (text: string, final = true): TranscriptLine => ({ speaker: 'agent', text, final })
const shown = (lines: TranscriptLine[]) => lines.map((line) => `${line.speaker}${line.final ? '' : '…'}: ${line.text}`)

transcript('final lines are added in order', () => {
  const lines = [agent('Hello.'), caller('Hi.')].reduce(addTranscriptLine, [])
  assert.equal(shown(lines), ['agent: Hello.', 'caller: Hi.'])
})

transcript("the agent's open line is replaced as it grows, and by its final text", () => {
  let lines = [agent('Hello.'), agent('Yes', false), agent('Yes, we', false)].reduce(addTranscriptLine, [])
  assert.equal(shown(lines), ['agent: Hello.', 'agent…: Yes, we'])
  lines = addTranscriptLine(lines, agent('Yes, we are open.'))
  assert.equal(shown(lines), ['agent: Hello.', 'agent: Yes, we are open.'])
})

transcript('a caller line that arrives while the agent answers it goes before the answer', () => {
  const lines = [agent('Hello.'), agent('Yes', false), caller('Are you open?'), agent('Yes, we are.')].reduce(addTranscriptLine, [])
  assert.equal(shown(lines), ['agent: Hello.', 'caller: Are you open?', 'agent: Yes, we are.'])
})

transcript(`only the latest ${TRANSCRIPT_LINES} lines stay`, () => {
  const lines = Array.from({ length: TRANSCRIPT_LINES + 5 }, (_, i) => caller(`line ${i}`)).reduce(addTranscriptLine, [])
  assert.is(lines.length, TRANSCRIPT_LINES)
  assert.equal([lines[0]?.text, lines.at(-1)?.text], ['line 5', `line ${TRANSCRIPT_LINES + 4}`])
})

transcript.run()
