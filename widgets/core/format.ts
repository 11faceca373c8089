import type { MessageKey } from './messages.ts'

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string

/**
 * Formats instants in the viewer's time zone with the patterns of the message catalog
 * (`format.dateTime`, `format.date`, `format.months`, `format.am`, `format.pm`), so dates speak the
 * widget's language and a host changes them the way it changes any string (an en-GB page sets
 * `format.dateTime` to `{day} {month} {year}, {hour24}:{minute}`). Intl.DateTimeFormat is not
 * used: the first one a page makes stalls it for 30-60 ms while the browser loads the locale's
 * data, which was a third of the call log's first render.
 *
 * Pattern fields: {year}, {month} (short name), {monthNumber}, {day}, {hour} (1-12), {hour24}
 * (00-23), {minute} (00-59), {period} (AM or PM).
 */
export class DateFormatter {
  readonly #t: Translate
  readonly #months: string[]
  readonly #am: string
  readonly #pm: string

  constructor(t: Translate) {
    this.#t = t
    this.#months = t('format.months').split(' ')
    this.#am = t('format.am')
    this.#pm = t('format.pm')
  }

  /** Date and time, e.g. "Nov 29, 2026, 8:05 AM". */
  dateTime(iso: string): string {
    return this.#format('format.dateTime', iso)
  }

  /** The day only, e.g. "Nov 29, 2026". */
  date(iso: string): string {
    return this.#format('format.date', iso)
  }

  #format(pattern: 'format.dateTime' | 'format.date', iso: string): string {
    const at = new Date(iso)
    if (Number.isNaN(at.getTime())) return iso
    const hours = at.getHours()
    return this.#t(pattern, {
      year: at.getFullYear(),
      month: this.#months[at.getMonth()] ?? String(at.getMonth() + 1),
      monthNumber: String(at.getMonth() + 1).padStart(2, '0'),
      day: at.getDate(),
      hour: hours % 12 || 12,
      hour24: String(hours).padStart(2, '0'),
      minute: String(at.getMinutes()).padStart(2, '0'),
      period: hours < 12 ? this.#am : this.#pm,
    })
  }
}

/** A call's length as m:ss; a dash while unknown. */
export const formatDuration = (seconds: number | null) => (seconds === null ? '—' : `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`)

/** A code the catalog has no words for, readable: "message_after_hours" -> "Message after hours". */
export const humanise = (code: string) => code.charAt(0).toUpperCase() + code.slice(1).replaceAll('_', ' ')
