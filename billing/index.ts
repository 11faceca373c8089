import type { DomainPlugin } from '../core/index.ts'
import { billingApiPlugin, billingWorkerPlugin } from './billing.plugin.ts'

export { STRIPE_WEBHOOK_PATH } from './stripe-webhook.route.ts'

/** Stripe's webhook is received by api instances. */
export const billingApiDomain: DomainPlugin = { roles: ['api'], register: billingApiPlugin }

/** Stripe events are applied where jobs run: in worker instances. */
export const billingWorkerDomain: DomainPlugin = { roles: ['worker'], register: billingWorkerPlugin }
export { setAutoTopup } from './auto-topup.ts'
export { openBillingPortal, startCheckout, type CheckoutDeps } from './checkout.ts'
export { createStripe } from './stripe-client.ts'
export { setSeparateBilling } from './separate-billing.ts'
