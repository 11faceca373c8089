/**
 * The load generator of bench:api, run as a child process so it never competes with the server
 * for the same event loop: `clients` concurrent clients, each sending the call-list request to the
 * api instances round-robin by client, one request at a time, for `seconds` (a closed loop: the
 * load adapts to the server's speed). With `rate`, requests are sent instead at that many a second
 * whatever the answers (an open loop: the load a business's users bring), each request's latency
 * counted from when it was due, so a generator that falls behind does not hide the wait. Takes its
 * options and reports the latency of every answered request and its own CPU use over the IPC channel.
 */
import { Agent, request } from 'node:http'

export interface LoadOptions {
  ports: number[]
  clients: number
  seconds: number
  /** Request bodies to send, picked in turn (different cursors, so not every request reads the same page). */
  bodies: string[]
  /** Bearer credentials, used in turn: each has its own query budget at the api. */
  tokens: string[]
  /** Requests a second, sent whatever the answers, instead of `clients` clients in a loop. */
  rate?: number
}

export interface LoadResult {
  latenciesMs: number[]
  errors: number
  firstError: string | null
  seconds: number
  cpuPercent: number
}

const options = await new Promise<LoadOptions>((resolve) => process.once('message', (message) => resolve(message as LoadOptions)))
const agent = new Agent({ keepAlive: true, maxSockets: options.rate ? 512 : options.clients })
const latenciesMs: number[] = []
let errors = 0
let firstError: string | null = null
let sent = 0

function send(port: number, started = performance.now()): Promise<void> {
  const n = sent++
  const body = options.bodies[n % options.bodies.length] as string
  return new Promise((resolve) => {
    const req = request(
      { agent, host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${options.tokens[n % options.tokens.length]}` } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          if (res.statusCode === 200 && !text.includes('"errors"')) latenciesMs.push(performance.now() - started)
          else {
            errors++
            firstError ??= `${res.statusCode} ${text.slice(0, 300)}`
          }
          resolve()
        })
      },
    )
    req.on('error', (error) => {
      errors++
      firstError ??= error.message
      resolve()
    })
    req.end(body)
  })
}

const cpuBefore = process.cpuUsage()
const started = performance.now()
const deadline = started + options.seconds * 1000
if (options.rate) {
  const answers: Array<Promise<void>> = []
  for (let n = 0; started + (n * 1000) / options.rate < deadline; n++) {
    const due = started + (n * 1000) / options.rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    answers.push(send(options.ports[n % options.ports.length] as number, due))
  }
  await Promise.all(answers)
} else {
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      const port = options.ports[client % options.ports.length] as number
      while (performance.now() < deadline) await send(port)
    }),
  )
}
const seconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuBefore)
agent.destroy()
process.send?.({ latenciesMs, errors, firstError, seconds, cpuPercent: ((cpu.user + cpu.system) / 1000 / 1000 / seconds) * 100 } satisfies LoadResult, () => process.disconnect())
