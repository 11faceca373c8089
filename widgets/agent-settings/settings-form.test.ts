import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { changedInput, formFromSettings, type AgentSettings } from './settings-form.ts'
import { inputOfPath, validateForm } from './settings-validation.ts'

const form = suite('widgets: the agent settings form')

const SAVED: AgentSettings = {
  version: 3,
  voice: 'marin',
  greeting: 'Hello',
  disclosureText: 'I am an AI.',
  consentPrompt: 'May we record?',
  systemPrompt: '',
  knowledge: '',
  workingHours: { fri: [{ open: '08:00', close: '12:00' }, { open: '13:00', close: '17:00' }], mon: [{ open: '09:00', close: '17:00' }] },
  captureFields: { nodes: [{ key: 'pet', label: 'Pet', type: 'CHOICE', required: true, options: ['dog', 'cat'] }] },
  escalationRules: { askForHuman: true, keywords: ['urgent'], vipNumbers: [], afterHours: true },
  forwardingNumber: '+14155550100',
  recordingEnabled: true,
  retentionDays: 90,
  timeZone: 'America/New_York',
}
const BUSINESS = { timeZone: 'UTC', retentionDays: 365 }

form('an untouched form sends nothing; a change sends only that field', () => {
  const saved = formFromSettings(SAVED, BUSINESS)
  assert.equal(changedInput(formFromSettings(SAVED, BUSINESS), saved), {})
  assert.equal(changedInput({ ...saved, greeting: ' Hi there ' }, saved), { greeting: 'Hi there' })
  assert.equal(changedInput({ ...saved, forwardingNumber: '' }, saved), { forwardingNumber: null }, 'an emptied number is cleared')
})

form('hours keep the ranges the form does not show; rules keep afterHours', () => {
  const saved = formFromSettings(SAVED, BUSINESS)
  const input = changedInput({ ...saved, hours: { ...saved.hours, tue: { open: true, from: '10:00', to: '11:00', more: [] } }, keywords: 'urgent, flood' }, saved)
  assert.equal(input.workingHours, { mon: [{ open: '09:00', close: '17:00' }], tue: [{ open: '10:00', close: '11:00' }], fri: [{ open: '08:00', close: '12:00' }, { open: '13:00', close: '17:00' }] })
  assert.equal(input.escalationRules, { afterHours: true, askForHuman: true, keywords: ['urgent', 'flood'], vipNumbers: [] })
})

form('a first save sends everything, with the business\'s zone and retention', () => {
  const input = changedInput({ ...formFromSettings(null, BUSINESS), greeting: 'Hi', disclosureText: 'AI', consentPrompt: 'OK?' }, null)
  assert.is(input.timeZone, 'UTC')
  assert.is(input.retentionDays, 365)
  assert.is(input.greeting, 'Hi')
})

form('validation: required texts, E.164, HH:MM open before close, unique keys', () => {
  const saved = formFromSettings(SAVED, BUSINESS)
  assert.equal(validateForm(saved), {})
  const errors = validateForm({
    ...saved,
    greeting: '  ',
    forwardingNumber: '555-0100',
    vipNumbers: '+14155550100, 12',
    hours: { ...saved.hours, mon: { open: true, from: '17:00', to: '09:00', more: [] }, sun: { open: true, from: '', to: '10:00', more: [] } },
    captureFields: [saved.captureFields[0]!, { key: 'pet', label: '', type: 'CHOICE', required: false, options: ' , ' }, { key: 'Bad Key', label: 'x', type: 'TEXT', required: false, options: '' }],
    retentionDays: '0',
  })
  assert.equal(Object.keys(errors).sort(), ['captureFields.1.key', 'captureFields.1.label', 'captureFields.1.options', 'captureFields.2.key', 'escalationRules.vipNumbers', 'forwardingNumber', 'greeting', 'hours.mon', 'hours.sun', 'retentionDays'])
  assert.equal(errors['captureFields.1.key'], { key: 'settings.errorDuplicateKey' })
  assert.equal(errors['escalationRules.vipNumbers'], { key: 'settings.errorVip', params: { number: '12' } })
})

form('userError paths point at the inputs', () => {
  assert.is(inputOfPath(['input', 'forwardingNumber']), 'forwardingNumber')
  assert.is(inputOfPath(['input', 'workingHours', 'mon', '0', 'close']), 'hours.mon')
  assert.is(inputOfPath(['input', 'captureFields', '2', 'key']), 'captureFields.2.key')
  assert.is(inputOfPath(['input', 'captureFields', '2', 'type']), 'captureFields.2.key')
  assert.is(inputOfPath(['input', 'captureFields']), 'captureFields')
  assert.is(inputOfPath(['input', 'escalationRules', 'vipNumbers', '1']), 'escalationRules.vipNumbers')
  assert.is(inputOfPath(['input', 'staffFirstSeconds']), null)
  assert.is(inputOfPath(['input']), null)
})

form.run()
