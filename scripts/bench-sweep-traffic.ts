/**
 * The live traffic of `npm run bench:sweep`, in a thread of its own (its own event loop and
 * garbage collector, as another api or worker process would have): a call row inserted every few
 * milliseconds on one connection, each timed, until told to stop; then the timings are posted back.
 */
import { randomBytes } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'
import { createKnex } from '../core/index.ts'

export interface TrafficOptions {
  url: string
  businesses: string[]
  everyMs: number
}

/** Each insert: how long it took, and when it was sent (epoch milliseconds). */
export interface TrafficResult {
  waits: number[]
  sentAt: number[]
}

const { url, businesses, everyMs } = workerData as TrafficOptions
const live = createKnex(url, 1)
const liveCall = (businessId: string) => live('calls').insert({ business_id: businessId, direction: 'inbound', twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, from_number: '+15550001111', to_number: '+15559870000', status: 'in_progress' })

// Connected and warm before timing: the pool's first connection is not a wait the sweep caused.
await liveCall(businesses[0] as string)
let inserting = true
parentPort?.once('message', () => (inserting = false))
parentPort?.postMessage('ready')
const result: TrafficResult = { waits: [], sentAt: [] }
for (let n = 0; inserting; n++) {
  const started = performance.now()
  await liveCall(businesses[n % businesses.length] as string)
  result.waits.push(performance.now() - started)
  result.sentAt.push(performance.timeOrigin + started)
  await new Promise((resolve) => setTimeout(resolve, everyMs))
}
await live.destroy()
parentPort?.postMessage(result)
