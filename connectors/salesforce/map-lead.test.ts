import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { describeCall, localDate } from './log-task.ts'
import { createOnlyFields, mapLeadFields, ownerFor, splitName } from './map-lead.ts'
import { salesforceConfigSchema } from './salesforce-config.ts'
import { makeCall, makeLead } from './testing/salesforce-fixtures.ts'

const mapping = suite('map-lead: Answerline values become Lead and Task fields Salesforce accepts')

mapping('names split on the last space; one word is a surname', () => {
  assert.equal(splitName('Mary Ann  Smith '), { firstName: 'Mary Ann', lastName: 'Smith' })
  assert.equal(splitName('Cher'), { firstName: null, lastName: 'Cher' })
  assert.equal(splitName(null), { firstName: null, lastName: null })
})

mapping('empty values are left out, long standard text is cut to the field length', () => {
  const fields = mapLeadFields(makeLead({ name: `${'F'.repeat(50)} Smith`, email: '', reason: null }), { firstName: 'FirstName', email: 'Email', reason: 'Description', status: 'Status__c' })
  assert.equal(fields, { FirstName: 'F'.repeat(40), Status__c: 'new' })
})

mapping('a new Lead gets defaults only where the mapping gave nothing', () => {
  const config = salesforceConfigSchema.parse({ leadSource: 'Answerline', defaultCompany: 'Unknown' })
  const lead = makeLead({ name: null, phone: null })
  assert.equal(createOnlyFields(lead, {}, config), { LeadSource: 'Answerline', LastName: '[not provided]', Company: 'Unknown' })
  assert.equal(createOnlyFields(lead, { LastName: 'X', Company: 'Y' }, config), { LeadSource: 'Answerline' })
})

mapping('round robin is a pure function of the lead id', () => {
  const rule = { kind: 'round_robin' as const, ownerIds: ['005000000000001AAA', '005000000000002AAA'] }
  assert.is(ownerFor('lead-a', rule), ownerFor('lead-a', rule))
  assert.is(ownerFor('lead-a', { kind: 'existing' }), null)
})

mapping('the call Task dates the call where the business is and keeps Description under 32,000 characters', () => {
  assert.is(localDate('2026-03-03T03:30:00.000Z', 'America/New_York'), '2026-03-02')
  assert.is(localDate('2026-03-03T03:30:00.000Z', 'Not/AZone'), '2026-03-03')
  const description = describeCall(makeCall({ transcript: 'Caller: hello '.repeat(5_000) }))
  assert.is(description.length, 32_000)
  assert.ok(description.endsWith('…'))
  assert.not.match(describeCall(makeCall({ transcript: '', recordingUrl: null })), /Transcript|Recording/)
})

mapping.run()
