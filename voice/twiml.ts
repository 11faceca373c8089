import twilio from 'twilio'

const { VoiceResponse } = twilio.twiml
// The SDK types languages as a closed union; ours come from configuration, checked by the database.
type SayLanguage = never

// How long Twilio waits for the caller's answer to the recording question.
const CONSENT_TIMEOUT_SECONDS = 5
// How long a caller may speak when leaving a message without the AI.
const MESSAGE_TIMEOUT_SECONDS = 8

/** Paths Twilio calls back on; the public base URL is prepended when they are built. */
export const VOICE_PATHS = {
  inbound: '/voice/inbound',
  consent: '/voice/consent',
  status: '/voice/status',
  message: '/voice/message',
  staffResult: '/voice/staff-result',
  transferResult: '/voice/transfer-result',
  stream: '/voice/stream',
  testCall: '/voice/test-call',
} as const

export const REFUSAL_MESSAGES = {
  organization_inactive: 'Sorry, this business is not taking calls through this line right now. Please try again later.',
  subscription_invalid: 'Sorry, this line is not available at the moment. Please call again later.',
  no_minutes: 'Sorry, we cannot take your call right now. Please call again later. Goodbye.',
  blocked: 'Sorry, this call cannot be completed. Goodbye.',
} as const

const say = (response: InstanceType<typeof VoiceResponse>, text: string, language: string) => response.say({ language: language as SayLanguage }, text)

/** A polite refusal, then hang up. */
export function refusalTwiml(message: string, language = 'en-US'): string {
  const response = new VoiceResponse()
  say(response, message, language)
  response.hangup()
  return response.toString()
}

/** The AI disclosure and the recording question, answered by voice or keypad; silence falls through to the consent URL. */
export function consentQuestionTwiml(input: { disclosure: string; prompt: string; language: string; consentUrl: string; repeat: boolean }): string {
  const response = new VoiceResponse()
  const gather = response.gather({
    input: ['speech', 'dtmf'],
    numDigits: 1,
    timeout: CONSENT_TIMEOUT_SECONDS,
    speechTimeout: 'auto',
    action: input.consentUrl,
    method: 'POST',
    language: input.language as never,
    hints: 'yes, no',
  })
  gather.say({ language: input.language as SayLanguage }, input.repeat ? `Sorry, I didn't catch that. ${input.prompt}` : `${input.disclosure} ${input.prompt}`)
  response.redirect({ method: 'POST' }, input.consentUrl)
  return response.toString()
}

/** Hands the call to the media worker, with the signed call token as a stream parameter (Twilio allows no query string there). */
export function connectStreamTwiml(input: { streamUrl: string; callToken: string; preface?: string; language: string }): string {
  const response = new VoiceResponse()
  if (input.preface) say(response, input.preface, input.language)
  const stream = response.connect().stream({ url: input.streamUrl })
  stream.parameter({ name: 'callToken', value: input.callToken })
  return response.toString()
}

/** Rings the business's own number, keeping the caller's number as caller ID; the outcome is posted to `action`. */
export function dialTwiml(input: { number: string; callerId: string | null; timeoutSeconds: number; action: string; preface?: string; language: string }): string {
  const response = new VoiceResponse()
  if (input.preface) say(response, input.preface, input.language)
  response.dial({ ...(input.callerId && { callerId: input.callerId }), timeout: input.timeoutSeconds, action: input.action, method: 'POST' }, input.number)
  return response.toString()
}

/** Takes a spoken message without the AI: Twilio transcribes it and posts the text to `action`. */
export function takeMessageTwiml(input: { intro: string; language: string; action: string }): string {
  const response = new VoiceResponse()
  const gather = response.gather({ input: ['speech'], speechTimeout: 'auto', timeout: MESSAGE_TIMEOUT_SECONDS, action: input.action, method: 'POST', language: input.language as never })
  gather.say({ language: input.language as SayLanguage }, input.intro)
  say(response, 'We did not hear a message. Goodbye.', input.language)
  response.hangup()
  return response.toString()
}

export function goodbyeTwiml(message: string, language = 'en-US'): string {
  return refusalTwiml(message, language)
}

/** An empty response: Twilio keeps doing what it was doing. */
export function emptyTwiml(): string {
  return new VoiceResponse().toString()
}
