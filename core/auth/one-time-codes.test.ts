import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { insertUser } from '../testing/accounts.ts'
import { rejects } from '../testing/rejects.ts'
import { openTestDb, type TestDb } from '../testing/test-db.ts'
import { CODE_MAX_ATTEMPTS, consumeCode, issueCode } from './one-time-codes.ts'

const codes = suite<{ test: TestDb }>('auth: one-time codes')
const PEPPER = 'q'.repeat(40)

codes.before(async (ctx) => {
  ctx.test = await openTestDb()
})
codes.after((ctx) => ctx.test.destroy())

async function fresh(ctx: { test: TestDb }) {
  const user = await insertUser(ctx.test.db, { verified: false })
  const code = await issueCode(ctx.test.db, PEPPER, { email: user.email, userId: user.id, purpose: 'verify_email' })
  return { user, code }
}
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')

codes('a code is six digits, stored only as a keyed hash, and works once', async (ctx) => {
  const { user, code } = await fresh(ctx)
  assert.match(code, /^\d{6}$/)
  const row = await ctx.test.db('one_time_codes').where({ email: user.email }).first()
  assert.not.ok(JSON.stringify(row).includes(code))
  assert.equal(await consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code }), { userId: user.id })
  assert.is((await rejects(consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code }))).failure, 'CODE_INVALID')
})

codes('a wrong code is refused and counted', async (ctx) => {
  const { user, code } = await fresh(ctx)
  assert.is((await rejects(consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code: wrong(code) }))).failure, 'CODE_INVALID')
  assert.is((await ctx.test.db('one_time_codes').where({ email: user.email }).first()).attempts, 1)
  assert.equal(await consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code }), { userId: user.id })
})

codes('after five wrong codes even the right one is refused', async (ctx) => {
  const { user, code } = await fresh(ctx)
  const failures: string[] = []
  for (let i = 0; i < CODE_MAX_ATTEMPTS; i++) failures.push((await rejects(consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code: wrong(code) }))).failure)
  assert.equal(failures, ['CODE_INVALID', 'CODE_INVALID', 'CODE_INVALID', 'CODE_INVALID', 'TOO_MANY_ATTEMPTS'])
  assert.is((await rejects(consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code }))).failure, 'TOO_MANY_ATTEMPTS')
})

codes('parallel guesses cannot exceed the attempt limit', async (ctx) => {
  const { user, code } = await fresh(ctx)
  const guesses = Array.from({ length: 20 }, (_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'))
  await Promise.allSettled(guesses.map((guess) => consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code: guess })))
  assert.is((await ctx.test.db('one_time_codes').where({ email: user.email }).first()).attempts, CODE_MAX_ATTEMPTS)
})

codes('an expired code is refused as expired', async (ctx) => {
  const { user, code } = await fresh(ctx)
  await ctx.test.db('one_time_codes').where({ email: user.email }).update({ created_at: new Date(Date.now() - 20 * 60_000), expires_at: new Date(Date.now() - 5 * 60_000) })
  assert.is((await rejects(consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code }))).failure, 'CODE_EXPIRED')
})

codes('a new code retires the previous one', async (ctx) => {
  const { user, code: first } = await fresh(ctx)
  const second = await issueCode(ctx.test.db, PEPPER, { email: user.email, userId: user.id, purpose: 'verify_email' })
  if (first !== second) assert.is((await rejects(consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code: first }))).failure, 'CODE_INVALID')
  assert.equal(await consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'verify_email', code: second }), { userId: user.id })
})

codes('a code is bound to its purpose and its email', async (ctx) => {
  const { user, code } = await fresh(ctx)
  const other = await insertUser(ctx.test.db)
  assert.is((await rejects(consumeCode(ctx.test.db, PEPPER, { email: user.email, purpose: 'reset_password', code }))).failure, 'CODE_INVALID')
  assert.is((await rejects(consumeCode(ctx.test.db, PEPPER, { email: other.email, purpose: 'verify_email', code }))).failure, 'CODE_INVALID')
})

codes.run()
