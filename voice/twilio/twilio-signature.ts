import type { FastifyReply, FastifyRequest } from 'fastify'
import twilio from 'twilio'

/**
 * Rejects a webhook whose X-Twilio-Signature does not match: HMAC-SHA1 with the account's auth
 * token over the URL Twilio called plus the sorted POST parameters. The URL is rebuilt from the
 * configured public base URL, never from the Host header, so it holds behind proxies and cannot be
 * steered by the caller. https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
export function verifyTwilioSignature(authToken: string, publicBaseUrl: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const signature = request.headers['x-twilio-signature']
    const params = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, string>
    const valid = typeof signature === 'string' && twilio.validateRequest(authToken, signature, `${publicBaseUrl}${request.url}`, params)
    if (!valid) return reply.code(403).send({ error: 'invalid Twilio signature' })
  }
}
