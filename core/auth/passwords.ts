import bcrypt from 'bcryptjs'

export const PASSWORD_MIN_LENGTH = 10
// bcrypt reads at most 72 bytes; longer passwords would be silently truncated.
export const PASSWORD_MAX_BYTES = 72

/** What is wrong with a new password, or null when it is acceptable. */
export function passwordProblem(password: string): { code: 'TOO_SHORT' | 'TOO_LONG'; message: string } | null {
  if (password.length < PASSWORD_MIN_LENGTH) return { code: 'TOO_SHORT', message: `Use at least ${PASSWORD_MIN_LENGTH} characters` }
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) return { code: 'TOO_LONG', message: `Use at most ${PASSWORD_MAX_BYTES} bytes` }
  return null
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost)
}

// Compared against when the account does not exist or has no password, so a login attempt takes
// the same time whether or not the email is registered. Made on first use, not at start-up.
let decoyHash: Promise<string> | undefined

/** Checks a password against a stored hash; a missing hash still costs one bcrypt comparison. */
export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  decoyHash ??= bcrypt.hash('answerline-decoy-password', 12)
  const matches = await bcrypt.compare(password, hash ?? (await decoyHash))
  return hash !== null && matches
}
