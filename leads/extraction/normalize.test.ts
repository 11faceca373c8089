import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { CaptureField } from './lead-fields.ts'
import { normalizeCustomValue, normalizeEmail, normalizePhone, normalizeText } from './normalize.ts'

/** Values from the model or the transcript become what the leads table accepts, or null. */
const normalize = suite('lead extraction: value normalization')

const field = (type: CaptureField['type'], options?: string[]): CaptureField => ({ key: 'f', label: 'F', type, required: false, ...(options ? { options } : {}) })

/** The leads.email check constraint, as PostgreSQL would evaluate it (btrim trims spaces only). */
const passesEmailCheck = (email: string) => email === email.replace(/^ +| +$/g, '').toLowerCase() && /^[^@\s]+@[^@\s]+$/.test(email)

normalize('phones become E.164 in the call country', () => {
  assert.is(normalizePhone('(415) 555-0100', 'US'), '+14155550100')
  assert.is(normalizePhone('+44 20 7946 0958', 'US'), '+442079460958')
  assert.is(normalizePhone('020 7946 0958', 'GB'), '+442079460958')
  assert.is(normalizePhone('4155550134', 'us'), '+14155550134')
  assert.is(normalizePhone('1-415-555-0134', 'US'), '+14155550134')
  assert.is(normalizePhone('+14155550134', ''), '+14155550134', 'a number with its country code needs no country')
})

normalize('phones that are not possible numbers are null', () => {
  for (const raw of ['anonymous', 'client:alice', '', '   ', '555-0134', '12345', '4155550134999', '+', 'call me maybe', '020 7946 0958 x']) {
    assert.is(normalizePhone(raw, 'US'), null, raw)
  }
  assert.is(normalizePhone('020 7946 0958', 'XX'), null, 'a national number in an unknown country')
  assert.is(normalizePhone(undefined as unknown as string, 'US'), null)
})

normalize('emails are trimmed, lower-cased and checked', () => {
  assert.is(normalizeEmail('  John.Smith@Example.COM '), 'john.smith@example.com')
  assert.is(normalizeEmail('j_smith+leads@mail.example.co.uk'), 'j_smith+leads@mail.example.co.uk')
  for (const good of ['a@b.co', 'Dana@Example.org']) assert.ok(passesEmailCheck(normalizeEmail(good) ?? ''), good)
})

normalize('invalid emails are null', () => {
  const bad = ['', 'john', 'john@', '@example.com', 'john@example', 'john@@example.com', 'jo hn@example.com', 'john@example.c', 'john@example.c0m',
    'john@exa mple.com', '.john@example.com', 'john.@example.com', 'jo..hn@example.com', 'john@-example.com', 'john@example..com', 'jöhn@example.com',
    `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(250)}.com`]
  for (const raw of bad) assert.is(normalizeEmail(raw), null, raw)
})

normalize('text collapses whitespace and is cut to length', () => {
  assert.is(normalizeText('  my   sink\n\tis leaking  ', 100), 'my sink is leaking')
  assert.is(normalizeText('abcdef', 3), 'abc')
  assert.is(normalizeText('ab cdef', 3), 'ab', 'no trailing space after the cut')
  assert.is(normalizeText('😀😀😀', 2), '😀😀', 'cut by character, not UTF-16 unit')
  assert.is(normalizeText('a\u0000b', 10), 'ab', 'NUL cannot be stored in PostgreSQL text')
  assert.is(normalizeText(' \n ', 10), null)
  assert.is(normalizeText('', 10), null)
})

normalize('custom text and number values', () => {
  assert.is(normalizeCustomValue(field('text'), '  two   units ', 'US'), 'two units')
  assert.is(normalizeCustomValue(field('text'), 'x'.repeat(600), 'US'), 'x'.repeat(500))
  assert.is(normalizeCustomValue(field('text'), 3, 'US'), '3')
  assert.is(normalizeCustomValue(field('text'), {}, 'US'), null)
  assert.is(normalizeCustomValue(field('number'), '3', 'US'), 3)
  assert.is(normalizeCustomValue(field('number'), ' 3.5 ', 'US'), 3.5)
  assert.is(normalizeCustomValue(field('number'), -2, 'US'), -2)
  for (const bad of ['', 'three', '0x10', '3 units', Infinity, NaN, null, true]) assert.is(normalizeCustomValue(field('number'), bad, 'US'), null, String(bad))
})

normalize('custom boolean values', () => {
  assert.is(normalizeCustomValue(field('boolean'), true, 'US'), true)
  assert.is(normalizeCustomValue(field('boolean'), false, 'US'), false)
  assert.is(normalizeCustomValue(field('boolean'), 'Yes', 'US'), true)
  assert.is(normalizeCustomValue(field('boolean'), ' no ', 'US'), false)
  assert.is(normalizeCustomValue(field('boolean'), 'TRUE', 'US'), true)
  assert.is(normalizeCustomValue(field('boolean'), 'false', 'US'), false)
  for (const bad of ['maybe', '', 1, null]) assert.is(normalizeCustomValue(field('boolean'), bad, 'US'), null, String(bad))
})

normalize('custom date values are real dates as YYYY-MM-DD', () => {
  assert.is(normalizeCustomValue(field('date'), '2025-03-14', 'US'), '2025-03-14')
  assert.is(normalizeCustomValue(field('date'), '2025-03-14T09:30:00Z', 'US'), '2025-03-14')
  assert.is(normalizeCustomValue(field('date'), '2025-03-01T23:00:00-08:00', 'US'), '2025-03-01', 'the date as said, not shifted to UTC')
  assert.is(normalizeCustomValue(field('date'), '2024-02-29', 'US'), '2024-02-29')
  for (const bad of ['2025-02-29', '2025-13-01', '2025-04-31', 'tomorrow', '03/14/2025', '2025-3-14', '2025-03-14junk', 20250314]) {
    assert.is(normalizeCustomValue(field('date'), bad, 'US'), null, String(bad))
  }
})

normalize('custom choice values take the option spelling', () => {
  const sizes = field('choice', ['Small', 'Large home', 'XL'])
  assert.is(normalizeCustomValue(sizes, 'small', 'US'), 'Small')
  assert.is(normalizeCustomValue(sizes, ' LARGE   HOME ', 'US'), 'Large home')
  assert.is(normalizeCustomValue(sizes, 'medium', 'US'), null)
  assert.is(normalizeCustomValue(sizes, 1, 'US'), null)
})

normalize('custom email and phone values', () => {
  assert.is(normalizeCustomValue(field('email'), ' Dana@Example.com ', 'US'), 'dana@example.com')
  assert.is(normalizeCustomValue(field('email'), 'dana at example', 'US'), null)
  assert.is(normalizeCustomValue(field('phone'), '(415) 555-0134', 'US'), '+14155550134')
  assert.is(normalizeCustomValue(field('phone'), '020 7946 0958', 'GB'), '+442079460958')
  assert.is(normalizeCustomValue(field('phone'), 'anonymous', 'US'), null)
  assert.is(normalizeCustomValue(field('phone'), 4155550134, 'US'), null)
})

normalize.run()
