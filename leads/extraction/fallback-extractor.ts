import type { CallFacts, CaptureField, Extracted, ExtractedLead, TranscriptLine } from './lead-fields.ts'
import { URGENCIES } from './lead-fields.ts'
import { normalizeCustomValue, normalizeEmail, normalizePhone, normalizeText, phoneFromCallerId } from './normalize.ts'
import { findSpokenEmails } from './spoken-email.ts'
import { findDigitRuns, joinGroups } from './spoken-numbers.ts'
import { findSpokenName, type SpokenName } from './spoken-name.ts'

/** How far we trust each way of finding a value; the model extractor's own scores are on the same 0..1 scale. */
const CONFIDENCE = { figures: 0.8, written: 0.8, words: 0.7, spelled: 0.7, captured: 0.7, phrase: 0.6, keyword: 0.5, reason: 0.4 }
/** One segment is one turn of speech; anything longer is not speech, and capping it bounds the regex work. */
const MAX_LINE_CHARS = 5000
const MAX_NAME = 100
const MAX_REASON = 500
const MAX_SERVICE = 200
/** Runs longer than this are read whole only; trying every slice of them costs more than it could find. */
const MAX_GROUPS_TO_SLICE = 20

const CAPTURE_LINE = /^\s*captured\s+([a-z][\w ]{0,60}?)\s*:\s*(.*)$/is
const EMAIL_TOPIC = /\be-?mail\b/i
const NEED = /\b(?:i need|we need|i'd like|i would like|i want|i(?:'m| am) calling|calling (?:about|because|regarding)|(?:i'm |i am )?looking for|(?:is|are|keeps?|has been|have been|it's) (?:leaking|broken|not working|clogged|flooding|blocked|making)|(?:leaking|broken|clogged|flooded|burst)\b)/i
const EMERGENCY = /\b(?:emergency|flood(?:ing|ed)?|burst pipe|pipe burst|gas leak)\b/i
const HIGH = /\b(?:urgent(?:ly)?|asap|a\.s\.a\.p|as soon as possible|right away|immediately|today)\b/i
/** "It's not an emergency" must not count as one. */
const NEGATED_URGENCY = /\b(?:not|no|isn't|nothing)\s+(?:an?\s+|that\s+|too\s+|very\s+|really\s+|super\s+)?(?:emergency|urgent)\b|\bno rush\b/gi

type Candidate<T> = Extracted<T>
type Urgency = (typeof URGENCIES)[number]
/** Every value heard for a field, in call order. */
interface Heard {
  name: Candidate<string>[]
  email: Candidate<string>[]
  phone: Candidate<string>[]
  reason: Candidate<string>[]
  service: Candidate<string>[]
  urgency: Candidate<Urgency>[]
}

/**
 * A lead read from the transcript by rules, for when the model is unavailable or its answer unusable.
 * Only the caller's own lines and the live agent's capture records count as evidence. Never throws.
 */
export function extractFallbackLead(transcript: TranscriptLine[], facts: CallFacts): ExtractedLead {
  const lines = readLines(transcript)
  const country = typeof facts?.country === 'string' ? facts.country : ''
  const fields: CaptureField[] = Array.isArray(facts?.captureFields) ? facts.captureFields : []
  const found: Heard = { name: [], email: [], phone: [], reason: [], service: [], urgency: [] }
  const custom: ExtractedLead['custom'] = {}
  let heardReason: Candidate<string> | undefined
  let wrongNumber: number | undefined
  const nextCallerLine = followingCallerLines(lines)
  lines.forEach((line, i) => {
    const previous = lines[i - 1]
    if (line.speaker === 'system') {
      safely(() => readCapture(line, country, fields, found, custom))
    } else if (line.speaker === 'caller') {
      safely(() => found.phone.push(...phonesIn(line, country)))
      safely(() => found.email.push(...emailsIn(line, previous)))
      safely(() => found.name.push(...namesIn(line, previous, nextCallerLine[i])))
      heardReason ??= safely(() => reasonIn(line))
      if (wrongNumber === undefined && /\bwrong number\b/i.test(line.text)) wrongNumber = line.seq
    }
  })

  const lead: ExtractedLead = { custom }
  const phone = pickLast(found.phone) ?? safely(() => phoneFromCallerId(facts?.callerNumber, country))
  const urgency = pickLast(found.urgency) ?? safely(() => urgencyIn(lines))
  const reason = pickLast(found.reason) ?? heardReason
  assign(lead, 'name', pickLast(found.name))
  assign(lead, 'email', pickLast(found.email))
  assign(lead, 'phone', phone)
  assign(lead, 'reason', reason)
  assign(lead, 'requestedService', pickLast(found.service))
  assign(lead, 'urgency', urgency)
  if (wrongNumber !== undefined) lead.callOutcome = { value: 'wrong_number', confidence: CONFIDENCE.phrase, evidenceSeq: wrongNumber }
  return lead
}

/** Lines that can be read, in call order; anything malformed is dropped rather than trusted. */
function readLines(transcript: unknown): TranscriptLine[] {
  if (!Array.isArray(transcript)) return []
  return transcript
    .filter((l): l is TranscriptLine => typeof l === 'object' && l !== null && typeof l.text === 'string' && Number.isFinite(l.seq) && ['caller', 'agent', 'system'].includes(l.speaker))
    .map((l) => ({ seq: l.seq, speaker: l.speaker, text: l.text.slice(0, MAX_LINE_CHARS).replace(/[’‘]/g, "'") }))
    .sort((a, b) => a.seq - b.seq)
}

/** For each line, the caller's next line after it, where a spelling of the name they just gave would be. */
function followingCallerLines(lines: TranscriptLine[]): Array<TranscriptLine | undefined> {
  const next: Array<TranscriptLine | undefined> = []
  let after: TranscriptLine | undefined
  for (let i = lines.length - 1; i >= 0; i--) {
    next[i] = after
    if (lines[i]?.speaker === 'caller') after = lines[i]
  }
  return next
}

function phonesIn(line: TranscriptLine, country: string): Candidate<string>[] {
  const found: Candidate<string>[] = []
  for (const { groups } of findDigitRuns(line.text)) {
    // Try the whole run first, then ever shorter slices, so "2 kids, 415 555 0134" still yields the number.
    const slices: Array<[number, number]> = [[0, groups.length]]
    if (groups.length <= MAX_GROUPS_TO_SLICE) {
      for (let size = groups.length - 1; size > 0; size--) for (let from = 0; from + size <= groups.length; from++) slices.push([from, from + size])
    }
    for (const [from, to] of slices) {
      const value = normalizePhone(joinGroups(groups, from, to), country)
      if (!value) continue
      const inWords = groups.slice(from, to).some((g) => g.inWords)
      found.push({ value, confidence: inWords ? CONFIDENCE.words : CONFIDENCE.figures, evidenceSeq: line.seq })
      break
    }
  }
  return found
}

function emailsIn(line: TranscriptLine, previous: TranscriptLine | undefined): Candidate<string>[] {
  const onTopic = EMAIL_TOPIC.test(line.text) || (previous?.speaker === 'agent' && EMAIL_TOPIC.test(previous.text))
  return findSpokenEmails(line.text).flatMap((spoken) => {
    const value = spoken.ambiguous && !onTopic ? null : normalizeEmail(spoken.address)
    return value ? [{ value, confidence: spoken.written ? CONFIDENCE.written : CONFIDENCE.spelled, evidenceSeq: line.seq }] : []
  })
}

function namesIn(line: TranscriptLine, previous: TranscriptLine | undefined, nextCallerLine: TranscriptLine | undefined): Candidate<string>[] {
  const name: SpokenName | null = findSpokenName(line.text, previous?.speaker === 'agent' ? previous.text : '', nextCallerLine?.text ?? '')
  if (!name) return []
  const evidenceSeq = name.spelledIn === 'next' && nextCallerLine ? nextCallerLine.seq : line.seq
  return [{ value: name.value, confidence: name.spelledIn ? CONFIDENCE.spelled : CONFIDENCE.phrase, evidenceSeq }]
}

/** The first sentence where the caller says what they need, with the rest of that turn. */
function reasonIn(line: TranscriptLine): Candidate<string> | undefined {
  const match = NEED.exec(line.text)
  if (!match) return undefined
  const sentenceStart = Math.max(0, ...[...line.text.slice(0, match.index).matchAll(/[.!?]\s+/g)].map((end) => end.index + end[0].length))
  const value = normalizeText(line.text.slice(sentenceStart), MAX_REASON)
  // "I need" alone is not a reason; three words is the least that says what for.
  if (!value || value.split(' ').length < 3) return undefined
  return { value, confidence: CONFIDENCE.reason, evidenceSeq: line.seq }
}

function urgencyIn(lines: TranscriptLine[]): Candidate<Urgency> | undefined {
  const said = lines.filter((l) => l.speaker === 'caller').map((l) => ({ seq: l.seq, text: l.text.replace(NEGATED_URGENCY, ' ') }))
  const emergency = said.find((l) => EMERGENCY.test(l.text))
  if (emergency) return { value: 'emergency', confidence: CONFIDENCE.keyword, evidenceSeq: emergency.seq }
  const high = said.find((l) => HIGH.test(l.text))
  return high ? { value: 'high', confidence: CONFIDENCE.keyword, evidenceSeq: high.seq } : undefined
}

/** A 'captured <field>: <value>' line the live agent's capture tool wrote, filed under the standard or custom field it names. */
function readCapture(line: TranscriptLine, country: string, fields: CaptureField[], found: Heard, custom: ExtractedLead['custom']): void {
  const match = CAPTURE_LINE.exec(line.text)
  if (!match) return
  const key = (match[1] ?? '').trim().toLowerCase().replace(/\s+/g, '_')
  const raw = (match[2] ?? '').trim()
  const evidence = (value: string | null): Candidate<string>[] => (value ? [{ value, confidence: CONFIDENCE.captured, evidenceSeq: line.seq }] : [])
  if (key === 'name') found.name.push(...evidence(normalizeText(raw, MAX_NAME)))
  if (key === 'email') found.email.push(...evidence(normalizeEmail(raw)))
  if (key === 'phone') found.phone.push(...evidence(normalizePhone(raw, country)))
  if (key === 'reason') found.reason.push(...evidence(normalizeText(raw, MAX_REASON)))
  if (key === 'requested_service' || key === 'requestedservice') found.service.push(...evidence(normalizeText(raw, MAX_SERVICE)))
  const urgency = URGENCIES.find((u) => u === raw.toLowerCase())
  if (key === 'urgency' && urgency) found.urgency.push({ value: urgency, confidence: CONFIDENCE.captured, evidenceSeq: line.seq })
  const field = fields.find((f) => f.key === key)
  const value = field ? normalizeCustomValue(field, raw, country) : null
  if (value !== null) custom[key] = { value, confidence: CONFIDENCE.captured, evidenceSeq: line.seq }
}

/**
 * The last value heard wins, because callers correct themselves ("no, it's …"). When the same value was heard
 * earlier with more certainty (said in figures, then recorded by the capture tool) it keeps that certainty.
 */
function pickLast<T>(candidates: Candidate<T>[]): Candidate<T> | undefined {
  const last = candidates.at(-1)
  if (!last) return undefined
  return candidates.filter((c) => c.value === last.value).reduce((best, c) => (c.confidence > best.confidence ? c : best), last)
}

function assign<K extends Exclude<keyof ExtractedLead, 'custom'>>(lead: ExtractedLead, key: K, value: ExtractedLead[K] | undefined): void {
  if (value !== undefined) lead[key] = value
}

/** This extractor is the last resort: a rule tripping on odd input loses that one value, not the whole lead. */
function safely<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}
