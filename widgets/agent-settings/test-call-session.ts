import { base64ToBytes, bytesToBase64, decodeMulaw, MULAW_RATE } from './mulaw.ts'

/** Where a test call is: `live` once the agent's first audio arrives. */
export type TestCallState = 'connecting' | 'live' | 'ended' | 'refused' | 'failed' | 'mic-denied'

/** A line of the conversation, as the worker transcribes it: the agent's open line is not final yet. */
export interface TranscriptLine {
  speaker: 'caller' | 'agent'
  text: string
  final: boolean
}

export interface TestCallOptions {
  /** ws(s)://…/voice/test-call of the media worker. */
  url: string
  /** Gives `Bearer <embed token>`: the worker hands it to the api, which needs agent:write. */
  authorization: () => Promise<string>
  /** The business's own id (a UUID, not the global id). */
  businessId: string
  /** widgets/dist/mulaw-worklet.js. */
  workletUrl: URL
  onState: (state: TestCallState) => void
  /** Each transcript line as the worker knows it; a line that is not final is replaced by the next agent line. */
  onTranscript: (line: TranscriptLine) => void
}

// How far ahead of the clock the first chunk of a reply is scheduled, to ride out network jitter.
const PLAYBACK_LEAD_S = 0.06

/**
 * A test call from the browser, speaking the media worker's Twilio Media Streams dialect on
 * /voice/test-call: a `start` message whose customParameters carry the credential and business,
 * then base64 mu-law `media` frames both ways. The worker sends a `mark` after each chunk of the
 * agent's audio and expects it back once that audio has been heard (it cuts the agent's reply
 * there when the caller talks over it), and `clear` to drop what is still queued. It also sends
 * `transcript` messages, one per line of the conversation (Twilio never gets these): the caller's
 * lines once transcribed, the agent's as it speaks; the transcript is saved with the call too.
 */
export class TestCallSession {
  readonly #options: TestCallOptions
  readonly #streamSid = `MZ${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`
  readonly #context = new AudioContext()
  #socket: WebSocket | null = null
  #stream: MediaStream | null = null
  #encoder: AudioWorkletNode | null = null
  #frames = 0
  #playhead = 0
  #playing = new Set<AudioBufferSourceNode>()
  #marks: Array<{ name: string; at: number }> = []
  #timer = 0
  #state: TestCallState = 'connecting'

  /** Create it inside the click handler: the AudioContext may only start with a user gesture. */
  constructor(options: TestCallOptions) {
    this.#options = options
  }

  async start(): Promise<void> {
    this.#options.onState('connecting')
    try {
      this.#stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 } })
    } catch {
      this.#finish('mic-denied')
      return
    }
    if (this.#done) return this.#release()
    try {
      await this.#context.resume()
      await this.#context.audioWorklet.addModule(this.#options.workletUrl)
      this.#encoder = new AudioWorkletNode(this.#context, 'answerline-mulaw-encoder')
      this.#encoder.port.onmessage = (event: MessageEvent<Uint8Array>) => this.#sendFrame(event.data)
      this.#context.createMediaStreamSource(this.#stream).connect(this.#encoder)
      // The encoder outputs silence; connecting it keeps the graph pulling it.
      this.#encoder.connect(this.#context.destination)
    } catch {
      this.#finish('failed')
      return
    }
    const authorization = await this.#options.authorization().catch(() => '')
    if (this.#done) return this.#release()
    const socket = new WebSocket(this.#options.url)
    this.#socket = socket
    socket.onopen = () => {
      const parameters = { authorization, businessId: this.#options.businessId }
      socket.send(JSON.stringify({ event: 'start', streamSid: this.#streamSid, start: { streamSid: this.#streamSid, callSid: 'browser', customParameters: parameters } }))
    }
    socket.onmessage = (event) => typeof event.data === 'string' && this.#onMessage(event.data)
    // 1008 is the worker refusing the credential, the business or the minutes.
    socket.onclose = (event) => this.#finish(this.#state === 'live' ? 'ended' : event.code === 1008 ? 'refused' : 'failed')
    this.#timer = window.setInterval(() => this.#echoMarks(), 40)
  }

  /** Hangs up: tells the worker, stops the microphone, and silences the agent. */
  end(): void {
    if (this.#socket?.readyState === WebSocket.OPEN) {
      this.#socket.send(JSON.stringify({ event: 'stop', streamSid: this.#streamSid }))
      this.#socket.close(1000)
    }
    this.#finish('ended')
  }

  get #done(): boolean {
    return this.#state !== 'connecting' && this.#state !== 'live'
  }

  #sendFrame(frame: Uint8Array): void {
    if (this.#socket?.readyState !== WebSocket.OPEN) return
    // Twilio's field order: the worker reads media frames without parsing them.
    const timestamp = this.#frames++ * 20
    this.#socket.send(`{"event":"media","streamSid":"${this.#streamSid}","media":{"timestamp":"${timestamp}","payload":"${bytesToBase64(frame)}"}}`)
  }

  #onMessage(text: string): void {
    let message: { event?: string; media?: { payload?: string }; mark?: { name?: string }; transcript?: Partial<TranscriptLine> }
    try {
      message = JSON.parse(text)
    } catch {
      return
    }
    if (message.event === 'media' && typeof message.media?.payload === 'string') this.#play(message.media.payload)
    else if (message.event === 'mark' && typeof message.mark?.name === 'string') this.#marks.push({ name: message.mark.name, at: this.#playhead })
    else if (message.event === 'clear') this.#clear()
    else if (message.event === 'transcript') this.#relayLine(message.transcript)
  }

  #relayLine(line: Partial<TranscriptLine> | undefined): void {
    if ((line?.speaker !== 'caller' && line?.speaker !== 'agent') || typeof line.text !== 'string' || typeof line.final !== 'boolean') return
    this.#options.onTranscript({ speaker: line.speaker, text: line.text, final: line.final })
  }

  #play(payload: string): void {
    if (this.#state === 'connecting') this.#setState('live')
    const samples = decodeMulaw(base64ToBytes(payload))
    if (!samples.length) return
    const buffer = this.#context.createBuffer(1, samples.length, MULAW_RATE)
    buffer.copyToChannel(samples, 0)
    const source = this.#context.createBufferSource()
    source.buffer = buffer
    source.connect(this.#context.destination)
    const now = this.#context.currentTime
    const at = this.#playhead >= now ? this.#playhead : now + PLAYBACK_LEAD_S
    source.start(at)
    this.#playhead = at + buffer.duration
    this.#playing.add(source)
    source.onended = () => this.#playing.delete(source)
  }

  /** A mark goes back once the audio queued before it has played, as Twilio does. */
  #echoMarks(): void {
    const now = this.#context.currentTime
    while (this.#marks.length && (this.#marks[0] as { at: number }).at <= now) {
      const mark = this.#marks.shift() as { name: string }
      if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify({ event: 'mark', streamSid: this.#streamSid, mark: { name: mark.name } }))
    }
  }

  /** The caller talked over the agent: unplayed audio is dropped, and its marks never come back. */
  #clear(): void {
    for (const source of this.#playing) source.stop()
    this.#playing.clear()
    this.#marks = []
    this.#playhead = 0
  }

  #setState(state: TestCallState): void {
    this.#state = state
    this.#options.onState(state)
  }

  #finish(state: TestCallState): void {
    if (this.#done) return
    this.#setState(state)
    this.#release()
  }

  #release(): void {
    window.clearInterval(this.#timer)
    this.#clear()
    for (const track of this.#stream?.getTracks() ?? []) track.stop()
    this.#encoder?.port.close()
    this.#encoder?.disconnect()
    if (this.#socket && this.#socket.readyState < WebSocket.CLOSING) this.#socket.close(1000)
    if (this.#context.state !== 'closed') void this.#context.close()
  }
}
