// SOQL string literals escape with a backslash: \n \r \t \b \f \" \' \\ are the only sequences
// allowed (https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_quotedstringescapes.htm).
// jsforce's own query builder escapes only the quote, so a value ending in a backslash would close
// the literal early; every value we put in a query goes through soqlString instead.
const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
}

/** A value as a quoted SOQL string literal, safe against injection. */
export function soqlString(value: string): string {
  return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (char) => ESCAPES[char] ?? char)}'`
}

/** An API name (Email, Answerline_Id__c, ns__Field__c): letters, digits and underscores, starting with a letter. */
export const API_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/

/** A Salesforce record id: 15 case-sensitive or 18 case-insensitive alphanumerics. */
export const RECORD_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/

/** Interpolates an API name into SOQL, refusing anything that is not one (field names come from config). */
export function soqlName(name: string): string {
  if (!API_NAME.test(name)) throw new TypeError(`not a Salesforce API name: ${JSON.stringify(name)}`)
  return name
}
