import type { DomainPlugin } from '../core/index.ts'
import { mediaStreamPlugin } from './media/media-stream.plugin.ts'
import { voicePlugin } from './voice.plugin.ts'

export { readConsentAnswer } from './consent.ts'
export { isOpen, type WorkingHours } from './working-hours.ts'
export { verifyCallToken, type CallTokenClaims } from './call-token.ts'
export { attachNumber, purchaseNumber, releaseNumber, searchAvailableNumbers, type NumberDeps } from './numbers.ts'
export { createTwilioClient, type TwilioClient } from './twilio/twilio-client.ts'

/** Twilio's webhooks and the worker's requests are served by api instances. */
export const voiceDomain: DomainPlugin = {
  roles: ['api'],
  register: async (app) => {
    await app.register(voicePlugin)
  },
}

/** The media worker (Twilio Media Streams <-> OpenAI Realtime) runs in worker instances. */
export const mediaWorkerDomain: DomainPlugin = {
  roles: ['worker'],
  register: async (app) => {
    await app.register(mediaStreamPlugin)
  },
}
