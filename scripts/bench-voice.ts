/**
 * npm run bench:voice — concurrent simulated calls through the real media worker.
 *
 * Answerline runs in its own process on a fresh database. This process plays both ends: Twilio
 * (one WebSocket per call, a 20 ms mu-law frame every 20 ms) and an instant model server (a 20 ms
 * audio delta every 20 ms per call, as an agent that never stops talking). Every frame carries its
 * call and sequence number in its first bytes, so the time each spends crossing the worker is
 * measured in both directions on one clock. Reports, per N, the added latency (p50 / p99 / max),
 * the worker's CPU (% of one core) and RSS growth per call, and errors; ends with one JSON line.
 * Options: --calls 50,200,500 --seconds 10 --recording (callers consent; audio goes to a local S3 store)
 *          --bare (relay through scripts/bare-relay.ts instead: the floor this machine's sockets set)
 *          --profile DIR (the worker writes a V8 CPU profile there when it stops)
 */
import { spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import twilio from 'twilio'
import WebSocket, { WebSocketServer } from 'ws'
import { appendLedger, startEmbeddedS3, type Knex } from '../core/index.ts'
import { benchEnvironment, freePort, openBenchDatabase, percentile, round, startAnswerline, stopAnswerline } from './bench-support.ts'

const { values } = parseArgs({ options: { calls: { type: 'string', default: '50,200,500' }, seconds: { type: 'string', default: '10' }, recording: { type: 'boolean', default: false }, profile: { type: 'string' }, bare: { type: 'boolean', default: false } } })
const BARE = values.bare
const RECORDING = values.recording
const LEVELS = values.calls.split(',').map(Number)
const SECONDS = Number(values.seconds)
const FRAME_MS = 20
const CLOCK_TICKS = 100 // USER_HZ on Linux


/** A 20 ms frame whose first bytes say which call and which frame it is. */
function frame(call: number, seq: number): string {
  const bytes = Buffer.alloc(160, 0xff)
  bytes.writeUInt32BE(call, 0)
  bytes.writeUInt32BE(seq, 4)
  return bytes.toString('base64')
}
function readFrame(base64: string): [number, number] {
  const bytes = Buffer.from(base64.slice(0, 12), 'base64')
  return [bytes.readUInt32BE(0), bytes.readUInt32BE(4)]
}


function processStats(pid: number): { cpuTicks: number; systemTicks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return { cpuTicks: Number(stat[11]) + Number(stat[12]), systemTicks: Number(stat[12]), rssKb: Number(rss) }
}

async function main() {
  if (existsSync('/usr/bin/taskset')) spawnSync('/usr/bin/taskset', ['-pc', '0', String(process.pid)])
  const bench = await openBenchDatabase('voice_bench')

  // The instant model: one ticker sends every live call's next delta.
  const sentToTwilio = new Map<string, number>()
  const inboundLatency: number[] = []
  const inboundSent = new Map<string, number>()
  const modelSockets = new Set<{ socket: WebSocket; call: number; seq: number; speaking: boolean }>()
  const modelByCall = new Map<number, { socket: WebSocket; call: number; seq: number; speaking: boolean }>()
  // Both ends of the load generator skip what they can (UTF-8 checks, masking), so more of this core is left for generating load.
  const model = new WebSocketServer({ host: '127.0.0.1', port: 0, skipUTF8Validation: true })
  await new Promise<void>((resolve) => model.once('listening', () => resolve()))
  model.on('connection', (socket) => {
    const entry = { socket, call: -1, seq: 0, speaking: false }
    modelSockets.add(entry)
    socket.on('close', () => {
      modelSockets.delete(entry)
      if (modelByCall.get(entry.call) === entry) modelByCall.delete(entry.call)
    })
    socket.on('message', (data: Buffer) => {
      const text = data.toString()
      if (text.startsWith('{"type":"input_audio_buffer.append"')) {
        const audio = text.slice(text.indexOf('"audio":"') + 9, text.lastIndexOf('"'))
        const [call, seq] = readFrame(audio)
        if (entry.call < 0) modelByCall.set(call, entry)
        entry.call = call
        const sent = inboundSent.get(`${call}:${seq}`)
        if (sent !== undefined) {
          inboundLatency.push(performance.now() - sent)
          inboundSent.delete(`${call}:${seq}`)
        }
      } else if (text.includes('"type":"response.create"')) entry.speaking = true
    })
  })
  const modelPort = (model.address() as { port: number }).port

  let server: ChildProcess | undefined
  const store = RECORDING ? await startEmbeddedS3({ dataDir: join(bench.dataDir, 's3'), port: 0, bucket: 'answerline' }) : null
  const results: Array<Record<string, number>> = []
  try {
    const number = await seed(bench.db)
    const port = await freePort()
    const authToken = randomBytes(24).toString('hex')
    const base = `http://127.0.0.1:${port}`
    const env = {
      ...benchEnvironment(port, bench.url, authToken),
      OPENAI_REALTIME_URL: `ws://127.0.0.1:${modelPort}/v1/realtime`,
      CALL_RESERVATION_MINUTES: '60',
      ...(values.profile && { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values.profile}` }),
      ...(store && { S3_ENDPOINT: store.endpoint, S3_ACCESS_KEY_ID: store.accessKeyId, S3_SECRET_ACCESS_KEY: store.secretAccessKey, S3_BUCKET: 'answerline' }),
    }
    // The worker gets the second core to itself where taskset exists; this process pins itself to the first.
    const pinned = existsSync('/usr/bin/taskset')
    const command = BARE ? ['scripts/bare-relay.ts'] : ['cli.ts', 'start']
    server = await startAnswerline(pinned ? '/usr/bin/taskset' : process.execPath, [...(pinned ? ['-c', '1', process.execPath] : []), ...command], env, port)
    const streamUrl = `ws://127.0.0.1:${port}/voice/stream`
    const signature = twilio.getExpectedTwilioSignature(authToken, streamUrl, {})
    let sidCounter = 0
    /** What Twilio does before it opens the stream: the inbound webhook (and the consent answer) hand out the call token. */
    const callToken = async (sid: string, params: Record<string, string>): Promise<string | undefined> => {
      const webhook = await fetch(`${base}/voice/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, `${base}/voice/inbound`, params) },
        body: new URLSearchParams(params),
      })
      let answer = await webhook.text()
      if (RECORDING) {
        const consent = { CallSid: sid, Digits: '1' }
        answer = await (
          await fetch(`${base}/voice/consent`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, `${base}/voice/consent`, consent) },
            body: new URLSearchParams(consent),
          })
        ).text()
      }
      return /name="callToken" value="([^"]+)"/.exec(answer)?.[1]
    }

    for (const level of LEVELS) {
      const outboundLatency: number[] = []
      inboundLatency.length = 0
      inboundSent.clear()
      sentToTwilio.clear()
      let errors = 0
      const idle = processStats(server.pid as number)
      const calls: Array<{ socket: WebSocket; index: number; seq: number; streamSid: string }> = []
      for (let i = 0; i < level; i++) {
        const sid = `CA${(++sidCounter).toString(16).padStart(32, '0')}`
        const params = { CallSid: sid, From: `+1555${String(sidCounter).padStart(7, '0')}`, To: number }
        const token = BARE ? 'bare' : await callToken(sid, params)
        if (!token) {
          errors++
          continue
        }
        const socket = new WebSocket(streamUrl, { headers: { 'x-twilio-signature': signature }, perMessageDeflate: false, skipUTF8Validation: true, generateMask: () => {} })
        await new Promise<void>((resolve, reject) => {
          socket.once('open', () => resolve())
          socket.once('error', reject)
        })
        const streamSid = `MZ${sid.slice(2)}`
        const call = { socket, index: i, seq: 0, streamSid }
        socket.on('message', (data: Buffer) => {
          const text = data.toString()
          if (!text.startsWith('{"event":"media"')) return
          const payload = text.slice(text.indexOf('"payload":"') + 11, text.lastIndexOf('"}}'))
          const key = payload.slice(0, 12)
          const sent = sentToTwilio.get(key)
          if (sent !== undefined) {
            outboundLatency.push(performance.now() - sent)
            sentToTwilio.delete(key)
          }
        })
        socket.on('error', () => errors++)
        socket.send(JSON.stringify({ event: 'start', streamSid, start: { streamSid, callSid: sid, customParameters: { callToken: token } } }))
        calls.push(call)
      }
      await sleep(1_000)
      const loaded = processStats(server.pid as number)

      // Real calls start at random moments, so their 20 ms frame clocks are out of step: each call
      // gets its own phase within the 20 ms period, the model's deltas half a period after the
      // caller's frames. (Sending every call's frame at the same instant would measure the queue
      // behind a burst that real traffic never makes.)
      const schedule = calls
        .flatMap((call, i) => {
          const phase = (i * FRAME_MS) / calls.length
          return [
            { at: phase, send: () => sendCallerFrame(call) },
            { at: (phase + FRAME_MS / 2) % FRAME_MS, send: () => sendModelDelta(modelByCall.get(call.index)) },
          ]
        })
        .sort((a, b) => a.at - b.at)
      const sendCallerFrame = (call: (typeof calls)[number]) => {
        const seq = call.seq++
        const payload = frame(call.index, seq)
        inboundSent.set(`${call.index}:${seq}`, performance.now())
        call.socket.send(`{"event":"media","sequenceNumber":"${seq}","media":{"track":"inbound","chunk":"${seq}","timestamp":"${seq * FRAME_MS}","payload":"${payload}"},"streamSid":"${call.streamSid}"}`)
      }
      const sendModelDelta = (entry: { socket: WebSocket; call: number; seq: number; speaking: boolean } | undefined) => {
        if (!entry?.speaking) return
        const seq = entry.seq++
        const delta = frame(1_000_000 + entry.call, seq)
        sentToTwilio.set(delta.slice(0, 12), performance.now())
        entry.socket.send(`{"type":"response.output_audio.delta","response_id":"resp_1","item_id":"item_${entry.call}","output_index":0,"content_index":0,"delta":"${delta}"}`)
      }
      const periods = (SECONDS * 1000) / FRAME_MS
      const before = processStats(server.pid as number)
      const generatorBefore = process.cpuUsage()
      const started = performance.now()
      for (let period = 0; period < periods; period++) {
        for (const slot of schedule) {
          const wait = started + period * FRAME_MS + slot.at - performance.now()
          if (wait >= 1) await sleep(wait)
          slot.send()
        }
      }
      const elapsed = (performance.now() - started) / 1000
      const after = processStats(server.pid as number)
      const generator = process.cpuUsage(generatorBefore)
      await sleep(500)
      for (const call of calls) call.socket.close()
      await sleep(1_000)

      const inbound = [...inboundLatency].sort((a, b) => a - b)
      const outbound = [...outboundLatency].sort((a, b) => a - b)
      const lost = inboundSent.size + sentToTwilio.size
      const row = {
        calls: calls.length,
        inboundP50Ms: round(percentile(inbound, 50)),
        inboundP99Ms: round(percentile(inbound, 99)),
        inboundMaxMs: round(inbound.at(-1) ?? NaN),
        outboundP50Ms: round(percentile(outbound, 50)),
        outboundP99Ms: round(percentile(outbound, 99)),
        outboundMaxMs: round(outbound.at(-1) ?? NaN),
        workerCpuPercentOfOneCore: round(((after.cpuTicks - before.cpuTicks) / CLOCK_TICKS / elapsed) * 100),
        workerKernelPercentOfOneCore: round(((after.systemTicks - before.systemTicks) / CLOCK_TICKS / elapsed) * 100),
        generatorCpuPercentOfOneCore: round(((generator.user + generator.system) / 1e6 / elapsed) * 100),
        workerRssMb: round(after.rssKb / 1024),
        rssGrowthKbPerCall: round((loaded.rssKb - idle.rssKb) / Math.max(1, calls.length)),
        framesMeasured: inbound.length + outbound.length,
        framesLost: lost,
        errors,
      }
      results.push(row)
      process.stdout.write(
        `N=${row.calls}: caller->model p50 ${row.inboundP50Ms} p99 ${row.inboundP99Ms} max ${row.inboundMaxMs} ms | model->caller p50 ${row.outboundP50Ms} p99 ${row.outboundP99Ms} max ${row.outboundMaxMs} ms | worker CPU ${row.workerCpuPercentOfOneCore}% of a core (kernel ${row.workerKernelPercentOfOneCore}%), RSS ${row.workerRssMb} MB (+${row.rssGrowthKbPerCall} KB/call) | load generator CPU ${row.generatorCpuPercentOfOneCore}% | lost ${lost}, errors ${errors}\n`,
      )
    }
    process.stdout.write(`${JSON.stringify({ benchmark: 'voice', seconds: SECONDS, recording: RECORDING, levels: results })}\n`)
  } finally {
    await stopAnswerline(server)
    for (const entry of modelSockets) entry.socket.terminate()
    await new Promise((resolve) => model.close(resolve))
    await store?.stop()
    await bench.close()
  }
}

async function seed(db: Knex): Promise<string> {
  const [org] = await db('organizations').insert({ kind: 'direct', name: 'Voice bench' }).returning('id')
  const [business] = await db('businesses').insert({ organization_id: org.id, name: 'Voice bench' }).returning('id')
  await db('agent_configs').insert({ business_id: business.id, version: 1, greeting: 'Hello', disclosure_text: 'You are speaking with an AI assistant.', consent_prompt: 'May we record?', recording_enabled: RECORDING })
  await db('phone_numbers').insert({ business_id: business.id, e164: '+14440000001', source: 'attached' })
  const [account] = await db('billing_accounts').insert({ organization_id: org.id, display_name: 'Voice bench', plan: 'pro', subscription_status: 'active' }).returning('id')
  await db.transaction((trx) => appendLedger(trx, account.id, [{ kind: 'allowance', bucket: 'included', minutes: 10_000_000 }]))
  return '+14440000001'
}


await main()
