/**
 * Twilio Media Streams messages. https://www.twilio.com/docs/voice/media-streams/websocket-messages
 * Media frames (50 a second per call) are read by locating the payload in the text, without
 * parsing the JSON; every other message is parsed and checked.
 */
export type TwilioFrame =
  | { event: 'media'; payload: string; timestampMs: number }
  | { event: 'start'; streamSid: string; callSid: string; customParameters: Record<string, string> }
  | { event: 'mark'; name: string }
  | { event: 'dtmf'; digit: string }
  | { event: 'stop' }
  | { event: 'connected' }

const MEDIA_PREFIX = '{"event":"media"'
const PAYLOAD_KEY = '"payload":"'
const TIMESTAMP_KEY = '"timestamp":"'
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
// Twilio's are MZ and 32 hex digits; a browser test call picks its own, so it is checked: outbound
// messages are assembled around it without escaping.
const STREAM_SID = /^[A-Za-z0-9]{1,64}$/

/** Reads one message; null for anything malformed or unknown, which the caller ignores. */
export function readTwilioFrame(text: string): TwilioFrame | null {
  if (text.startsWith(MEDIA_PREFIX)) {
    const start = text.indexOf(PAYLOAD_KEY)
    const end = start < 0 ? -1 : text.indexOf('"', start + PAYLOAD_KEY.length)
    // Only the caller's leg arrives inbound; a payload is base64 and so holds no quote.
    if (end > 0) {
      const at = text.indexOf(TIMESTAMP_KEY)
      const timestampMs = at < 0 ? NaN : Number.parseInt(text.slice(at + TIMESTAMP_KEY.length, at + TIMESTAMP_KEY.length + 12), 10)
      return { event: 'media', payload: text.slice(start + PAYLOAD_KEY.length, end), timestampMs }
    }
  }
  let message: any
  try {
    message = JSON.parse(text)
  } catch {
    return null
  }
  switch (message?.event) {
    case 'media':
      return typeof message.media?.payload === 'string' && BASE64.test(message.media.payload) ? { event: 'media', payload: message.media.payload, timestampMs: Number(message.media.timestamp) } : null
    case 'start': {
      const start = message.start ?? {}
      if (typeof start.streamSid !== 'string' || !STREAM_SID.test(start.streamSid) || typeof start.callSid !== 'string') return null
      const params = start.customParameters && typeof start.customParameters === 'object' ? start.customParameters : {}
      return { event: 'start', streamSid: start.streamSid, callSid: start.callSid, customParameters: params }
    }
    case 'mark':
      return typeof message.mark?.name === 'string' ? { event: 'mark', name: message.mark.name } : null
    case 'dtmf':
      return typeof message.dtmf?.digit === 'string' && /^[0-9*#A-D]$/.test(message.dtmf.digit) ? { event: 'dtmf', digit: message.dtmf.digit } : null
    case 'stop':
      return { event: 'stop' }
    case 'connected':
      return { event: 'connected' }
    default:
      return null
  }
}

// Outbound messages are assembled as strings: the payload is already base64 from the model, and
// stream ids are checked as they arrive (letters and digits), so nothing needs escaping.
export const mediaMessage = (streamSid: string, payload: string) => `{"event":"media","streamSid":"${streamSid}","media":{"payload":"${payload}"}}`
export const markMessage = (streamSid: string, name: string) => `{"event":"mark","streamSid":"${streamSid}","mark":{"name":"${name}"}}`
export const clearMessage = (streamSid: string) => `{"event":"clear","streamSid":"${streamSid}"}`

/** Milliseconds of 8 kHz mu-law audio in a base64 payload: one byte per sample, 8 bytes per ms. */
export function mulawMilliseconds(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0
  return (((base64.length * 3) >> 2) - padding) / 8
}
