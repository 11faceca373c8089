import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startEmbeddedS3, type EmbeddedS3 } from '../../core/storage/embedded-s3.ts'
import { StereoRecorder } from './stereo-recorder.ts'

/** Stereo recordings streamed to an S3-compatible store through @aws-sdk/client-s3. */
const recorder = suite<{ store: EmbeddedS3; s3: S3Client; dir: string }>('voice: stereo call recording to S3')
const BUCKET = 'recordings-test'

recorder.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'answerline-s3-'))
  ctx.store = await startEmbeddedS3({ dataDir: ctx.dir, port: 0, bucket: BUCKET })
  ctx.s3 = new S3Client({ endpoint: ctx.store.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ctx.store.accessKeyId, secretAccessKey: ctx.store.secretAccessKey } })
})
recorder.after(async (ctx) => {
  ctx.s3.destroy()
  await ctx.store.stop()
  rmSync(ctx.dir, { recursive: true, force: true })
})

const frame = (byte: number, samples = 160) => Buffer.alloc(samples, byte).toString('base64')
async function download(s3: S3Client, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  return Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray())
}
const channel = (wav: Buffer, which: 0 | 1) => {
  const data = wav.subarray(58)
  return Buffer.from(Array.from({ length: data.length / 2 }, (_, i) => data[i * 2 + which] as number))
}

recorder('caller left, agent right, aligned in time, with a correct header', async ({ s3 }) => {
  const rec = new StereoRecorder(s3, BUCKET, 'calls/a.wav')
  await rec.start()
  // One second of caller audio (byte 0x10), the agent answering after 500 ms (byte 0x20) for 200 ms.
  for (let i = 0; i < 25; i++) rec.writeCaller(frame(0x10), i * 20)
  for (let i = 0; i < 10; i++) rec.writeAgent(frame(0x20), i === 0)
  for (let i = 25; i < 50; i++) rec.writeCaller(frame(0x10), i * 20)
  const result = await rec.finish()
  assert.equal(result, { bytes: 58 + 8000 * 2, durationMs: 1000 })
  const wav = await download(s3, 'calls/a.wav')
  assert.is(wav.subarray(0, 4).toString(), 'RIFF')
  assert.is(wav.readUInt32LE(4), wav.length - 8)
  assert.equal([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(32)], [7, 2, 8000, 2])
  assert.is(wav.readUInt32LE(54), wav.length - 58)
  const left = channel(wav, 0)
  const right = channel(wav, 1)
  assert.ok(left.every((b) => b === 0x10), 'the caller fills the left channel')
  assert.ok(right.subarray(0, 4000).every((b) => b === 0xff), 'silence before the agent speaks')
  assert.ok(right.subarray(4000, 5600).every((b) => b === 0x20), 'the agent at 500-700 ms')
  assert.ok(right.subarray(5600).every((b) => b === 0xff))
})

recorder('a barge-in cuts the agent\'s reply at what was played', async ({ s3 }) => {
  const rec = new StereoRecorder(s3, BUCKET, 'calls/b.wav')
  await rec.start()
  for (let i = 0; i < 10; i++) rec.writeCaller(frame(0x10), i * 20)
  for (let i = 0; i < 20; i++) rec.writeAgent(frame(0x20), i === 0)
  rec.truncateAgent(100)
  for (let i = 10; i < 40; i++) rec.writeCaller(frame(0x10), i * 20)
  await rec.finish()
  const right = channel(await download(s3, 'calls/b.wav'), 1)
  assert.is(right.filter((b) => b === 0x20).length, 800, '100 ms of agent audio kept')
})

recorder('long calls stream in parts, in bounded memory', async ({ s3 }) => {
  const rec = new StereoRecorder(s3, BUCKET, 'calls/c.wav')
  await rec.start()
  // Seven minutes of caller audio: more than two 5 MiB parts of stereo.
  for (let i = 0; i < 7 * 60 * 50; i++) rec.writeCaller(frame(0x30), i * 20)
  const { durationMs, bytes } = await rec.finish()
  assert.is(durationMs, 7 * 60 * 1000)
  const wav = await download(s3, 'calls/c.wav')
  assert.is(wav.length, bytes)
  assert.ok(channel(wav, 0).every((b) => b === 0x30))
})

recorder('a discarded recording leaves nothing in the store', async ({ s3 }) => {
  const rec = new StereoRecorder(s3, BUCKET, 'calls/d.wav')
  await rec.start()
  for (let i = 0; i < 100; i++) rec.writeCaller(frame(0x10), i * 20)
  await rec.discard()
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'calls/d' }))
  assert.is(listed.KeyCount ?? 0, 0)
})

recorder.run()
