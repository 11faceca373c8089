// The first formatter of a page costs tens of milliseconds (the browser loads the locale's data),
// so each locale's is made once and shared by every element.
const formats = new Map<string, Intl.DateTimeFormat>()

/** Date and time in the viewer's locale; an unknown locale tag falls back to the browser's format rather than throwing. */
export function dateFormatFor(locale: string): Intl.DateTimeFormat {
  let format = formats.get(locale)
  if (!format) {
    const options = { dateStyle: 'medium', timeStyle: 'short' } as const
    try {
      format = new Intl.DateTimeFormat(locale, options)
    } catch {
      format = new Intl.DateTimeFormat(undefined, options)
    }
    formats.set(locale, format)
  }
  return format
}

/** A call's length as m:ss; a dash while unknown. */
export const formatDuration = (seconds: number | null) => (seconds === null ? '—' : `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`)
