import OpenAI from 'openai'
import type { CallFacts, ExtractedLead, TranscriptLine } from './lead-fields.ts'
import { buildLeadSchema, InvalidModelOutput, PROMPT_VERSION, readModelLead } from './lead-schema.ts'

/** Why the model gave no usable lead; `unavailable` and `invalid_output` are worth retrying, `refused` is not. */
export type ModelFailureKind = 'unavailable' | 'refused' | 'invalid_output'

export class ModelExtractionFailed extends Error {
  readonly kind: ModelFailureKind
  constructor(kind: ModelFailureKind, message: string, options?: ErrorOptions) {
    super(message, options)
    this.kind = kind
  }
}

export interface ModelLead {
  lead: ExtractedLead
  summary: string | null
  model: string
  promptVersion: string
}

export interface ModelExtractorOptions {
  apiKey: string
  baseUrl: string | null
  model: string
  timeoutMs: number
  /** The SDK's own retries of 429 and 5xx answers; it honours Retry-After. */
  maxRetries: number
}

// A call's transcript rarely passes a few thousand words; beyond this the oldest lines are what a
// lead needs least (greetings), so the prompt keeps the most recent ones.
const MAX_TRANSCRIPT_CHARS = 60_000

const INSTRUCTIONS = [
  "You read the transcript of a phone call answered by a business's AI receptionist, and fill in the lead it produced.",
  'Only use what the caller said, or what the agent confirmed back to the caller and the caller did not correct.',
  'Leave a value null when it was not said; never invent one. Lines marked "system" record values the agent captured live.',
  'For each value give the [number] of the line it was heard in, and a confidence from 0 to 1.',
  'Emails spelled letter by letter or with "at" and "dot" are written as a normal address.',
].join(' ')

/** Extracts structured leads with an OpenAI chat model and structured outputs. */
export class ModelExtractor {
  readonly #client: OpenAI
  readonly #model: string

  constructor(options: ModelExtractorOptions) {
    this.#client = new OpenAI({ apiKey: options.apiKey, timeout: options.timeoutMs, maxRetries: options.maxRetries, ...(options.baseUrl && { baseURL: options.baseUrl }) })
    this.#model = options.model
  }

  async extract(transcript: readonly TranscriptLine[], facts: CallFacts, signal?: AbortSignal): Promise<ModelLead> {
    let completion: OpenAI.Chat.Completions.ChatCompletion
    try {
      completion = await this.#client.chat.completions.create(
        {
          model: this.#model,
          temperature: 0,
          messages: [
            { role: 'system', content: INSTRUCTIONS },
            { role: 'user', content: describeCall(transcript, facts) },
          ],
          response_format: { type: 'json_schema', json_schema: { name: 'lead', strict: true, schema: buildLeadSchema(facts.captureFields) } },
        },
        { ...(signal && { signal }) },
      )
    } catch (error) {
      throw new ModelExtractionFailed('unavailable', `the model did not answer: ${(error as Error).message}`, { cause: error })
    }
    const message = completion.choices[0]?.message
    if (message?.refusal) throw new ModelExtractionFailed('refused', `the model refused: ${message.refusal.slice(0, 200)}`)
    if (!message?.content) throw new ModelExtractionFailed('invalid_output', 'the model answered with no content')
    try {
      const { lead, summary } = readModelLead(message.content, facts, new Set(transcript.map((line) => line.seq)))
      return { lead, summary, model: completion.model || this.#model, promptVersion: PROMPT_VERSION }
    } catch (error) {
      if (error instanceof InvalidModelOutput) throw new ModelExtractionFailed('invalid_output', error.message, { cause: error })
      throw error
    }
  }
}

/** The call as the model reads it: metadata, the capture fields, then numbered transcript lines. */
export function describeCall(transcript: readonly TranscriptLine[], facts: CallFacts): string {
  const localStart = new Intl.DateTimeFormat('en-US', { timeZone: facts.timeZone, dateStyle: 'full', timeStyle: 'short' }).format(facts.startedAt)
  const fields = facts.captureFields.map((f) => `- ${f.key}: ${f.label} (${f.type}${f.options?.length ? `: ${f.options.join(' | ')}` : ''}${f.required ? ', required' : ''})`)
  let lines = transcript.map((line) => `[${line.seq}] ${line.speaker}: ${line.text}`)
  let length = lines.reduce((sum, line) => sum + line.length + 1, 0)
  while (length > MAX_TRANSCRIPT_CHARS && lines.length > 1) length -= (lines.shift() as string).length + 1
  return [
    `Business: ${facts.businessName}`,
    `Call started: ${localStart} (${facts.timeZone})`,
    `Caller ID: ${facts.callerNumber} (numbers without a country code are in ${facts.country})`,
    fields.length ? `The business's own fields to fill in:\n${fields.join('\n')}` : 'The business has no fields of its own.',
    `Transcript:\n${lines.join('\n') || '(nothing was said)'}`,
  ].join('\n\n')
}
