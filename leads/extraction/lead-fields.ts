import { z } from 'zod'

/** A line of a call's transcript, as the extractors read it. `seq` is the segment's order in the call. */
export interface TranscriptLine {
  seq: number
  speaker: 'caller' | 'agent' | 'system'
  text: string
}

export const TEMPERATURES = ['hot', 'warm', 'cold'] as const
export const URGENCIES = ['low', 'normal', 'high', 'emergency'] as const
/** How the call ended for the business, as the extractor judges it from the conversation. */
export const CALL_OUTCOMES = ['lead_captured', 'question_answered', 'appointment_requested', 'escalated', 'message_taken', 'wrong_number', 'spam', 'hung_up', 'other'] as const

/** The fields every lead has, whatever the business captures besides. */
export const STANDARD_FIELDS = ['name', 'email', 'phone', 'reason', 'requestedService', 'urgency', 'callOutcome', 'temperature'] as const
export type StandardField = (typeof STANDARD_FIELDS)[number]

export const CAPTURE_FIELD_TYPES = ['text', 'number', 'boolean', 'date', 'choice', 'email', 'phone'] as const
export type CaptureFieldType = (typeof CAPTURE_FIELD_TYPES)[number]

/** A business's own capture field, as stored in agent_configs.capture_fields. */
export const captureFieldSchema = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'Use lower-case letters, digits and underscores, starting with a letter'),
    label: z.string().trim().min(1).max(100),
    type: z.enum(CAPTURE_FIELD_TYPES),
    required: z.boolean().default(false),
    options: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
  })
  .refine((f) => f.type !== 'choice' || (f.options?.length ?? 0) > 0, { message: 'A choice field needs options', path: ['options'] })
export type CaptureField = z.infer<typeof captureFieldSchema>

/** One extracted value, with where it came from and how sure the extractor is (0..1). */
export interface Extracted<T> {
  value: T
  confidence: number
  /** The transcript segment (seq) the value was heard in; null when it came from call metadata. */
  evidenceSeq: number | null
}

/** Everything an extractor found. Absent means not found. */
export interface ExtractedLead {
  name?: Extracted<string>
  email?: Extracted<string>
  phone?: Extracted<string>
  reason?: Extracted<string>
  requestedService?: Extracted<string>
  urgency?: Extracted<(typeof URGENCIES)[number]>
  callOutcome?: Extracted<(typeof CALL_OUTCOMES)[number]>
  temperature?: Extracted<(typeof TEMPERATURES)[number]>
  /** Capture-field values by key; values are already of the field's type. */
  custom: Record<string, Extracted<string | number | boolean>>
}

/** What the extractors are given about a call besides its transcript. */
export interface CallFacts {
  /** Caller ID as Twilio sent it: E.164, 'anonymous' or a client identity. */
  callerNumber: string
  /** ISO 3166-1 alpha-2 country numbers without a country code are read in. */
  country: string
  timeZone: string
  businessName: string
  startedAt: Date
  captureFields: CaptureField[]
}
