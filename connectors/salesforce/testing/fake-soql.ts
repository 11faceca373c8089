/**
 * Just enough SOQL for the fake: SELECT fields FROM Object [WHERE cond AND cond ...]
 * [ORDER BY Field [ASC|DESC]] [LIMIT n], where cond is `Field = literal` or `Field IN (literals)`.
 * String literals follow SOQL's escape rules strictly, so a wrongly quoted value fails here the way
 * it would in Salesforce (MALFORMED_QUERY) instead of quietly matching.
 */
export interface ParsedQuery {
  fields: string[]
  object: string
  conditions: Array<{ field: string; values: Literal[] }>
  orderBy: { field: string; descending: boolean } | null
  limit: number | null
}

type Literal = string | number | boolean | null
type Token = { kind: 'word'; text: string } | { kind: 'literal'; value: Literal } | { kind: 'punct'; text: string }

/** A query Salesforce would answer with MALFORMED_QUERY. */
export class SoqlError extends Error {}

const UNESCAPE: Record<string, string> = { n: '\n', N: '\n', r: '\r', R: '\r', t: '\t', T: '\t', b: '\b', B: '\b', f: '\f', F: '\f', '"': '"', "'": "'", '\\': '\\' }

function tokenize(soql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < soql.length) {
    const char = soql[i] as string
    if (/\s/.test(char)) {
      i++
    } else if (char === "'") {
      let value = ''
      i++
      for (;;) {
        if (i >= soql.length) throw new SoqlError('unterminated string literal')
        const c = soql[i] as string
        if (c === "'") break
        if (c === '\\') {
          const escaped = UNESCAPE[soql[i + 1] ?? '']
          if (escaped === undefined) throw new SoqlError(`invalid escape sequence \\${soql[i + 1] ?? ''}`)
          value += escaped
          i += 2
        } else {
          value += c
          i++
        }
      }
      i++
      tokens.push({ kind: 'literal', value })
    } else if ('(),='.includes(char)) {
      tokens.push({ kind: 'punct', text: char })
      i++
    } else {
      const match = /^[A-Za-z0-9_.]+/.exec(soql.slice(i))
      if (!match) throw new SoqlError(`unexpected character ${char}`)
      const text = match[0]
      if (/^\d+$/.test(text)) tokens.push({ kind: 'literal', value: Number(text) })
      else if (/^(true|false|null)$/i.test(text)) tokens.push({ kind: 'literal', value: text.toLowerCase() === 'null' ? null : text.toLowerCase() === 'true' })
      else tokens.push({ kind: 'word', text })
      i += text.length
    }
  }
  return tokens
}

/** Parses the query shapes above; anything else is a SoqlError. */
export function parseSoql(soql: string): ParsedQuery {
  const tokens = tokenize(soql)
  let at = 0
  const peek = () => tokens[at]
  const next = (): Token => {
    const token = tokens[at++]
    if (!token) throw new SoqlError('unexpected end of query')
    return token
  }
  const keyword = (word: string) => {
    const token = next()
    if (token.kind !== 'word' || token.text.toUpperCase() !== word) throw new SoqlError(`expected ${word}`)
  }
  const isKeyword = (word: string) => {
    const token = peek()
    return token?.kind === 'word' && token.text.toUpperCase() === word
  }
  const word = (): string => {
    const token = next()
    if (token.kind !== 'word') throw new SoqlError('expected a name')
    return token.text
  }
  const literal = (): Literal => {
    const token = next()
    if (token.kind !== 'literal') throw new SoqlError('expected a value')
    return token.value
  }
  const punct = (text: string) => {
    const token = next()
    if (token.kind !== 'punct' || token.text !== text) throw new SoqlError(`expected ${text}`)
  }

  keyword('SELECT')
  const fields = [word()]
  while (peek()?.kind === 'punct' && (peek() as { text: string }).text === ',') {
    next()
    fields.push(word())
  }
  keyword('FROM')
  const query: ParsedQuery = { fields, object: word(), conditions: [], orderBy: null, limit: null }
  if (isKeyword('WHERE')) {
    next()
    for (;;) {
      const field = word()
      if (isKeyword('IN')) {
        next()
        punct('(')
        const values = [literal()]
        while ((peek() as { text?: string } | undefined)?.text === ',') {
          next()
          values.push(literal())
        }
        punct(')')
        query.conditions.push({ field, values })
      } else {
        punct('=')
        query.conditions.push({ field, values: [literal()] })
      }
      if (!isKeyword('AND')) break
      next()
    }
  }
  if (isKeyword('ORDER')) {
    next()
    keyword('BY')
    const field = word()
    const descending = isKeyword('DESC')
    if (descending || isKeyword('ASC')) next()
    query.orderBy = { field, descending }
  }
  if (isKeyword('LIMIT')) {
    next()
    query.limit = Number(literal())
  }
  if (at < tokens.length) throw new SoqlError(`unexpected ${JSON.stringify(tokens[at])}`)
  return query
}

/** Text comparisons ignore case, as SOQL's do on text fields. */
function sameValue(a: unknown, b: Literal): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase()
  return (a ?? null) === b
}

/** The rows of `records` the query selects, projected to its fields. */
export function runSoql(query: ParsedQuery, records: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  let rows = records.filter((record) => query.conditions.every((c) => c.values.some((v) => sameValue(record[c.field], v))))
  const order = query.orderBy
  if (order) rows = [...rows].sort((a, b) => String(a[order.field] ?? '').localeCompare(String(b[order.field] ?? '')) * (order.descending ? -1 : 1))
  if (query.limit !== null) rows = rows.slice(0, query.limit)
  return rows.map((row) => Object.fromEntries(query.fields.map((f) => [f, row[f] ?? null])))
}
