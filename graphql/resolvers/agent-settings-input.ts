import { z } from 'zod'
import { UserInputError, type UserError, type UserErrorCode } from '../../core/index.ts'
import { captureFieldSchema } from '../../leads/index.ts'
import { fromEnum } from './support.ts'

type Row = Record<string, any>

// The same rules as the agent_configs and businesses checks, so refused input never reaches them.
const E164 = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'Use an E.164 number, such as +14155550100')
const HH_MM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/
const TIME = z.string().regex(HH_MM, 'Use 24-hour HH:MM, such as 09:00')
const MAX_RANGES_PER_DAY = 6
const MAX_CAPTURE_FIELDS = 20

const minuteOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3))
// zod runs refinements even after a malformed time was reported; compare well-formed ranges only.
const wellFormed = (r: { open: string; close: string }) => HH_MM.test(r.open) && HH_MM.test(r.close)
const distinct = (values: string[]) => new Set(values).size === values.length

const openingRange = z.strictObject({ open: TIME, close: TIME }).refine((r) => !wellFormed(r) || minuteOf(r.open) < minuteOf(r.close), { message: 'Must be after open', path: ['close'] })
const openingDay = z
  .array(openingRange)
  .max(MAX_RANGES_PER_DAY)
  .refine((ranges) => !ranges.every(wellFormed) || [...ranges].sort((a, b) => minuteOf(a.open) - minuteOf(b.open)).every((r, i, sorted) => i === 0 || minuteOf(r.open) >= minuteOf((sorted[i - 1] as { close: string }).close)), 'Ranges of one day must not overlap')
const workingHours = z.strictObject({ mon: openingDay, tue: openingDay, wed: openingDay, thu: openingDay, fri: openingDay, sat: openingDay, sun: openingDay }).partial()

const escalationRules = z.strictObject({
  askForHuman: z.boolean().optional(),
  keywords: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
  vipNumbers: z.array(E164).max(100).optional(),
  afterHours: z.boolean().optional(),
})

const captureFields = z
  .array(captureFieldSchema)
  .max(MAX_CAPTURE_FIELDS)
  .superRefine((fields, check) => {
    fields.forEach((field, i) => {
      if (fields.findIndex((other) => other.key === field.key) < i) check.addIssue({ code: 'custom', message: `Key ${field.key} is used twice`, path: [i, 'key'] })
    })
  })

/** Whether the zone names a time zone (IANA, not an offset): Intl knows the same database as PostgreSQL. */
function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1
  } catch {
    return false
  }
}

const text = (max: number) => z.string().trim().min(1, 'Must not be empty').max(max)
const inputSchema = z.object({
  language: z.string().max(35).regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'Use a BCP 47 tag, such as en-US').refine(isLanguageTag, 'Use a BCP 47 tag, such as en-US'),
  voice: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'Use up to 40 lower-case letters, digits, _ or -'),
  greeting: text(1000),
  disclosureText: text(1000),
  consentPrompt: text(1000),
  consentMaxAttempts: z.number().int().min(1).max(5),
  systemPrompt: z.string().max(20_000),
  knowledge: z.string().max(100_000),
  services: z.array(text(100)).max(50).refine(distinct, 'Each service once'),
  workingHours,
  afterHoursBehavior: z.enum(['answer', 'take_message', 'forward']),
  captureFields,
  escalationRules,
  forwardingNumber: E164.nullable(),
  staffFirstSeconds: z.number().int().min(5).max(60).nullable(),
  outOfMinutesBehavior: z.enum(['refuse', 'forward', 'take_message']),
  recordingEnabled: z.boolean(),
  retentionDays: z.number().int().min(1).max(3650),
  timeZone: z.string().max(64).refine(isTimeZone, 'Use an IANA time zone, such as America/New_York'),
}).partial()

/** Input fields stored in agent_configs, by column. */
export const CONFIG_COLUMNS = {
  language: 'language',
  voice: 'voice',
  greeting: 'greeting',
  disclosureText: 'disclosure_text',
  consentPrompt: 'consent_prompt',
  consentMaxAttempts: 'consent_max_attempts',
  systemPrompt: 'system_prompt',
  knowledge: 'knowledge',
  services: 'services',
  workingHours: 'working_hours',
  afterHoursBehavior: 'after_hours_behavior',
  captureFields: 'capture_fields',
  escalationRules: 'escalation_rules',
  forwardingNumber: 'forwarding_number',
  staffFirstSeconds: 'staff_first_seconds',
  outOfMinutesBehavior: 'out_of_minutes_behavior',
  recordingEnabled: 'recording_enabled',
} as const
const CLEARABLE = new Set(['forwardingNumber', 'staffFirstSeconds'])
const ENUMS = ['afterHoursBehavior', 'outOfMinutesBehavior']
// What a first save gets for what it leaves out (the columns' defaults).
const DEFAULTS: Row = { after_hours_behavior: 'take_message', out_of_minutes_behavior: 'refuse', forwarding_number: null, staff_first_seconds: null }

export interface AgentSettingsChanges {
  /** agent_configs columns to change. */
  config: Row
  /** businesses columns to change. */
  business: { time_zone?: string; retention_days?: number }
}

/** Checks an UpdateAgentSettingsInput on its own; every problem becomes a user error at once. */
export function readAgentSettingsInput(input: Row): AgentSettingsChanges {
  const given = Object.fromEntries(
    Object.entries(input)
      .filter(([key, value]) => key !== 'businessId' && (value !== null || CLEARABLE.has(key)))
      .map(([key, value]) => [key, ENUMS.includes(key) ? fromEnum(value) : key === 'captureFields' ? value.map((f: Row) => ({ ...f, type: fromEnum(f.type), required: f.required ?? undefined, options: f.options ?? undefined })) : value]),
  )
  const parsed = inputSchema.safeParse(given)
  if (!parsed.success) throw new UserInputError(parsed.error.issues.map(userErrorOf))
  const { timeZone, retentionDays, ...rest } = parsed.data
  const config = Object.fromEntries(Object.entries(rest).map(([key, value]) => [CONFIG_COLUMNS[key as keyof typeof CONFIG_COLUMNS], value]))
  return {
    config,
    business: { ...(timeZone !== undefined && { time_zone: new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone }), ...(retentionDays !== undefined && { retention_days: retentionDays }) },
  }
}

/** Rules across fields, checked against the version being saved (the latest with the changes applied). */
export function checkAgentSettings(next: Row, previous: Row | undefined, input: Row): void {
  const errors: UserError[] = []
  if (!previous) {
    for (const [field, column] of [['greeting', 'greeting'], ['disclosureText', 'disclosure_text'], ['consentPrompt', 'consent_prompt']] as const) {
      if (next[column] == null) errors.push({ field: ['input', field], code: 'REQUIRED', message: 'Needed for the first save' })
    }
  }
  const merged = { ...DEFAULTS, ...next }
  if (merged.forwarding_number === null) {
    const needing = [
      ['staffFirstSeconds', merged.staff_first_seconds !== null],
      ['afterHoursBehavior', merged.after_hours_behavior === 'forward'],
      ['outOfMinutesBehavior', merged.out_of_minutes_behavior === 'forward'],
    ].filter(([, needs]) => needs).map(([field]) => field as string)
    // Blame the field this save changed: clearing the number, or asking for forwarding without one.
    if (needing.length && 'forwardingNumber' in input) errors.push({ field: ['input', 'forwardingNumber'], code: 'REQUIRED', message: `Needed by ${needing.join(', ')}` })
    else for (const field of needing) errors.push({ field: ['input', field], code: 'INVALID', message: 'Set a forwardingNumber first' })
  }
  if (errors.length) throw new UserInputError(errors)
}

function userErrorOf(issue: z.core.$ZodIssue): UserError {
  const field = ['input', ...issue.path.map(String)]
  if (issue.code === 'unrecognized_keys') return { field: [...field, ...issue.keys.slice(0, 1)], code: 'INVALID', message: `Unknown ${issue.keys.length > 1 ? 'keys' : 'key'}: ${issue.keys.join(', ')}` }
  const sized = issue.code === 'too_small' || issue.code === 'too_big'
  const code: UserErrorCode = !sized ? 'INVALID' : issue.origin === 'number' ? 'OUT_OF_RANGE' : issue.code === 'too_small' ? 'TOO_SHORT' : 'TOO_LONG'
  return { field, code, message: issue.message }
}
