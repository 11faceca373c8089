/** A caller's name as they gave it, title-cased. */
export interface SpokenName {
  value: string
  /** Where the caller spelled it letter by letter, if they did: in the same turn or in their next one. */
  spelledIn: 'same' | 'next' | null
}

interface Trigger {
  pattern: RegExp
  /** Whether lower-case words may be a name: only after "my name is" is a lower-case transcript still unambiguous. */
  lowercase: boolean
  /** What must follow the name for the phrase to be an introduction: "it's Dana speaking", not "it's Tuesday". */
  ending?: RegExp
}

const TRIGGERS: Trigger[] = [
  { pattern: /\bmy name(?:'s| is)\s+/gi, lowercase: true },
  { pattern: /\bname's\s+/gi, lowercase: true },
  { pattern: /\bcall me\s+/gi, lowercase: false },
  { pattern: /\bthis is\s+/gi, lowercase: false },
  { pattern: /\bi(?:'m| am)\s+/gi, lowercase: false },
  { pattern: /\bit(?:'s| is)\s+/gi, lowercase: false, ending: /^[\s,]*(?:speaking|here)\b/i },
]
/** The agent's question that makes the caller's next short answer a name. */
const ASKS_NAME = /\b(?:your name|who am i speaking|who(?:'s| is) (?:calling|this)|may i (?:have|ask) who|what(?:'s| is) the name|name,? please)\b/i
const ANSWER_LEAD_IN = /^(?:(?:yeah|yes|yep|sure|oh|um|uh|hi|hello|okay|ok|so|it's|it is|this is|i'm|i am)\b[\s,.!]*)*/i
/** "spelled D A N A", "that's D-A-N-A", or the letters alone at the start of what is left. */
const SPELLING = /(?:^|\b(?:spelled|spelt|spell|that's|that is|it's|it is)[\s,:]+)((?:\p{L}[\s,.-]+)+\p{L})\b\.?/iu
const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'mister', 'dr'])
/** Capitalized words that follow "I'm" or "this is" without being a name: "I'm Calling", "This is Urgent". */
const COMMON_WORDS = new Set(`a an the and but or so to of in on at for from with about over near by up out back home away here there
i me my you your we our they their he she his her it its this that what who how why when where which
is am are was were be been being do does did have has had will would can could just not no yes yeah well um uh oh hi hello hey
calling call phoning ringing reaching returning looking trying wondering hoping wanting needing asking inquiring enquiring
having getting going gonna interested experiencing seeing noticing located based sorry afraid glad happy pleased excited
good fine great okay ok sure ready done busy available aware worried concerned sick tired late early new old
really very actually also still now today tomorrow again always never currently probably definitely basically right wrong
please thanks thank speaking someone somebody anyone nobody urgent emergency`.split(/\s+/))

/**
 * The name a caller gives in `text`: after "my name is", "this is", "I'm", "call me", "name's" or "it's … speaking",
 * or as the whole answer to the agent asking for it (`agentBefore`). A spelling that follows in the same turn or in
 * `nextCallerText` corrects the word it starts like ("Dayna … D A N A" gives "Dana").
 */
export function findSpokenName(text: string, agentBefore: string, nextCallerText: string): SpokenName | null {
  const read = readIntroduction(text) ?? readAnswer(text, agentBefore)
  if (!read) return null
  const { words, spelled, rest } = read
  if (!spelled) {
    for (const [source, where] of [[rest.replace(/^[\s,.!?;:-]+/, ''), 'same'], [nextCallerText.replace(ANSWER_LEAD_IN, ''), 'next']] as const) {
      const letters = readSpelling(source)
      // A spelling corrects a word it plausibly spells: same first letter, about as long ("A C unit" is no respelling of "Alice").
      const index = letters ? words.findIndex((w) => w[0]?.toLowerCase() === letters[0]?.toLowerCase() && Math.abs(w.length - letters.length) <= 2) : -1
      if (!letters || index < 0) continue
      words[index] = letters
      return { value: words.map(titleCase).join(' '), spelledIn: where }
    }
  }
  return { value: words.map(titleCase).join(' '), spelledIn: spelled ? 'same' : null }
}

interface NameWords {
  words: string[]
  spelled: boolean
  /** Whether the name ends its sentence, as a bare answer must. */
  closed: boolean
  /** The text after the name. */
  rest: string
}

function readIntroduction(text: string): NameWords | null {
  const matches = TRIGGERS.flatMap((trigger) => [...text.matchAll(trigger.pattern)].map((match) => ({ trigger, match })))
  matches.sort((a, b) => (a.match.index ?? 0) - (b.match.index ?? 0))
  for (const { trigger, match } of matches) {
    const read = readNameWords(text.slice((match.index ?? 0) + match[0].length), trigger.lowercase)
    if (read && (!trigger.ending || trigger.ending.test(read.rest))) return read
  }
  return null
}

function readAnswer(text: string, agentBefore: string): NameWords | null {
  if (!ASKS_NAME.test(agentBefore)) return null
  const read = readNameWords(text.replace(ANSWER_LEAD_IN, ''), false)
  return read?.closed ? read : null
}

/** Up to three name words: capitalized (or, when allowed, lower-case) and not common words, or letters spelled one by one. */
function readNameWords(text: string, allowLowercase: boolean): NameWords | null {
  const tokens = [...text.matchAll(/\S+/g)].map((match) => ({ raw: match[0], at: match.index ?? 0 }))
  const words: string[] = []
  let spelled = false
  let next = 0
  // Sentence punctuation after a word ends the name: "This is Dana. Whitfield Road flooded…"
  let ended = false
  while (next < tokens.length && words.length < 3 && !ended) {
    const raw = tokens[next]?.raw ?? ''
    const word = raw.replace(/[.,!?;:]+$/, '')
    const letters = readLetterRun(tokens.slice(next).map((token) => token.raw))
    if (letters.length >= 2) {
      // "D A N A" is one word, and a name spelled out is the whole name.
      words.push(letters)
      spelled = ended = true
      next += letters.length
      continue
    }
    if (/^(?:\p{L}[.-])+\p{L}\.?$/u.test(raw)) {
      words.push(raw.replace(/[.-]/g, ''))
      spelled = true
    } else if (words.length === 0 && TITLES.has(word.toLowerCase())) {
      next++
      continue
    } else if (/'s$/i.test(word)) {
      return null // "this is John's wife": the name is not the caller's.
    } else if ((/^\p{Lu}[\p{L}'-]*$/u.test(word) || (allowLowercase && /^\p{Ll}[\p{L}'-]*$/u.test(word))) && !COMMON_WORDS.has(word.toLowerCase())) {
      words.push(word)
    } else {
      break
    }
    next++
    ended = word !== raw
  }
  if (words.length === 0) return null
  const rest = text.slice(tokens[next]?.at ?? text.length)
  return { words, spelled, closed: ended || rest.trim() === '', rest }
}

/** The letters of single-letter tokens at the start of `tokens` ("D", "A,", "N", "A."). */
function readLetterRun(tokens: string[]): string {
  let letters = ''
  for (const token of tokens) {
    if (!/^\p{L}[.,]?$/u.test(token)) break
    letters += Array.from(token)[0] ?? ''
  }
  return letters
}

function readSpelling(text: string): string | null {
  const match = SPELLING.exec(text)
  if (!match) return null
  // Letters that run into "at" are an email address being spelled, not a name.
  if (/^\s*(?:at\b|@)/i.test(text.slice((match.index ?? 0) + match[0].length))) return null
  return (match[1] ?? '').replace(/[^\p{L}]/gu, '')
}

/** "dana" and "DANA" become "Dana", "o'brien" "O'Brien"; a name already in mixed case ("McKay") is kept as said. */
function titleCase(word: string): string {
  if (word !== word.toLowerCase() && word !== word.toUpperCase()) return word
  return word.toLowerCase().replace(/(^|['-])(\p{L})/gu, (_, mark: string, letter: string) => mark + letter.toUpperCase())
}
