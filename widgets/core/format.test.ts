// Instants are shown in the viewer's time zone; these tests pin it.
process.env.TZ = 'America/New_York'
;(globalThis as { window?: unknown }).window ??= globalThis

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { DateFormatter, formatDuration, humanise } from './format.ts'
import { translate, type MessageKey } from './messages.ts'

const dates = suite('widgets: dates from the message catalog')
const formatter = (locale: string, overrides: Record<string, string> = {}) => new DateFormatter((key: MessageKey, params?: Record<string, string | number>) => translate(locale, key, params, overrides))

dates('English dates read like Intl en-US medium dates with short times, in the viewer time zone', () => {
  const en = formatter('en-US')
  assert.is(en.dateTime('2026-11-29T13:05:00Z'), 'Nov 29, 2026, 8:05 AM')
  assert.is(en.dateTime('2026-11-29T17:30:00Z'), 'Nov 29, 2026, 12:30 PM')
  assert.is(en.dateTime('2026-11-30T05:00:00Z'), 'Nov 30, 2026, 12:00 AM')
  // Summer time: four hours behind UTC, not five.
  assert.is(en.dateTime('2026-07-04T23:59:00Z'), 'Jul 4, 2026, 7:59 PM')
  assert.is(en.date('2026-01-01T12:00:00Z'), 'Jan 1, 2026')
})

dates('Spanish dates put the day first, with the 24-hour clock', () => {
  const es = formatter('es')
  assert.is(es.dateTime('2026-09-03T13:05:00Z'), '3 sept 2026, 09:05')
  assert.is(es.date('2026-12-31T15:00:00Z'), '31 dic 2026')
})

dates('a host overrides the pattern like any other string', () => {
  const gb = formatter('en-GB', { 'format.dateTime': '{day} {month} {year}, {hour24}:{minute}', 'format.date': '{day}/{monthNumber}/{year}' })
  assert.is(gb.dateTime('2026-11-29T13:05:00Z'), '29 Nov 2026, 08:05')
  assert.is(gb.date('2026-03-07T15:00:00Z'), '7/03/2026')
})

dates('what is not an instant is shown as it came, not as "Invalid Date"', () => {
  assert.is(formatter('en').dateTime('soon'), 'soon')
})

dates('durations are minutes and seconds, a dash while unknown', () => {
  assert.is(formatDuration(0), '0:00')
  assert.is(formatDuration(605), '10:05')
  assert.is(formatDuration(null), '—')
})

dates('a code without words in the catalog is still readable', () => {
  assert.is(humanise('message_after_hours'), 'Message after hours')
  assert.is(humanise('spam'), 'Spam')
})

dates.run()
