/**
 * Rectification by the user: name and language corrected at once, an email address only once a
 * code sent to the new address comes back; taken addresses refused; the old address told; the
 * audit log names the fields, never their values.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { buildApp } from '../app.ts'
import { insertApiKey, insertOrganization, insertUser, TEST_PASSWORD } from '../core/testing/accounts.ts'
import { errorCodes, graphqlRequest } from '../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../core/testing/test-app.ts'
import { lastMailTo, mutate, signIn } from './testing/signed-in-user.ts'

const rectification = suite<{ t: TestApp }>('privacy: rectification of a user\'s own data')
rectification.before(async (ctx) => {
  ctx.t = await openTestApp(buildApp)
})
rectification.after((ctx) => ctx.t.close())

const PROFILE = ['updateMyProfile', 'UpdateMyProfileInput', 'user { displayName locale }'] as const
const REQUEST = ['requestEmailChange', 'RequestEmailChangeInput', 'codeSent'] as const
const CONFIRM = ['confirmEmailChange', 'ConfirmEmailChangeInput', 'user { email emailVerified }'] as const

const auditOf = (t: TestApp, userId: string, action: string) => t.test.db('audit_log').where({ actor_id: userId, action }).orderBy('created_at').select('metadata', 'target_id')
const codeIn = (text: string) => /^\s{4}(\d{6})$/m.exec(text)?.[1] as string

rectification('name and language are corrected; the audit log keeps which fields changed, not their values', async ({ t }) => {
  const user = await insertUser(t.test.db)
  const token = await signIn(t, user.email)
  const changed = await mutate(t, token, ...PROFILE, { displayName: '  Ada Lovelace ', locale: 'en-GB' })
  assert.equal(changed, { user: { displayName: 'Ada Lovelace', locale: 'en-GB' }, userErrors: [] })
  const audit = await auditOf(t, user.id, 'user.rectified')
  assert.equal(audit, [{ metadata: { fields: ['displayName', 'locale'] }, target_id: user.id }])
  assert.not.match(JSON.stringify(audit), /Ada|en-GB/)

  // Only the locale, and the same name again: one field changed, one entry more.
  assert.equal((await mutate(t, token, ...PROFILE, { displayName: 'Ada Lovelace', locale: 'fr', })).user, { displayName: 'Ada Lovelace', locale: 'fr' })
  assert.equal((await auditOf(t, user.id, 'user.rectified')).map((a: { metadata: unknown }) => a.metadata), [{ fields: ['displayName', 'locale'] }, { fields: ['locale'] }])
  // Absent (null) leaves a field alone; nothing changed, nothing audited.
  assert.equal((await mutate(t, token, ...PROFILE, { displayName: null })).user, { displayName: 'Ada Lovelace', locale: 'fr' })
  assert.is((await auditOf(t, user.id, 'user.rectified')).length, 2)
})

rectification('invalid values are typed user errors and change nothing', async ({ t }) => {
  const user = await insertUser(t.test.db)
  const token = await signIn(t, user.email)
  const refused = await mutate(t, token, ...PROFILE, { displayName: 'x'.repeat(201), locale: 'english' })
  assert.equal(refused.user, null)
  assert.equal(refused.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code]), [['input.displayName', 'TOO_LONG'], ['input.locale', 'INVALID']])
  const row = await t.test.db('users').where({ id: user.id }).first('display_name', 'locale')
  assert.equal(row, { display_name: '', locale: 'en' })
  assert.is((await auditOf(t, user.id, 'user.rectified')).length, 0)
})

rectification('a new email address applies only after the code sent to it comes back; the old address is told', async ({ t }) => {
  const user = await insertUser(t.test.db)
  const token = await signIn(t, user.email)
  const newEmail = `new-${user.id.slice(0, 8)}@example.org`
  assert.equal(await mutate(t, token, ...REQUEST, { newEmail: ` ${newEmail.toUpperCase()} ` }), { codeSent: true, userErrors: [] })
  const mail = lastMailTo(t, newEmail, /Confirm your new email/)
  assert.ok(mail, 'the code went to the new address')
  assert.is((await t.test.db('users').where({ id: user.id }).first('email')).email, user.email, 'nothing changes before the code is confirmed')

  const wrong = await mutate(t, token, ...CONFIRM, { newEmail, code: codeIn(mail.text) === '000000' ? '111111' : '000000' })
  assert.equal([wrong.user, wrong.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code])], [null, [['input.code', 'INVALID']]])
  assert.is((await t.test.db('users').where({ id: user.id }).first('email')).email, user.email)

  const confirmed = await mutate(t, token, ...CONFIRM, { newEmail, code: codeIn(mail.text) })
  assert.equal(confirmed, { user: { email: newEmail, emailVerified: true }, userErrors: [] })
  const alert = lastMailTo(t, user.email, /security alert: Your email address was changed/)
  assert.ok(alert, 'the old address hears of the change')
  assert.not.match(alert.text, new RegExp(newEmail), 'and is not told the new address')

  // The new address signs in; the old one no longer does.
  await signIn(t, newEmail)
  const old = await graphqlRequest(t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { userErrors { code } } }', { i: { email: user.email, password: TEST_PASSWORD } })
  assert.equal(old.data.logIn.userErrors, [{ code: 'INVALID_CREDENTIALS' }])
  // The code works once.
  assert.equal((await mutate(t, token, ...CONFIRM, { newEmail, code: codeIn(mail.text) })).userErrors.map((e: { code: string }) => e.code), ['INVALID'])

  const audit = await t.test.db('audit_log').where({ actor_id: user.id }).whereIn('action', ['user.rectified', 'user.email_change_requested']).orderBy('created_at').select('action', 'metadata')
  assert.equal(audit, [{ action: 'user.email_change_requested', metadata: {} }, { action: 'user.rectified', metadata: { fields: ['email'] } }])
  assert.not.match(JSON.stringify(await t.test.db('audit_log').where({ actor_id: user.id }).select('metadata')), /@/)
})

rectification('an address another account uses is refused, when asked and when confirmed', async ({ t }) => {
  const user = await insertUser(t.test.db)
  const other = await insertUser(t.test.db)
  const token = await signIn(t, user.email)
  const taken = await mutate(t, token, ...REQUEST, { newEmail: other.email })
  assert.equal([taken.codeSent, taken.userErrors.map((e: { field: string[]; code: string }) => [e.field.join('.'), e.code])], [null, [['input.newEmail', 'TAKEN']]])
  assert.not.ok(lastMailTo(t, other.email, /Confirm your new email/), 'no code goes to an address that is taken')
  assert.equal((await mutate(t, token, ...REQUEST, { newEmail: user.email })).userErrors.map((e: { code: string }) => e.code), ['INVALID'])
  assert.equal((await mutate(t, token, ...REQUEST, { newEmail: 'not an address' })).userErrors.map((e: { code: string }) => e.code), ['INVALID'])

  // Free when asked, taken by the time the code comes back.
  const contested = `contested-${user.id.slice(0, 8)}@example.org`
  await mutate(t, token, ...REQUEST, { newEmail: contested })
  const code = codeIn(lastMailTo(t, contested, /Confirm your new email/)?.text ?? '')
  await insertUser(t.test.db, { email: contested })
  const late = await mutate(t, token, ...CONFIRM, { newEmail: contested, code })
  assert.equal([late.user, late.userErrors.map((e: { code: string }) => e.code)], [null, ['TAKEN']])
  assert.is((await t.test.db('users').where({ id: user.id }).first('email')).email, user.email)
})

rectification('a code sent for one account does not change another account\'s address', async ({ t }) => {
  const victim = await insertUser(t.test.db)
  const intruder = await insertUser(t.test.db)
  const target = `shared-${victim.id.slice(0, 8)}@example.org`
  await mutate(t, await signIn(t, victim.email), ...REQUEST, { newEmail: target })
  const code = codeIn(lastMailTo(t, target, /Confirm your new email/)?.text ?? '')
  const stolen = await mutate(t, await signIn(t, intruder.email), ...CONFIRM, { newEmail: target, code })
  assert.equal(stolen.userErrors.map((e: { code: string }) => e.code), ['INVALID'])
  assert.is((await t.test.db('users').where({ id: intruder.id }).first('email')).email, intruder.email)
  assert.is((await t.test.db('users').where({ id: victim.id }).first('email')).email, victim.email)
})

rectification('only a signed-in person rectifies: nobody is UNAUTHENTICATED, an API key FORBIDDEN', async ({ t }) => {
  const org = await insertOrganization(t.test.db)
  const key = await insertApiKey(t.test.db, org.id, ['business:manage'])
  const query = 'mutation($i: UpdateMyProfileInput!) { updateMyProfile(input: $i) { user { id } } }'
  assert.equal(errorCodes(await graphqlRequest(t.app, query, { i: { displayName: 'x' } })), ['UNAUTHENTICATED'])
  assert.equal(errorCodes(await graphqlRequest(t.app, query, { i: { displayName: 'x' } }, { token: key.secret })), ['FORBIDDEN'])
})

rectification.run()
