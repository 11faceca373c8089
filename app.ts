import type { FastifyInstance } from 'fastify'
import { billingApiDomain, billingWorkerDomain } from './billing/index.ts'
import { createApp, type Config, type CreateAppOptions } from './core/index.ts'
import { connectorsDomain, deliveryWorkerDomain } from './connectors/index.ts'
import { graphqlDomain } from './graphql/index.ts'
import { leadsWorkerDomain } from './leads/index.ts'
import { privacyWorkerDomain } from './privacy/index.ts'
import { mediaWorkerDomain, voiceDomain } from './voice/index.ts'

/** Every domain, composed onto core. Adding a domain is one line here. */
const DOMAINS = [graphqlDomain, voiceDomain, connectorsDomain, billingApiDomain, mediaWorkerDomain, leadsWorkerDomain, deliveryWorkerDomain, billingWorkerDomain, privacyWorkerDomain]

/** Builds Answerline for one role: the factory the server and every test use. It does not listen. */
export function buildApp(config: Config, options: Omit<CreateAppOptions, 'domains'> = {}): Promise<FastifyInstance> {
  return createApp(config, { ...options, domains: DOMAINS })
}
