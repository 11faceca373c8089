import * as assert from 'uvu/assert'
import { TEST_PASSWORD } from '../../core/testing/accounts.ts'
import { graphqlRequest } from '../../core/testing/graphql-request.ts'
import type { TestApp } from '../../core/testing/test-app.ts'

/** Signs in with the test password through GraphQL, as a client would; returns the access token. */
export async function signIn(t: TestApp, email: string, password = TEST_PASSWORD): Promise<string> {
  const result = await graphqlRequest(t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } userErrors { code } } }', { i: { email, password } })
  assert.equal(result.data?.logIn?.userErrors, [], `${email} could not sign in`)
  return result.data.logIn.tokens.accessToken
}

/** Runs a mutation that takes `input` and returns its payload (the field named like the mutation). */
export async function mutate(t: TestApp, token: string | null, name: string, inputType: string, selection: string, input: Record<string, unknown>): Promise<Record<string, any>> {
  const result = await graphqlRequest(t.app, `mutation($i: ${inputType}!) { ${name}(input: $i) { ${selection} userErrors { field code message } } }`, { i: input }, token ? { token } : {})
  assert.equal(result.errors, undefined, `${name}: ${JSON.stringify(result.errors)}`)
  return result.data[name]
}

/** The newest email sent to an address whose subject matches. */
export function lastMailTo(t: TestApp, to: string, subject: RegExp) {
  return t.app.mailer.outbox.filter((mail) => mail.to === to && subject.test(mail.subject)).at(-1)
}
