import type { DomainPlugin } from '../core/index.ts'
import { deliveryWorkerPlugin, oauthCallbackPlugin } from './connectors.plugin.ts'

export { EVENT_TYPES, type ConnectorKind, type ErasedRecord, type EventType } from './connector.ts'
export { createConnector, replayDelivery, rotateWebhookSecret, testConnector, updateConnector, type AdminDeps } from './connector-admin.ts'
export { createConnectorRegistry, type ConnectorRegistry } from './registry.ts'
export { createErasureDeps, eraseDeliveredRecords, type ConnectorErasure, type DeliveredRecord, type ErasureDeps } from './erasure.ts'

/** The OAuth callback is served by api instances. */
export const connectorsDomain: DomainPlugin = {
  roles: ['api'],
  register: async (app) => {
    await app.register(oauthCallbackPlugin)
  },
}

/** Deliveries run in worker instances. */
export const deliveryWorkerDomain: DomainPlugin = {
  roles: ['worker'],
  register: async (app) => {
    await app.register(deliveryWorkerPlugin)
  },
}
