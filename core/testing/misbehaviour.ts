/**
 * What the local stand-ins for providers (HubSpot, Stripe, ...) share: a script of misbehaviours,
 * each used up by the first request it matches, so a test can make the next call fail in a chosen way.
 */
export interface Misbehaviour {
  /** Matches `METHOD /path` by substring or pattern; none matches every request. */
  match?: string | RegExp
  /** Answer with this status (and body and headers) instead of the real answer. */
  status?: number
  body?: unknown
  headers?: Record<string, string>
  /** Wait this long first (then answer normally, or with `status`). */
  delayMs?: number
  /** Destroy the connection without answering. */
  drop?: boolean
}

/** Takes the first misbehaviour of the script matching this request off the script. */
export function takeMisbehaviour<M extends Misbehaviour>(script: M[], method: string, path: string): M | undefined {
  const line = `${method} ${path}`
  const at = script.findIndex((entry) => !entry.match || (typeof entry.match === 'string' ? line.includes(entry.match) : entry.match.test(line)))
  return at >= 0 ? script.splice(at, 1)[0] : undefined
}
