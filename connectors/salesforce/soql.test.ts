import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { soqlName, soqlString } from './soql.ts'
import { parseSoql } from './testing/fake-soql.ts'

const soql = suite('soql: values are quoted so a query means what it says')

soql('every escape SOQL defines round-trips through a strict parser', () => {
  for (const value of ["O'Brien", 'back\\slash\\', 'quote"d', 'line\nbreak\r\ttab\b\f', "x' OR Email != '", '\\\'', 'plain@example.com']) {
    const parsed = parseSoql(`SELECT Id FROM Lead WHERE Email = ${soqlString(value)} LIMIT 1`)
    assert.equal(parsed.conditions, [{ field: 'Email', values: [value] }], value)
    assert.is(parsed.limit, 1)
  }
})

soql('a trailing backslash cannot end the literal early (the bug in jsforce\'s own quoting)', () => {
  assert.is(soqlString('a\\'), "'a\\\\'")
  assert.throws(() => parseSoql("SELECT Id FROM Lead WHERE Email = 'a\\'"), /unterminated/)
})

soql('only API names are interpolated as field names', () => {
  assert.is(soqlName('Answerline_Id__c'), 'Answerline_Id__c')
  for (const bad of ["Id' OR", 'Email = 1', '', '1Field', 'a'.repeat(81)]) assert.throws(() => soqlName(bad), /not a Salesforce API name/)
})

soql.run()
