/** An email address read out of one utterance, not yet normalized. */
export interface SpokenEmail {
  address: string
  /** Written as an address ("john@example.com"), not spoken ("john at example dot com") or spelled ("j o h n"). */
  written: boolean
  /**
   * Nothing but the word "at" marks it as an address ("john at example.com"), so "looking at example.com" reads
   * the same way; the caller should only trust it when email is the topic.
   */
  ambiguous: boolean
}

const SPOKEN_SEPARATORS = new Map([['dot', '.'], ['period', '.'], ['point', '.'], ['underscore', '_'], ['dash', '-'], ['hyphen', '-']])
const WRITTEN_SEPARATORS = new Map([['.', '.'], ['_', '_'], ['-', '-']])
/** Words that end the part before "at" rather than belong to it: "my email is john at …". */
const LEAD_INS = new Set([
  'is', 'email', 'e-mail', 'mail', 'address', 'my', 'its', "it's", 'it', "that's", 'thats', 'was', 'the', 'be', 'me',
  'uh', 'um', 'yeah', 'yes', 'sure', 'okay', 'ok', 'so', 'and', 'or', 'you', 'reach', 'at', 'send', 'to', 'use',
])
/** "J.O.H.N." or "j-o-h-n": letters one at a time, joined by dots or dashes. */
const SPELLED_TOKEN = /^(?:[a-z0-9][.-])+[a-z0-9]\.?$/i
const WORD_TOKEN = /^[a-z0-9][a-z0-9._+-]*$/i

interface Unit {
  text: string
  spelled: boolean
  /** Index just past the unit, in the direction it was read. */
  next: number
}

/** Every email address in `text`, written ("john@example.com"), spoken ("john dot smith at gmail dot com") or spelled ("j o h n at …"). */
export function findSpokenEmails(text: string): SpokenEmail[] {
  const tokens = tokenize(text)
  const found: SpokenEmail[] = []
  tokens.forEach((token, at) => {
    if (token !== '@' && token.toLowerCase() !== 'at') return
    const local = readPart(tokens, at - 1, -1, true)
    const domain = readPart(tokens, at + 1, 1, false)
    if (!local || !domain || !domain.text.includes('.')) return
    const spoken = token !== '@' || local.spoken || domain.spoken
    found.push({ address: `${local.text}@${domain.text}`, written: !spoken, ambiguous: token !== '@' && !local.spoken && !domain.spoken })
  })
  return found
}

/** Words, with '@' split off ("john@example" then "dot com") and sentence punctuation dropped. */
function tokenize(text: string): string[] {
  return text
    .replace(/[’‘]/g, "'")
    .replace(/@/g, ' @ ')
    .split(/[\s,;:!?"()<>[\]]+/)
    .map((token) => (SPELLED_TOKEN.test(token) ? token : token.replace(/^['.]+|['.]+$/g, '')))
    .filter((token) => token !== '')
}

/**
 * The local part (read backwards from "at") or the domain (read forwards): units joined by separators, where a
 * unit is a word or letters spelled one at a time. `spoken` says whether any of it was spelled or said in words.
 */
function readPart(tokens: string[], start: number, step: 1 | -1, isLocal: boolean): { text: string; spoken: boolean } | null {
  let unit = readUnit(tokens, start, step)
  if (!unit) return null
  const pieces = [unit.text]
  let spoken = unit.spelled
  for (;;) {
    const sepToken = (tokens[unit.next] ?? '').toLowerCase()
    const separator = SPOKEN_SEPARATORS.get(sepToken) ?? WRITTEN_SEPARATORS.get(sepToken)
    if (separator === undefined || (!isLocal && separator === '_')) break
    const after = readUnit(tokens, unit.next + step, step)
    if (!after) break
    pieces.push(separator, after.text)
    spoken ||= SPOKEN_SEPARATORS.has(sepToken) || after.spelled
    unit = after
  }
  if (step === -1) pieces.reverse()
  return { text: pieces.join('').toLowerCase(), spoken }
}

function readUnit(tokens: string[], start: number, step: 1 | -1): Unit | null {
  const token = tokens[start]
  if (token === undefined) return null
  if (isSingleCharacter(token)) {
    // Letters said one at a time: gather the whole run ("j o h n"), in the order they were said.
    const letters: string[] = []
    let i = start
    while (isSingleCharacter(tokens[i] ?? '')) {
      letters.push(tokens[i] ?? '')
      i += step
    }
    if (step === -1) letters.reverse()
    return { text: letters.join(''), spelled: true, next: i }
  }
  const lower = token.toLowerCase()
  if (SPOKEN_SEPARATORS.has(lower) || LEAD_INS.has(lower) || token === '@') return null
  if (SPELLED_TOKEN.test(token)) return { text: token.replace(/[.-]/g, ''), spelled: true, next: start + step }
  return WORD_TOKEN.test(token) ? { text: token, spelled: false, next: start + step } : null
}

function isSingleCharacter(token: string): boolean {
  return /^[a-z0-9]$/i.test(token)
}
