import type { IResolvers } from 'mercurius'
import { VERSION } from '../../core/index.ts'

export const SERVICE_STATUS_TOPIC = 'service.status'

export type ServiceState = 'READY' | 'DRAINING'

export const serviceStatus = (state: ServiceState) => ({ state, version: VERSION })

export const serviceStatusResolvers: IResolvers = {
  Query: {
    serviceStatus: () => serviceStatus('READY'),
  },
  Subscription: {
    serviceStatusChanged: {
      subscribe: (_root, _args, { pubsub }) => pubsub.subscribe(SERVICE_STATUS_TOPIC),
    },
  },
}
