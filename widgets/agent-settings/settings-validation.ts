import type { MessageKey } from '../core/messages.ts'
import { DAYS, type SettingsForm } from './settings-form.ts'

/** A problem with one input, by the input's id: a catalog key, or the api's own message. */
export type FieldErrors = Record<string, { key: MessageKey; params?: Record<string, string | number> } | { text: string }>

// The api's rules: E.164 with 7 to 15 digits; capture keys become lead customFields keys.
const E164 = /^\+[1-9]\d{6,14}$/
const KEY = /^[a-z][a-z0-9_]{0,39}$/
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/
const MAX_TEXT = { greeting: 1000, disclosureText: 1000, consentPrompt: 1000, systemPrompt: 20_000, knowledge: 100_000 } as const
const MAX_FIELDS = 20

/** What is wrong with the form before it is sent, the first problem of each input. */
export function validateForm(form: SettingsForm): FieldErrors {
  const errors: FieldErrors = {}
  for (const name of ['greeting', 'disclosureText', 'consentPrompt'] as const) {
    if (!form[name].trim()) errors[name] = { key: 'settings.errorRequired' }
  }
  for (const [name, max] of Object.entries(MAX_TEXT) as Array<[keyof typeof MAX_TEXT, number]>) {
    if (form[name].trim().length > max) errors[name] = { key: 'settings.errorTooLong', params: { max } }
  }
  for (const day of DAYS) {
    const hours = form.hours[day]
    if (!hours.open) continue
    if (!TIME.test(hours.from) || !TIME.test(hours.to)) errors[`hours.${day}`] = { key: 'settings.errorTime' }
    else if (hours.from >= hours.to) errors[`hours.${day}`] = { key: 'settings.errorTimeOrder' }
  }
  const keys = new Set<string>()
  if (form.captureFields.length > MAX_FIELDS) errors.captureFields = { key: 'settings.errorTooManyFields', params: { max: MAX_FIELDS } }
  form.captureFields.forEach((field, i) => {
    const key = field.key.trim()
    if (!key) errors[`captureFields.${i}.key`] = { key: 'settings.errorRequired' }
    else if (!KEY.test(key)) errors[`captureFields.${i}.key`] = { key: 'settings.errorKey' }
    else if (keys.has(key)) errors[`captureFields.${i}.key`] = { key: 'settings.errorDuplicateKey' }
    keys.add(key)
    if (!field.label.trim()) errors[`captureFields.${i}.label`] = { key: 'settings.errorRequired' }
    if (field.type === 'CHOICE' && !field.options.split(',').some((option) => option.trim())) errors[`captureFields.${i}.options`] = { key: 'settings.errorOptions' }
  })
  const forwarding = form.forwardingNumber.trim()
  if (forwarding && !E164.test(forwarding)) errors.forwardingNumber = { key: 'settings.errorE164' }
  const vip = form.vipNumbers.split(',').map((n) => n.trim()).filter(Boolean)
  const wrong = vip.find((number) => !E164.test(number))
  if (wrong) errors['escalationRules.vipNumbers'] = { key: 'settings.errorVip', params: { number: wrong } }
  const days = Number(form.retentionDays)
  if (!Number.isInteger(days) || days < 1 || days > 3650) errors.retentionDays = { key: 'settings.errorRetention' }
  return errors
}

const TOP_LEVEL = new Set(['greeting', 'disclosureText', 'consentPrompt', 'systemPrompt', 'voice', 'timeZone', 'forwardingNumber', 'knowledge', 'recordingEnabled', 'retentionDays'])

/**
 * The input a userError's `field` path points at: ['input', 'forwardingNumber'] → forwardingNumber,
 * ['input', 'workingHours', 'mon', '0', 'close'] → hours.mon, ['input', 'captureFields', '2', 'key']
 * → captureFields.2.key, ['input', 'escalationRules', 'vipNumbers', '1'] → escalationRules.vipNumbers.
 * Null when no input matches: the message is then shown for the whole form.
 */
export function inputOfPath(path: readonly string[]): string | null {
  const [first, second, third] = path[0] === 'input' ? path.slice(1) : path
  if (!first) return null
  if (TOP_LEVEL.has(first)) return first
  if (first === 'workingHours') return second && (DAYS as readonly string[]).includes(second) ? `hours.${second}` : null
  if (first === 'escalationRules') return second === 'vipNumbers' || second === 'keywords' ? `escalationRules.${second}` : second === 'askForHuman' ? 'escalationRules.askForHuman' : null
  if (first === 'captureFields') {
    if (second === undefined || !/^\d+$/.test(second)) return 'captureFields'
    return ['key', 'label', 'options'].includes(third ?? '') ? `captureFields.${second}.${third}` : `captureFields.${second}.key`
  }
  return null
}
