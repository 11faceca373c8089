import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { testConfig } from '../core/index.ts'
import { freePort } from '../core/testing/free-port.ts'
import { rejects } from '../core/testing/rejects.ts'
import { createStripe } from './stripe-client.ts'
import { startFakeStripe, type FakeStripe } from './testing/fake-stripe.ts'

/** Failed Stripe answers are reported (for answerline_provider_errors_total) by status class; successes are not. */
const errors = suite<{ fake: FakeStripe }>('billing: Stripe request failures are reported')
errors.before(async (ctx) => {
  ctx.fake = await startFakeStripe()
})
errors.after((ctx) => ctx.fake.close())

errors('a refused request is reported by class, a success is not, and the caller still gets the error', async ({ fake }) => {
  const kinds: string[] = []
  const config = testConfig({ STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: 'whsec_errors', STRIPE_API_URL: fake.baseUrl })
  const stripe = createStripe(config.billing.stripe, (kind) => kinds.push(kind))
  assert.ok(stripe)
  const customer = await stripe.customers.create({ email: 'jane@example.com' })
  await stripe.customers.retrieve(customer.id)
  assert.equal(kinds, [])
  await rejects(stripe.customers.retrieve('cus_missing'))
  assert.equal(kinds, ['http_4xx'])
})

errors('a request that gets no answer is reported as a network error, each attempt, and the caller gets the error', async () => {
  const kinds: string[] = []
  // A port nothing listens on: every attempt is refused.
  const closed = await freePort()
  const config = testConfig({ STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: 'whsec_errors', STRIPE_API_URL: `http://127.0.0.1:${closed}` })
  const stripe = createStripe(config.billing.stripe, (kind) => kinds.push(kind))
  assert.ok(stripe)
  await rejects(stripe.customers.retrieve('cus_any'))
  // The first attempt and Stripe's two retries.
  assert.equal(kinds, ['network', 'network', 'network'])
})

errors.run()
