import { CALL_OUTCOMES, TEMPERATURES, URGENCIES, type CallFacts, type CaptureField, type Extracted, type ExtractedLead } from './lead-fields.ts'
import { normalizeCustomValue, normalizeEmail, normalizePhone, normalizeText, phoneFromCallerId } from './normalize.ts'

type JsonSchema = Record<string, unknown>

/** Bumped whenever the prompt or schema changes meaningfully; stored with each lead. */
export const PROMPT_VERSION = 'lead-extract/2026-11-29'

const MAX = { name: 200, reason: 2000, service: 500, summary: 5000 }

/** One field: the value (null when not said), a confidence, and the transcript segment it was heard in. */
function field(value: JsonSchema, description: string): JsonSchema {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    required: ['value', 'confidence', 'segment'],
    properties: {
      value,
      confidence: { type: 'number', description: 'How sure you are, from 0 (guess) to 1 (said clearly).' },
      segment: { type: ['integer', 'null'], description: 'The [number] of the transcript line it was heard in, or null.' },
    },
  }
}

const nullable = (type: string) => ({ type: [type, 'null'] })
const oneOf = (values: readonly string[]) => ({ type: ['string', 'null'], enum: [...values, null] })

function customValueSchema(f: CaptureField): JsonSchema {
  switch (f.type) {
    case 'number':
      return nullable('number')
    case 'boolean':
      return nullable('boolean')
    case 'choice':
      return oneOf(f.options ?? [])
    case 'date':
      return { type: ['string', 'null'], description: 'YYYY-MM-DD' }
    default:
      return nullable('string')
  }
}

/**
 * The JSON schema of the model's answer, for structured outputs in strict mode: every property is
 * required and nullable instead of optional, and no others are allowed.
 */
export function buildLeadSchema(captureFields: readonly CaptureField[]): JsonSchema {
  const custom = Object.fromEntries(captureFields.map((f) => [f.key, field(customValueSchema(f), `${f.label}${f.required ? ' (required)' : ''}`)]))
  const properties = {
    name: field(nullable('string'), "The caller's full name."),
    email: field(nullable('string'), "The caller's email address, written normally (spelled-out letters joined)."),
    phone: field(nullable('string'), 'A callback number the caller gave, digits as spoken; null if they gave none.'),
    reason: field(nullable('string'), 'Why they called, in one or two sentences.'),
    requestedService: field(nullable('string'), 'The service they asked for, in the business’s words where possible.'),
    urgency: field(oneOf(URGENCIES), 'How urgent their need is.'),
    callOutcome: field(oneOf(CALL_OUTCOMES), 'How the call ended for the business.'),
    temperature: field(oneOf(TEMPERATURES), 'hot: ready to buy or book now; warm: interested; cold: no clear intent.'),
    summary: { type: 'string', description: 'Two or three sentences a busy owner reads instead of the transcript.' },
    custom: { type: 'object', additionalProperties: false, required: Object.keys(custom), properties: custom },
  }
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties }
}

/** Thrown when the model's answer cannot be used as it is. */
export class InvalidModelOutput extends Error {}

/**
 * Reads the model's answer: checks its shape, normalizes each value (E.164 phone in the business's
 * country, email syntax, trimmed text, enum values), and keeps evidence only when it names a real
 * transcript line. A value that does not normalize is dropped, not guessed. With no number given,
 * the caller ID stands in for the phone.
 */
export function readModelLead(content: string, facts: CallFacts, segments: ReadonlySet<number>): { lead: ExtractedLead; summary: string | null } {
  let answer: unknown
  try {
    answer = JSON.parse(content)
  } catch {
    throw new InvalidModelOutput('the answer is not JSON')
  }
  if (!isObject(answer) || !isObject(answer.custom)) throw new InvalidModelOutput('the answer is not a lead object')
  const read = <T>(raw: unknown, normalize: (value: unknown) => T | null): Extracted<T> | undefined => {
    if (!isObject(raw)) throw new InvalidModelOutput('a field is not an object')
    if (raw.value === null || raw.value === undefined) return undefined
    const value = normalize(raw.value)
    if (value === null) return undefined
    const confidence = typeof raw.confidence === 'number' && Number.isFinite(raw.confidence) ? Math.min(1, Math.max(0, raw.confidence)) : 0.5
    const evidenceSeq = typeof raw.segment === 'number' && segments.has(raw.segment) ? raw.segment : null
    return { value, confidence, evidenceSeq }
  }
  const text = (max: number) => (v: unknown) => (typeof v === 'string' ? normalizeText(v, max) : null)
  const member = <T extends string>(values: readonly T[]) => (v: unknown) => (values.includes(v as T) ? (v as T) : null)
  const lead: ExtractedLead = {
    name: read(answer.name, text(MAX.name)),
    email: read(answer.email, (v) => (typeof v === 'string' ? normalizeEmail(v) : null)),
    phone: read(answer.phone, (v) => (typeof v === 'string' ? normalizePhone(v, facts.country) : null)) ?? phoneFromCallerId(facts.callerNumber, facts.country),
    reason: read(answer.reason, text(MAX.reason)),
    requestedService: read(answer.requestedService, text(MAX.service)),
    urgency: read(answer.urgency, member(URGENCIES)),
    callOutcome: read(answer.callOutcome, member(CALL_OUTCOMES)),
    temperature: read(answer.temperature, member(TEMPERATURES)),
    custom: {},
  }
  for (const f of facts.captureFields) {
    const value = read(answer.custom[f.key] ?? { value: null }, (v) => normalizeCustomValue(f, v, facts.country))
    if (value) lead.custom[f.key] = value
  }
  const summary = typeof answer.summary === 'string' ? normalizeText(answer.summary, MAX.summary) : null
  return { lead: withoutAbsent(lead), summary }
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Drops fields left undefined, so "absent" has one spelling. */
function withoutAbsent(lead: ExtractedLead): ExtractedLead {
  return Object.fromEntries(Object.entries(lead).filter(([, v]) => v !== undefined)) as unknown as ExtractedLead
}
