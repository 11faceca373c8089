/** What a caller's answer to the recording question means. */
export type ConsentAnswer = 'yes' | 'no' | 'unclear'

// Short words a caller says to accept or refuse, per language. Matched as whole words, so
// "yesterday" is not a yes; a sentence holding both ("no, yes") is unclear and asked again.
const WORDS: Record<string, { yes: string[]; no: string[] }> = {
  en: { yes: ['yes', 'yeah', 'yep', 'sure', 'ok', 'okay', 'fine', 'allow', 'agree', 'go ahead', 'of course'], no: ['no', 'nope', 'don\'t', 'do not', 'rather not', 'decline', 'not okay'] },
  es: { yes: ['sí', 'si', 'claro', 'vale', 'de acuerdo', 'acepto'], no: ['no', 'prefiero que no'] },
  fr: { yes: ['oui', 'bien sûr', 'd\'accord', 'ok'], no: ['non', 'pas question'] },
  de: { yes: ['ja', 'gern', 'okay', 'einverstanden'], no: ['nein', 'lieber nicht'] },
}

/**
 * Reads a Gather result: keypad 1 is yes and 2 is no; otherwise the words of the speech result in
 * the agent's language (English as a fallback). Anything else, silence included, is unclear.
 */
export function readConsentAnswer(input: { digits?: string; speech?: string; language: string }): ConsentAnswer {
  if (input.digits === '1') return 'yes'
  if (input.digits === '2') return 'no'
  const speech = (input.speech ?? '').toLowerCase().replace(/[.,!?¿¡]/g, ' ')
  if (!speech.trim()) return 'unclear'
  const words = WORDS[input.language.slice(0, 2)] ?? WORDS.en
  const said = (list: string[]) => list.some((w) => new RegExp(`(^|\\s)${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'u').test(` ${speech} `))
  const yes = said(words?.yes ?? [])
  const no = said(words?.no ?? [])
  if (yes === no) return 'unclear'
  return yes ? 'yes' : 'no'
}
