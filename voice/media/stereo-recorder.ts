import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3'

const SAMPLE_RATE = 8000
const SAMPLES_PER_MS = SAMPLE_RATE / 1000
const MULAW_SILENCE = 0xff
// S3 needs every part but the last to be at least 5 MiB.
export const MIN_PART_BYTES = 5 * 1024 * 1024
// Mix once a second of caller audio has arrived: cheap, and bounds what waits in memory.
const MIX_EVERY_SAMPLES = SAMPLE_RATE
const WAVE_FORMAT_MULAW = 7
const HEADER_BYTES = 58

interface Chunk {
  start: number
  bytes: Buffer
}

/**
 * Records a call as a stereo 8 kHz mu-law WAV (caller left, agent right), time-aligned, streamed
 * to S3 with a multipart upload while the call runs. The caller's frames are placed at Twilio's
 * timestamps; the agent's audio is placed where the caller hears it (one reply after another,
 * never before now), and cut at barge-in to what was actually played.
 *
 * Memory stays bounded: audio is mixed each second and uploaded in 5 MiB parts. The first part,
 * which starts with the WAV header, is uploaded last, when the sizes the header holds are known.
 */
export class StereoRecorder {
  readonly #s3: S3Client
  readonly #bucket: string
  readonly #key: string
  #uploadId: string | null = null
  #caller: Chunk[] = []
  #agent: Chunk[] = []
  #callerEnd = 0
  #agentCursor = 0
  #mixed = 0
  #firstPart: Buffer[] = []
  #firstPartBytes = 0
  #current: Buffer[] = []
  #currentBytes = 0
  #parts: Array<{ PartNumber: number; ETag: string }> = []
  // Part 1 holds the header and is uploaded last; the parts in between are numbered from 2.
  #nextPart = 2
  #replyStart = 0
  #uploads: Promise<void>[] = []
  #closed = false

  constructor(s3: S3Client, bucket: string, key: string) {
    this.#s3 = s3
    this.#bucket = bucket
    this.#key = key
  }

  /** Opens the multipart upload; its id is recorded by the api so an interrupted upload can be cleaned up. */
  async start(): Promise<string> {
    const upload = await this.#s3.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#key, ContentType: 'audio/wav' }))
    this.#uploadId = upload.UploadId ?? null
    if (!this.#uploadId) throw new Error('S3 returned no upload id')
    return this.#uploadId
  }

  /** A caller frame, at Twilio's media timestamp (ms since the stream started). */
  writeCaller(base64: string, timestampMs: number): void {
    if (this.#closed) return
    const bytes = Buffer.from(base64, 'base64')
    const start = Math.max(Math.round(timestampMs * SAMPLES_PER_MS), this.#mixed)
    this.#caller.push({ start, bytes })
    this.#callerEnd = Math.max(this.#callerEnd, start + bytes.length)
    if (this.#callerEnd - this.#mixed >= MIX_EVERY_SAMPLES) this.#mix(this.#callerEnd)
  }

  /** An agent chunk: it plays after the previous one, and never before what the caller has sent. */
  writeAgent(base64: string, newReply: boolean): void {
    if (this.#closed) return
    const bytes = Buffer.from(base64, 'base64')
    const start = Math.max(this.#agentCursor, this.#callerEnd, this.#mixed)
    if (newReply) this.#replyStart = start
    this.#agent.push({ start, bytes })
    this.#agentCursor = start + bytes.length
  }

  /** Barge-in: the current reply's audio after `playedMs` was never heard. */
  truncateAgent(playedMs: number): void {
    const cut = Math.max(this.#mixed, this.#replyStart + Math.round(playedMs * SAMPLES_PER_MS))
    this.#agent = this.#agent.filter((chunk) => chunk.start < cut).map((chunk) => (chunk.start + chunk.bytes.length > cut ? { start: chunk.start, bytes: chunk.bytes.subarray(0, cut - chunk.start) } : chunk))
    this.#agentCursor = Math.min(this.#agentCursor, cut)
  }

  #mix(upTo: number): void {
    const samples = upTo - this.#mixed
    if (samples <= 0) return
    const out = Buffer.alloc(samples * 2, MULAW_SILENCE)
    const place = (chunks: Chunk[], channel: 0 | 1): Chunk[] => {
      const kept: Chunk[] = []
      for (const chunk of chunks) {
        const from = Math.max(chunk.start, this.#mixed)
        const to = Math.min(chunk.start + chunk.bytes.length, upTo)
        for (let s = from; s < to; s++) out[(s - this.#mixed) * 2 + channel] = chunk.bytes[s - chunk.start] as number
        if (chunk.start + chunk.bytes.length > upTo) kept.push(chunk)
      }
      return kept
    }
    this.#caller = place(this.#caller, 0)
    this.#agent = place(this.#agent, 1)
    this.#mixed = upTo
    this.#append(out)
  }

  #append(bytes: Buffer): void {
    if (this.#firstPartBytes < MIN_PART_BYTES) {
      this.#firstPart.push(bytes)
      this.#firstPartBytes += bytes.length
      return
    }
    this.#current.push(bytes)
    this.#currentBytes += bytes.length
    if (this.#currentBytes >= MIN_PART_BYTES) this.#uploadCurrent()
  }

  #uploadCurrent(): void {
    if (this.#currentBytes === 0) return
    const body = Buffer.concat(this.#current)
    this.#current = []
    this.#currentBytes = 0
    this.#uploads.push(this.#uploadPart(this.#nextPart++, body))
  }

  async #uploadPart(partNumber: number, body: Buffer): Promise<void> {
    const result = await this.#s3.send(new UploadPartCommand({ Bucket: this.#bucket, Key: this.#key, UploadId: this.#uploadId as string, PartNumber: partNumber, Body: body }))
    this.#parts.push({ PartNumber: partNumber, ETag: result.ETag as string })
  }

  /** Mixes what is left, uploads the header part and completes the object. */
  async finish(): Promise<{ bytes: number; durationMs: number }> {
    if (this.#closed) throw new Error('recording already closed')
    this.#closed = true
    this.#mix(Math.max(this.#callerEnd, this.#agentCursor))
    this.#uploadCurrent()
    await Promise.all(this.#uploads)
    const dataBytes = this.#mixed * 2
    const first = Buffer.concat([wavHeader(dataBytes, this.#mixed), ...this.#firstPart])
    this.#firstPart = []
    await this.#uploadPart(1, first)
    await this.#s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: this.#key,
        UploadId: this.#uploadId as string,
        MultipartUpload: { Parts: [...this.#parts].sort((a, b) => a.PartNumber - b.PartNumber) },
      }),
    )
    return { bytes: HEADER_BYTES + dataBytes, durationMs: Math.round(this.#mixed / SAMPLES_PER_MS) }
  }

  /** Drops the recording: the upload is aborted, so nothing of it stays in the store. */
  async discard(): Promise<void> {
    this.#closed = true
    this.#caller = []
    this.#agent = []
    this.#firstPart = []
    this.#current = []
    await Promise.allSettled(this.#uploads)
    if (!this.#uploadId) return
    await this.#s3.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#key, UploadId: this.#uploadId })).catch((error: { name?: string }) => {
      // s3rver (the embedded store) cannot abort uploads; no object exists without completion either way.
      if (error.name !== 'MethodNotAllowed') throw error
    })
  }
}

/** A WAV header for stereo 8 kHz mu-law: RIFF, an 18-byte fmt chunk, a fact chunk, then data. */
export function wavHeader(dataBytes: number, samplesPerChannel: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES)
  header.write('RIFF', 0, 'ascii')
  header.writeUInt32LE(HEADER_BYTES - 8 + dataBytes, 4)
  header.write('WAVE', 8, 'ascii')
  header.write('fmt ', 12, 'ascii')
  header.writeUInt32LE(18, 16)
  header.writeUInt16LE(WAVE_FORMAT_MULAW, 20)
  header.writeUInt16LE(2, 22)
  header.writeUInt32LE(SAMPLE_RATE, 24)
  header.writeUInt32LE(SAMPLE_RATE * 2, 28)
  header.writeUInt16LE(2, 32)
  header.writeUInt16LE(8, 34)
  header.writeUInt16LE(0, 36)
  header.write('fact', 38, 'ascii')
  header.writeUInt32LE(4, 42)
  header.writeUInt32LE(samplesPerChannel, 46)
  header.write('data', 50, 'ascii')
  header.writeUInt32LE(dataBytes, 54)
  return header
}
