/** Date and time in the viewer's locale; an unknown locale tag falls back to the browser's format rather than throwing. */
export function dateFormatFor(locale: string): Intl.DateTimeFormat {
  const options = { dateStyle: 'medium', timeStyle: 'short' } as const
  try {
    return new Intl.DateTimeFormat(locale, options)
  } catch {
    return new Intl.DateTimeFormat(undefined, options)
  }
}

/** A call's length as m:ss; a dash while unknown. */
export const formatDuration = (seconds: number | null) => (seconds === null ? '—' : `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`)
