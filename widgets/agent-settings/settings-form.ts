/**
 * The agent settings as the form edits them, and the conversions both ways: from what the api
 * returns, and to an UpdateAgentSettingsInput holding only what changed.
 */

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Day = (typeof DAYS)[number]
export const FIELD_TYPES = ['TEXT', 'NUMBER', 'BOOLEAN', 'DATE', 'CHOICE', 'EMAIL', 'PHONE'] as const
/** OpenAI Realtime's voices. https://platform.openai.com/docs/guides/realtime-conversations#voice-options */
export const VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse', 'marin', 'cedar'] as const

type Range = { open: string; close: string }
export interface DayHours {
  open: boolean
  from: string
  to: string
  /** Further ranges of the day, which the form does not edit but keeps. */
  more: Range[]
}
export interface FieldRow {
  key: string
  label: string
  type: string
  required: boolean
  /** Comma-separated, for CHOICE. */
  options: string
}
export interface SettingsForm {
  greeting: string
  disclosureText: string
  consentPrompt: string
  systemPrompt: string
  voice: string
  timeZone: string
  hours: Record<Day, DayHours>
  captureFields: FieldRow[]
  askForHuman: boolean
  keywords: string
  vipNumbers: string
  forwardingNumber: string
  knowledge: string
  recordingEnabled: boolean
  retentionDays: string
  /** The rest of escalationRules (afterHours, …), passed back untouched. */
  otherRules: Record<string, unknown>
}

export interface AgentSettings {
  version: number
  voice: string
  greeting: string
  disclosureText: string
  consentPrompt: string
  systemPrompt: string
  knowledge: string
  workingHours: Partial<Record<Day, Range[]>>
  captureFields: { nodes: Array<{ key: string; label: string; type: string; required: boolean; options: string[] }> }
  escalationRules: { askForHuman?: boolean; keywords?: string[]; vipNumbers?: string[]; [rule: string]: unknown }
  forwardingNumber: string | null
  recordingEnabled: boolean
  retentionDays: number
  timeZone: string
}

const FIELDS = `version voice greeting disclosureText consentPrompt systemPrompt knowledge workingHours
  captureFields(first: 20) { nodes { key label type required options } }
  escalationRules forwardingNumber recordingEnabled retentionDays timeZone`

export const SETTINGS_QUERY = `query AgentSettings($id: ID!) { node(id: $id) { ... on Business { id timeZone retentionDays agentSettings { ${FIELDS} } } } }`

export const UPDATE_SETTINGS = `mutation UpdateAgentSettings($input: UpdateAgentSettingsInput!) {
  updateAgentSettings(input: $input) { agentSettings { ${FIELDS} } userErrors { field code message } }
}`

const list = (text: string) => text.split(',').map((item) => item.trim()).filter(Boolean)

/** The form for saved settings, or for a first save (null) with the business's own zone and retention. */
export function formFromSettings(settings: AgentSettings | null, business: { timeZone: string; retentionDays: number }): SettingsForm {
  const rules = settings?.escalationRules ?? {}
  const { askForHuman, keywords, vipNumbers, ...otherRules } = rules
  const hours = Object.fromEntries(
    DAYS.map((day) => {
      const [first, ...more] = settings?.workingHours?.[day] ?? []
      return [day, { open: !!first, from: first?.open ?? '09:00', to: first?.close ?? '17:00', more }]
    }),
  ) as Record<Day, DayHours>
  return {
    greeting: settings?.greeting ?? '',
    disclosureText: settings?.disclosureText ?? '',
    consentPrompt: settings?.consentPrompt ?? '',
    systemPrompt: settings?.systemPrompt ?? '',
    voice: settings?.voice ?? VOICES[0],
    timeZone: settings?.timeZone ?? business.timeZone,
    hours,
    captureFields: (settings?.captureFields.nodes ?? []).map((f) => ({ ...f, options: f.options.join(', ') })),
    askForHuman: askForHuman ?? true,
    keywords: (keywords ?? []).join(', '),
    vipNumbers: (vipNumbers ?? []).join(', '),
    forwardingNumber: settings?.forwardingNumber ?? '',
    knowledge: settings?.knowledge ?? '',
    recordingEnabled: settings?.recordingEnabled ?? false,
    retentionDays: String(settings?.retentionDays ?? business.retentionDays),
    otherRules,
  }
}

/** Every field of the input, from the form. */
function inputFromForm(form: SettingsForm): Record<string, unknown> {
  const workingHours: Record<string, Range[]> = {}
  for (const day of DAYS) {
    const hours = form.hours[day]
    if (hours.open) workingHours[day] = [{ open: hours.from, close: hours.to }, ...hours.more]
  }
  return {
    greeting: form.greeting.trim(),
    disclosureText: form.disclosureText.trim(),
    consentPrompt: form.consentPrompt.trim(),
    systemPrompt: form.systemPrompt.trim(),
    voice: form.voice,
    timeZone: form.timeZone,
    workingHours,
    captureFields: form.captureFields.map((f) => ({ key: f.key.trim(), label: f.label.trim(), type: f.type, required: f.required, options: f.type === 'CHOICE' ? list(f.options) : [] })),
    escalationRules: { ...form.otherRules, askForHuman: form.askForHuman, keywords: list(form.keywords), vipNumbers: list(form.vipNumbers) },
    // An explicit null clears the number.
    forwardingNumber: form.forwardingNumber.trim() || null,
    knowledge: form.knowledge.trim(),
    recordingEnabled: form.recordingEnabled,
    retentionDays: Number(form.retentionDays),
  }
}

/** The fields that differ from the saved ones (all of them for a first save). */
export function changedInput(form: SettingsForm, saved: SettingsForm | null): Record<string, unknown> {
  const next = inputFromForm(form)
  if (!saved) return next
  const before = inputFromForm(saved)
  return Object.fromEntries(Object.entries(next).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(before[key])))
}
