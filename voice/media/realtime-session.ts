import WebSocket from 'ws'
import { agentTools, buildInstructions, type AgentContext } from './instructions.ts'

// How long the model socket may take to open before the call gives up on it.
const MODEL_CONNECT_TIMEOUT_MS = 5_000

export interface RealtimeSettings {
  realtimeUrl: string
  realtimeModel: string
  transcribeModel: string
  openaiApiKey: string | null
}

/** Opens a socket to the Realtime API (any URL, ws:// included) and waits until it is open. */
export async function connectRealtime(settings: RealtimeSettings): Promise<WebSocket> {
  const url = `${settings.realtimeUrl}?model=${encodeURIComponent(settings.realtimeModel)}`
  const model = new WebSocket(url, {
    headers: settings.openaiApiKey ? { authorization: `Bearer ${settings.openaiApiKey}` } : {},
    // Base64 audio barely compresses, and per-frame compression and UTF-8 checks are the relay's main costs.
    perMessageDeflate: false,
    skipUTF8Validation: true,
    // An all-zero mask lets ws send frames without the per-frame random mask and XOR pass. Masking
    // protects browsers' traffic from caching proxies; this is a server talking to an API over TLS.
    generateMask: () => {},
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      model.terminate()
      reject(new Error('model connect timeout'))
    }, MODEL_CONNECT_TIMEOUT_MS)
    model.once('open', () => {
      clearTimeout(timer)
      resolve()
    })
    model.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
  return model
}

/**
 * The session configuration, sent before any audio: G.711 mu-law in and out (Twilio's own format,
 * so nothing is transcoded), server voice activity detection, transcription of the caller, the
 * agent's instructions and tools, and its voice. (GA event shape; the beta named these differently.)
 */
export function sessionUpdate(settings: RealtimeSettings, context: AgentContext, options: { mode: 'conversation' | 'take_message'; recording: boolean; briefing: string }) {
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      model: settings.realtimeModel,
      instructions: buildInstructions(context, options.mode, options.recording) + options.briefing,
      output_modalities: ['audio'],
      tools: agentTools(options.recording),
      audio: {
        input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad' }, transcription: { model: settings.transcribeModel } },
        output: { format: { type: 'audio/pcmu' }, voice: context.agent.voice },
      },
    },
  }
}
