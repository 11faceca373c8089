/** Opening hours per weekday in the business's time zone: { mon: [{ open: '09:00', close: '17:00' }], ... }. */
export type WorkingHours = Partial<Record<Weekday, Array<{ open: string; close: string }>>>
type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'

const WEEKDAYS: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' }
const formatters = new Map<string, Intl.DateTimeFormat>()

/**
 * Whether the business is open at `at`, read in its own time zone (so daylight saving and a
 * caller in another zone change nothing). A business with no hours set is always open.
 */
export function isOpen(hours: WorkingHours, timeZone: string, at: Date = new Date()): boolean {
  const days = Object.values(hours)
  if (days.length === 0 || days.every((ranges) => !ranges || ranges.length === 0)) return true
  let format = formatters.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    formatters.set(timeZone, format)
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]))
  const day = WEEKDAYS[parts.weekday ?? '']
  const minute = Number(parts.hour) * 60 + Number(parts.minute)
  return (hours[day as Weekday] ?? []).some(({ open, close }) => minute >= toMinutes(open) && minute < toMinutes(close))
}

function toMinutes(time: string): number {
  const [h, m] = time.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}
