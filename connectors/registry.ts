import type { Config } from '../core/index.ts'
import type { Connector, ConnectorKind, OAuthApp } from './connector.ts'
import { createHubSpotConnector } from './hubspot/hubspot.connector.ts'
import { createSalesforceConnector } from './salesforce/salesforce.connector.ts'
import { createWebhookConnector } from './webhook/webhook.connector.ts'

export type ConnectorRegistry = Readonly<Record<ConnectorKind, Connector>>

/** Where the CRMs send the business owner back after they grant access. */
export const OAUTH_CALLBACK_PATH = '/connectors/oauth/callback'

/** The connectors, built once from configuration: OAuth apps and the webhook target policy. */
export function createConnectorRegistry(config: Config): ConnectorRegistry {
  return {
    hubspot: createHubSpotConnector({ oauthApp: oauthAppOf(config, 'hubspot'), apiBaseUrl: config.connectors.hubspot.baseUrl }),
    salesforce: createSalesforceConnector({ oauthApp: oauthAppOf(config, 'salesforce') }),
    webhook: createWebhookConnector({ allowPrivateTargets: config.connectors.allowPrivateTargets }),
  } satisfies Record<ConnectorKind, Connector>
}

/** The OAuth app a kind of connector uses, or null when it has none configured (or takes no OAuth). */
export function oauthAppOf(config: Config, kind: ConnectorKind): OAuthApp | null {
  const redirectUri = `${config.http.publicBaseUrl}${OAUTH_CALLBACK_PATH}`
  if (kind === 'hubspot' && config.connectors.hubspot.clientId && config.connectors.hubspot.clientSecret) {
    return { clientId: config.connectors.hubspot.clientId, clientSecret: config.connectors.hubspot.clientSecret, baseUrl: config.connectors.hubspot.baseUrl, redirectUri }
  }
  if (kind === 'salesforce' && config.connectors.salesforce.clientId && config.connectors.salesforce.clientSecret) {
    return { clientId: config.connectors.salesforce.clientId, clientSecret: config.connectors.salesforce.clientSecret, baseUrl: config.connectors.salesforce.loginUrl, redirectUri }
  }
  return null
}
