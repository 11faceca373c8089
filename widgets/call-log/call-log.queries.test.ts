// Days start at local midnight; these tests pin the viewer's time zone.
process.env.TZ = 'America/New_York'

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { hasFilters, matchesFilters, NO_FILTERS, toCallFilter, type CallLogFilters, type CallRow } from './call-log.queries.ts'

const filters = suite('widgets: the call log filters as the api reads them')
// 10:00 in New York on Sunday 29 November 2026.
const now = new Date('2026-11-29T15:00:00Z')
const with_ = (changes: Partial<CallLogFilters>): CallLogFilters => ({ ...NO_FILTERS, ...changes })
const call = (startedAt: string): CallRow => ({ id: 'c', fromNumber: '+15550001111', startedAt, durationSeconds: 60, status: 'COMPLETED', outcome: null, escalated: false, consent: null, lead: null })

filters('no filter asks for every call', () => {
  assert.is(toCallFilter(NO_FILTERS, now), null)
  assert.not.ok(hasFilters(NO_FILTERS))
})

filters('date ranges start at local midnight, counting today as the first day', () => {
  assert.equal(toCallFilter(with_({ range: 'today' }), now), { startedAfter: '2026-11-29T05:00:00.000Z' })
  assert.equal(toCallFilter(with_({ range: 'week' }), now), { startedAfter: '2026-11-23T05:00:00.000Z' })
  // Thirty days back crosses the end of summer time (1 November): midnight was then at 04:00 UTC.
  assert.equal(toCallFilter(with_({ range: 'month' }), now), { startedAfter: '2026-10-31T04:00:00.000Z' })
})

filters('chosen dates count only while "Choose dates" is picked, and the last day is included whole', () => {
  const dates = { from: '2026-11-02', to: '2026-11-03' }
  assert.equal(toCallFilter(with_({ range: 'custom', ...dates }), now), { startedAfter: '2026-11-02T05:00:00.000Z', startedBefore: '2026-11-04T05:00:00.000Z' })
  assert.is(toCallFilter(with_({ range: '', ...dates }), now), null)
  // "Choose dates" with no date yet narrows nothing: the list is not "filtered to empty".
  assert.not.ok(hasFilters(with_({ range: 'custom' })))
  assert.equal(toCallFilter(with_({ range: 'custom', to: 'not a date' }), now), null)
})

filters('the other filters', () => {
  assert.equal(toCallFilter(with_({ search: '  dentist ', status: 'COMPLETED', outcome: 'message_taken', temperature: 'HOT', consent: 'GIVEN', escalated: 'no' }), now), { search: 'dentist', status: ['COMPLETED'], outcome: 'message_taken', temperature: ['HOT'], consent: 'GIVEN', escalated: false })
})

filters('a live call is placed in the list only with the outcome asked for', () => {
  const taken = { ...call(new Date().toISOString()), outcome: 'message_taken' }
  assert.ok(matchesFilters(taken, with_({ outcome: 'message_taken' })))
  assert.not.ok(matchesFilters(taken, with_({ outcome: 'lead_captured' })))
  assert.not.ok(matchesFilters(call(new Date().toISOString()), with_({ outcome: 'message_taken' })))
})

filters('a live call is placed in the list only when the date range holds it', () => {
  assert.ok(matchesFilters(call(new Date().toISOString()), with_({ range: 'today' })))
  assert.not.ok(matchesFilters(call('2020-01-01T12:00:00Z'), with_({ range: 'month' })))
  assert.ok(matchesFilters(call('2026-11-03T23:00:00-05:00'), with_({ range: 'custom', from: '2026-11-02', to: '2026-11-03' })))
  assert.not.ok(matchesFilters(call('2026-11-04T00:00:00-05:00'), with_({ range: 'custom', from: '2026-11-02', to: '2026-11-03' })))
})

filters.run()
