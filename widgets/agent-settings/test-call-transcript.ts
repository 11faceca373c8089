import type { TranscriptLine } from './test-call-session.ts'

/** How many lines of a test call stay on screen: the latest ones (the whole transcript is saved with the call). */
export const TRANSCRIPT_LINES = 50

/**
 * The lines after one more arrives. At most one line is open (not final): the agent's reply being
 * spoken, which the next agent line replaces. A caller line goes before an open reply: Realtime
 * transcribes the caller apart from the reply, so the caller's words often arrive once the agent
 * has started answering them.
 * https://platform.openai.com/docs/api-reference/realtime-server-events (conversation.item.input_audio_transcription.completed)
 */
export function addTranscriptLine(lines: readonly TranscriptLine[], line: TranscriptLine): TranscriptLine[] {
  const open = lines.findIndex((shown) => !shown.final)
  let next: TranscriptLine[]
  if (open < 0) next = [...lines, line]
  else if (line.speaker === 'agent') next = lines.map((shown, i) => (i === open ? line : shown))
  else next = [...lines.slice(0, open), line, ...lines.slice(open)]
  return next.slice(-TRANSCRIPT_LINES)
}
