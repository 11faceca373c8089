/** One stretch of digits as the caller said it; each group is a token of digits, kept apart so a caller may trim it. */
export interface DigitRun {
  groups: DigitGroup[]
}

export interface DigitGroup {
  /** Digits, with a leading '+' when the caller said "plus" or wrote one. */
  digits: string
  /** Whether the caller said these digits in words ("four", "oh", "double five") rather than as figures. */
  inWords: boolean
}

// Maps, not object literals, so a word like "constructor" cannot match an inherited property.
const UNITS = new Map(Object.entries({
  zero: '0', oh: '0', o: '0', nought: '0', one: '1', two: '2', three: '3', four: '4',
  five: '5', six: '6', seven: '7', eight: '8', nine: '9',
}))
const TEENS = new Map(Object.entries({
  ten: '10', eleven: '11', twelve: '12', thirteen: '13', fourteen: '14',
  fifteen: '15', sixteen: '16', seventeen: '17', eighteen: '18', nineteen: '19',
}))
const TENS = new Map(Object.entries({ twenty: '2', thirty: '3', forty: '4', fifty: '5', sixty: '6', seventy: '7', eighty: '8', ninety: '9' }))
const REPEATS = new Map([['double', 2], ['triple', 3]])
/** Hesitations a caller drops between digits without ending the number. */
const FILLERS = new Set(['uh', 'um', 'er', 'erm', 'ah'])
/** Punctuation people and transcribers put inside a number: "(415) 555-0134", "415.555.0134", "four one five, 555". */
const SEPARATORS = new Set(['(', ')', '-', '.', ',', '/'])
/** A run longer than this is not a phone number, and bounds the work garbage input can cause. */
const MAX_GROUPS = 40

/**
 * Every run of digits in `text`, whether spoken as figures ("415 555 0134"), words ("four one five, oh one three
 * four", "double five", "four fifteen") or a mix. Separators and hesitations do not end a run; any other word does.
 */
export function findDigitRuns(text: string): DigitRun[] {
  const tokens = text.toLowerCase().match(/\+?\d+|[a-z]+|[^\sa-z\d]/g) ?? []
  const runs: DigitRun[] = []
  let groups: DigitGroup[] = []
  const endRun = () => {
    if (groups.length > 0 && groups.length <= MAX_GROUPS) runs.push({ groups })
    groups = []
  }
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? ''
    const next = tokens[i + 1] ?? ''
    const unit = UNITS.get(token)
    const teen = TEENS.get(token)
    const tens = TENS.get(token)
    const repeat = REPEATS.get(token)
    if (/^\+?\d+$/.test(token)) {
      groups.push({ digits: token, inWords: false })
    } else if (token === '+' || token === 'plus') {
      endRun()
      groups.push({ digits: '+', inWords: token === 'plus' })
    } else if (unit !== undefined) {
      groups.push({ digits: unit, inWords: true })
    } else if (teen !== undefined) {
      groups.push({ digits: teen, inWords: true })
    } else if (tens !== undefined) {
      // "twenty one" (or "twenty-one") is 21, a bare "twenty" is 20.
      const unitAt = next === '-' ? i + 2 : i + 1
      const following = UNITS.get(tokens[unitAt] ?? '')
      const joined = following !== undefined && following !== '0'
      groups.push({ digits: tens + (joined ? following : '0'), inWords: true })
      if (joined) i = unitAt
    } else if ((token === 'hundred' || token === 'thousand') && groups.length > 0) {
      // "eight hundred" is 800, "oh one hundred" is 0100.
      groups.push({ digits: token === 'hundred' ? '00' : '000', inWords: true })
    } else if (repeat !== undefined && (UNITS.has(next) || /^\d$/.test(next))) {
      groups.push({ digits: (UNITS.get(next) ?? next).repeat(repeat), inWords: true })
      i++
    } else if (!SEPARATORS.has(token) && !FILLERS.has(token)) {
      endRun()
    }
  }
  endRun()
  return runs
}

/** The digits of groups[from..to), joined. */
export function joinGroups(groups: DigitGroup[], from = 0, to = groups.length): string {
  return groups.slice(from, to).map((group) => group.digits).join('')
}
