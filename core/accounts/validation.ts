import { z } from 'zod'
import { passwordProblem } from '../auth/passwords.ts'
import { userErrorsFromZod } from '../errors/user-error.ts'

/** Emails are compared trimmed and lowercased everywhere, as the database requires. */
export const email = z.string().trim().toLowerCase().max(320, 'Use at most 320 characters').pipe(z.email('Enter a valid email address'))

export const password = z.string().superRefine((value, ctx) => {
  const problem = passwordProblem(value)
  if (problem) ctx.addIssue({ code: problem.code === 'TOO_SHORT' ? 'too_small' : 'too_big', origin: 'string', minimum: 0, maximum: 0, message: problem.message })
})

export const displayName = z.string().trim().max(200, 'Use at most 200 characters')
export const name = z.string().trim().min(1, 'Enter a name').max(200, 'Use at most 200 characters')

export const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}, 'Use an IANA time zone such as America/New_York')

export const country = z.string().regex(/^[A-Z]{2}$/, 'Use a two-letter country code such as US')

/** Parses input with a schema, throwing user errors (input.<field>) when it does not fit. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input)
  if (!parsed.success) throw userErrorsFromZod(parsed.error)
  return parsed.data
}
