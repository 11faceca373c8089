import type { FastifyBaseLogger } from 'fastify'
import WebSocket from 'ws'
import { verifyCallToken, type CallTokenClaims } from '../call-token.ts'
import type { S3Client } from '@aws-sdk/client-s3'
import type { AppMetrics } from '../../core/index.ts'
import type { AgentContext } from './instructions.ts'
import { connectRealtime, sessionUpdate, type RealtimeSettings } from './realtime-session.ts'
import { CallQuality } from './call-quality.ts'
import { StereoRecorder } from './stereo-recorder.ts'
import { LiveTranscript } from './live-transcript.ts'
import { clearMessage, markMessage, mediaMessage, mulawMilliseconds, readTwilioFrame } from './twilio-frames.ts'
import { TranscriptBuffer, type WorkerApi } from './worker-api.ts'

// Caller audio that arrives while the model socket is still opening (a real handshake takes
// hundreds of milliseconds) is kept, up to this many 20 ms frames (5 seconds).
const PENDING_AUDIO_FRAMES = 250
// The caller hears a warning this long before the reserved minutes run out.
const LIMIT_WARNING_SECONDS = 30
const AUDIO_DELTA_PREFIX = '{"type":"response.output_audio.delta"'
// Lines of conversation kept to brief a replacement model session.
const HISTORY_LINES = 40

export interface SessionSettings extends RealtimeSettings {
  /** Where consented recordings go; null disables recording on this worker. */
  storage: { s3: S3Client; bucket: string } | null
  workerSecret: string
}

/**
 * One call: the Twilio socket and the model socket, relayed both ways. Twilio's mu-law frames go
 * to the model untouched and the model's mu-law comes back untouched (no transcoding). The call
 * token from the start message is checked before anything else; a bad one closes the socket
 * without opening a model session. A malformed frame is ignored; a closed socket ends this call
 * and no other.
 */
export class CallSession {
  readonly #twilio: WebSocket
  readonly #api: WorkerApi
  readonly #settings: SessionSettings
  #log: FastifyBaseLogger
  readonly #metrics: AppMetrics
  #model: WebSocket | null = null
  #modelReady = false
  #pendingAudio: string[] = []
  #streamSid = ''
  #claims: CallTokenClaims | null = null
  #transcript: TranscriptBuffer | null = null
  #startedAt = 0
  #ended = false
  #ending: Promise<void> | null = null
  #timers: NodeJS.Timeout[] = []
  #limitWarningDue = false
  #recorder: StereoRecorder | null = null
  #context: AgentContext | null = null
  #reconnected = false
  // The conversation so far, to brief a replacement model session if the first one drops.
  readonly #history: string[] = []

  // Barge-in bookkeeping: the assistant item being played, how much audio of it went to Twilio,
  // and how much Twilio confirmed as played (marks echo once the audio before them was heard).
  #item: { id: string; sentMs: number; playedMs: number; startedAtMs: number } | null = null

  readonly #quality = new CallQuality()

  // A browser test call: its start message carries a credential instead of a call token, and the
  // browser is shown the transcript as it goes (#live; null on a Twilio call).
  readonly #testCall: boolean
  #live: LiveTranscript | null = null

  constructor(twilio: WebSocket, deps: { api: WorkerApi; settings: SessionSettings; log: FastifyBaseLogger; metrics: AppMetrics; testCall?: boolean }) {
    this.#twilio = twilio
    this.#testCall = deps.testCall === true
    this.#api = deps.api
    this.#settings = deps.settings
    this.#log = deps.log
    this.#metrics = deps.metrics
    twilio.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) this.#onTwilioMessage(data.toString(), performance.now())
    })
    twilio.on('close', () => void this.end('twilio_closed'))
    twilio.on('error', (error) => this.#log.warn({ err: error }, 'twilio socket error'))
  }

  get callId(): string | null {
    return this.#claims?.callId ?? null
  }

  #onTwilioMessage(text: string, arrivedAt: number): void {
    const frame = readTwilioFrame(text)
    if (!frame) return
    switch (frame.event) {
      case 'media':
        this.#recorder?.writeCaller(frame.payload, frame.timestampMs)
        if (this.#modelReady && this.#model) {
          this.#model.send(`{"type":"input_audio_buffer.append","audio":"${frame.payload}"}`)
          this.#metrics.relay.callerToModel.observe((performance.now() - arrivedAt) / 1000)
        } else if (!this.#ended && this.#pendingAudio.length < PENDING_AUDIO_FRAMES) this.#pendingAudio.push(frame.payload)
        return
      case 'start':
        if (this.#testCall) void this.#startTestCall(frame.streamSid, frame.customParameters)
        else void this.#start(frame.streamSid, frame.callSid, frame.customParameters.callToken ?? '')
        return
      case 'mark': {
        const [itemId, endMs] = frame.name.split(':')
        if (this.#item && itemId === this.#item.id) this.#item.playedMs = Math.max(this.#item.playedMs, Number(endMs))
        return
      }
      case 'dtmf':
        // The model hears keypad presses as text.
        this.#sendModel({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `[The caller pressed ${frame.digit} on the keypad]` }] } })
        this.#sendModel({ type: 'response.create' })
        return
      case 'stop':
        void this.end('twilio_stopped')
        return
      case 'connected':
        return
    }
  }

  /** The api checks the browser's credential (user or embed token with agent:write) and reserves minutes. */
  async #startTestCall(streamSid: string, parameters: Record<string, string>): Promise<void> {
    if (this.#claims || this.#ended) return
    try {
      const call = await this.#api.createTestCall(parameters.authorization ?? '', parameters.businessId ?? '')
      await this.#start(streamSid, call.callSid, call.callToken)
    } catch (error) {
      this.#log.warn({ err: error }, 'test call refused')
      this.#ended = true
      this.#pendingAudio = []
      this.#twilio.close(1008, 'test call refused')
    }
  }

  async #start(streamSid: string, callSid: string, token: string): Promise<void> {
    if (this.#claims || this.#ended) return
    try {
      this.#claims = await verifyCallToken(this.#settings.workerSecret, token, callSid)
    } catch {
      this.#log.warn({ callSid }, 'media stream refused: invalid call token')
      this.#ended = true
      this.#pendingAudio = []
      this.#twilio.close(1008, 'invalid call token')
      return
    }
    // Every line this call logs from here on carries its id, so one search follows it through worker and api.
    this.#log = this.#log.child({ callId: this.#claims.callId })
    this.#log.info({ testCall: this.#testCall }, 'media stream started')
    this.#streamSid = streamSid
    this.#startedAt = performance.now()
    if (this.#testCall) this.#live = new LiveTranscript(this.#twilio, streamSid)
    const callId = this.#claims.callId
    this.#transcript = new TranscriptBuffer(
      (segments) => this.#api.saveTranscript(callId, segments),
      (error) => this.#log.warn({ err: error, callId }, 'transcript batch not saved yet; will retry'),
    )
    this.#scheduleLimit(this.#claims.maxDurationSeconds)
    try {
      if (this.#claims.recording && this.#settings.storage) await this.#startRecording(this.#settings.storage, this.#claims)
      const context = await this.#api.agentContext(callId)
      await this.#openModel(context)
    } catch (error) {
      this.#log.error({ err: error, callId }, 'call could not start')
      await this.end('start_failed')
    }
  }

  /** Recording only with consent: the row is written before the first byte, so nothing is stored unaccounted for. */
  async #startRecording(storage: { s3: S3Client; bucket: string }, claims: CallTokenClaims): Promise<void> {
    const key = `recordings/${claims.businessId}/${claims.callId}.wav`
    const recorder = new StereoRecorder(storage.s3, storage.bucket, key)
    const uploadId = await recorder.start()
    await this.#api.recordingStarted(claims.callId, key, uploadId)
    this.#recorder = recorder
  }

  async #stopRecording(reason: 'withdrawn' | 'finished'): Promise<void> {
    const recorder = this.#recorder
    const callId = this.callId
    if (!recorder || !callId) return
    this.#recorder = null
    try {
      if (reason === 'withdrawn') {
        await recorder.discard()
        await this.#api.recordingFinished(callId, { status: 'withdrawn' })
      } else {
        await this.#api.recordingFinished(callId, { status: 'complete', ...(await recorder.finish()) })
      }
    } catch (error) {
      this.#metrics.providerError('s3', 'recording_failed')
      this.#log.error({ err: error, callId }, 'recording could not be finished')
      await this.#api.recordingFinished(callId, { status: 'failed' }).catch(() => {})
    }
  }

  async #openModel(context: AgentContext, resumed = false): Promise<void> {
    this.#context = context
    const model = await connectRealtime(this.#settings).catch((error: unknown) => {
      this.#metrics.providerError('openai_realtime', 'connect_failed')
      throw error
    })
    this.#model = model
    model.on('message', (data: Buffer) => this.#onModelMessage(data.toString(), performance.now()))
    model.on('close', () => {
      if (this.#model === model && !this.#ended) void this.#onModelLost()
    })
    model.on('error', (error) => {
      this.#quality.modelErrors++
      this.#metrics.providerError('openai_realtime', 'socket_error')
      this.#log.warn({ err: error, callId: this.callId }, 'model socket error')
    })
    const mode = this.#claims?.mode ?? 'conversation'
    const briefing = resumed && this.#history.length ? `\n\nThe call was interrupted; the conversation so far:\n${this.#history.join('\n')}` : ''
    // session.update goes first, before any audio; then the agent speaks.
    this.#sendModel(sessionUpdate(this.#settings, context, { mode, recording: this.#recorder !== null, briefing }))
    this.#modelReady = true
    for (const payload of this.#pendingAudio) model.send(`{"type":"input_audio_buffer.append","audio":"${payload}"}`)
    this.#pendingAudio = []
    const opening = resumed
      ? 'Apologise briefly for the interruption and carry on where the conversation left off.'
      : mode === 'take_message'
        ? 'Apologise that nobody could answer and offer to take a message.'
        : `Greet the caller with: "${context.agent.greeting}"`
    this.#sendModel({ type: 'response.create', response: { instructions: opening } })
    this.#warnOfLimit()
  }

  /**
   * The model socket dropped mid-call: reconnect once, briefed with the conversation so far.
   * If that fails too, the api hands the caller to a person, or takes a message, and the stream ends.
   */
  async #onModelLost(): Promise<void> {
    this.#modelReady = false
    this.#item = null
    if (!this.#reconnected && this.#context) {
      this.#reconnected = true
      try {
        await this.#openModel(this.#context, true)
        return
      } catch (error) {
        this.#log.warn({ err: error, callId: this.callId }, 'model reconnect failed')
      }
    }
    await this.#api.fallback(this.#claims?.callSid ?? '', this.callId).catch((error: unknown) => this.#log.error({ err: error, callId: this.callId }, 'fallback failed'))
    await this.end('model_lost')
  }

  #onModelMessage(text: string, arrivedAt: number): void {
    if (text.startsWith(AUDIO_DELTA_PREFIX)) {
      this.#relayAudio(text, arrivedAt)
      return
    }
    let event: any
    try {
      event = JSON.parse(text)
    } catch {
      return
    }
    switch (event?.type) {
      case 'response.output_audio.delta':
        this.#relayAudio(text, arrivedAt, event)
        return
      case 'input_audio_buffer.speech_started':
        this.#bargeIn()
        return
      case 'input_audio_buffer.speech_stopped':
        this.#quality.callerStoppedSpeaking()
        return
      case 'conversation.item.input_audio_transcription.completed': {
        const text = String(event.transcript ?? '')
        this.#remember('Caller', text)
        this.#transcript?.add('caller', text, this.#elapsed() - 1_000, this.#elapsed())
        this.#live?.caller(text)
        return
      }
      case 'response.output_audio_transcript.delta':
        this.#live?.agentDelta(String(event.item_id ?? ''), String(event.delta ?? ''))
        return
      case 'response.output_audio_transcript.done': {
        const text = String(event.transcript ?? '')
        this.#remember('You', text)
        this.#transcript?.add('agent', text, this.#item?.startedAtMs ?? this.#elapsed(), this.#elapsed())
        this.#live?.agentDone(String(event.item_id ?? ''), text)
        return
      }
      case 'response.function_call_arguments.done':
        void this.#runTool(String(event.name), String(event.call_id), String(event.arguments ?? '{}'))
        return
      case 'error':
        this.#quality.modelErrors++
        this.#metrics.providerError('openai_realtime', String(event.error?.type ?? 'error'))
        this.#log.warn({ callId: this.callId, error: event.error?.code ?? event.error?.type }, 'model reported an error')
        return
    }
  }

  /** Forwards one chunk of the agent's audio, followed by a mark that Twilio echoes once it is played. */
  #relayAudio(text: string, arrivedAt: number, parsed?: { item_id?: string; delta?: string }): void {
    const delta = parsed?.delta ?? between(text, '"delta":"', '"')
    const itemId = parsed?.item_id ?? between(text, '"item_id":"', '"')
    if (!delta || !itemId || !this.#streamSid) return
    const now = this.#elapsed()
    this.#quality.agentAudio(now)
    const newReply = !this.#item || this.#item.id !== itemId
    if (newReply) this.#item = { id: itemId, sentMs: 0, playedMs: 0, startedAtMs: now }
    const item = this.#item as { id: string; sentMs: number; playedMs: number; startedAtMs: number }
    item.sentMs += mulawMilliseconds(delta)
    this.#recorder?.writeAgent(delta, newReply)
    // Both frames leave in one write: at 50 frames a second per call, syscalls are the cost.
    const raw = (this.#twilio as unknown as { _socket?: { cork(): void; uncork(): void } })._socket
    raw?.cork()
    this.#twilio.send(mediaMessage(this.#streamSid, delta))
    this.#twilio.send(markMessage(this.#streamSid, `${itemId}:${Math.round(item.sentMs)}`))
    raw?.uncork()
    this.#metrics.relay.modelToCaller.observe((performance.now() - arrivedAt) / 1000)
  }

  /**
   * The caller started talking over the agent: drop the audio Twilio has not played yet, and cut
   * the assistant's item at what the caller actually heard, so the model remembers only that.
   */
  #bargeIn(): void {
    const item = this.#item
    if (!item || item.sentMs <= item.playedMs) return
    this.#quality.bargeIns++
    this.#twilio.send(clearMessage(this.#streamSid))
    this.#sendModel({ type: 'conversation.item.truncate', item_id: item.id, content_index: 0, audio_end_ms: Math.round(item.playedMs) })
    this.#recorder?.truncateAgent(item.playedMs)
    item.sentMs = item.playedMs
  }

  async #runTool(name: string, callId: string, rawArguments: string): Promise<void> {
    let args: Record<string, string> = {}
    try {
      args = JSON.parse(rawArguments) as Record<string, string>
    } catch {
      // answered below as an error
    }
    let output: Record<string, unknown>
    switch (name) {
      case 'capture_lead_field':
        this.#transcript?.add('system', `captured ${String(args.field ?? '').slice(0, 64)}: ${String(args.value ?? '').slice(0, 500)}`, this.#elapsed(), null)
        output = { ok: true }
        break
      case 'escalate_to_human':
        try {
          await this.#api.transfer(this.#claims?.callSid ?? '', String(args.reason ?? 'caller asked for a person'), this.callId)
          output = { ok: true, note: 'The transfer is under way; tell the caller you are connecting them.' }
        } catch {
          output = { ok: false, note: 'Nobody can take the call; offer to take a message.' }
        }
        break
      case 'stop_recording':
        await this.#stopRecording('withdrawn')
        output = { ok: true, note: 'Recording stopped and what was recorded is deleted.' }
        break
      case 'end_call':
        output = { ok: true }
        // Let the goodbye play before hanging up.
        this.#timers.push(setTimeout(() => void this.end('agent_ended'), 3_000))
        break
      default:
        output = { ok: false, error: `unknown tool ${name}` }
    }
    this.#sendModel({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: JSON.stringify(output) } })
    if (name !== 'end_call') this.#sendModel({ type: 'response.create' })
  }

  #scheduleLimit(maxSeconds: number): void {
    if (!(maxSeconds > 0)) return
    const warnAt = Math.max(0, maxSeconds - LIMIT_WARNING_SECONDS) * 1000
    this.#timers.push(
      setTimeout(() => {
        this.#limitWarningDue = true
        this.#warnOfLimit()
      }, warnAt),
      setTimeout(() => void this.end('time_limit'), maxSeconds * 1000),
    )
  }

  /** Sends the time-limit warning once it is due and the model can hear it. */
  #warnOfLimit(): void {
    if (!this.#limitWarningDue || !this.#modelReady) return
    this.#limitWarningDue = false
    this.#sendModel({ type: 'response.create', response: { instructions: 'Tell the caller politely that the call must end in a few seconds, and offer a callback.' } })
  }

  #remember(who: string, text: string): void {
    if (!text.trim()) return
    this.#history.push(`${who}: ${text.trim()}`)
    if (this.#history.length > HISTORY_LINES) this.#history.shift()
  }

  #sendModel(event: object): void {
    if (this.#model?.readyState === WebSocket.OPEN) this.#model.send(JSON.stringify(event))
  }

  #elapsed(): number {
    return this.#startedAt ? performance.now() - this.#startedAt : 0
  }

  /**
   * Ends a call the worker cannot keep (it is shutting down): the agent apologises and asks the
   * caller to call back, and the call ends once that has had time to play.
   */
  async goodbye(reason: string, playMs: number): Promise<void> {
    if (this.#ended) return this.#ending ?? Promise.resolve()
    if (this.#modelReady) {
      this.#sendModel({ type: 'response.create', response: { instructions: 'Apologise briefly: the line has to close now. Ask the caller to call back in a minute, then say goodbye.' } })
      await new Promise((resolve) => setTimeout(resolve, playMs))
    }
    return this.end(reason)
  }

  /** Ends the call once: closes both sockets, saves the rest of the transcript and the quality figures. Later calls wait for the first. */
  end(reason: string): Promise<void> {
    // A stream refused at its start message was already closed, with nothing to save.
    if (this.#ended && !this.#ending) return Promise.resolve()
    this.#ending ??= this.#finish(reason)
    return this.#ending
  }

  async #finish(reason: string): Promise<void> {
    this.#ended = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#model?.close()
    if (this.#twilio.readyState === WebSocket.OPEN) this.#twilio.close(1000, reason)
    const callId = this.callId
    if (!callId) return
    this.#log.info({ reason, durationMs: Math.round(this.#elapsed()) }, 'media stream ended')
    await this.#stopRecording('finished')
    await this.#transcript?.close()
    if (this.#testCall) await this.#api.endTestCall(callId, Math.ceil(this.#elapsed() / 1000)).catch((error: unknown) => this.#log.warn({ err: error, callId }, 'test call end not reported'))
    await this.#api
      .saveQuality(callId, this.#quality.report(reason, this.#transcript?.dropped ?? 0))
      .catch((error: unknown) => this.#log.warn({ err: error, callId }, 'call quality not saved'))
  }
}

function between(text: string, key: string, end: string): string | null {
  const start = text.indexOf(key)
  if (start < 0) return null
  const stop = text.indexOf(end, start + key.length)
  return stop < 0 ? null : text.slice(start + key.length, stop)
}
