/**
 * npm run bench:leads — lead extraction throughput with an instant model, and the database time per lead.
 *
 * A fresh database gets businesses (agent configs with text, number and choice capture fields) and
 * finished calls with 8–12 line transcripts; one call in eight comes from one of 20 repeat callers,
 * so contact linking both creates and finds contacts. This process serves chat completions and
 * answers every request at once with a valid lead for the caller ID in the prompt.
 *
 * Throughput: Answerline runs in its own process as `--role worker` (production settings,
 * JOBS_POLL_SECONDS 0.5, the lowest the config allows). After a warm-up batch, this process
 * enqueues the measured calls' lead-extract jobs and times the first enqueue to the last lead
 * (counted every 100 ms). Workers poll every JOBS_POLL_SECONDS until pg-boss's backlog count (refreshed
 * every few seconds) shows a backlog, then fetch back to back, so short runs include that ramp-up.
 * Afterwards: one model lead per call, one contact per caller, every job completed and none
 * dead-lettered; anything else counts as an error.
 *
 * Database time: the worker process cannot be timed from outside, so once it has stopped this
 * process runs the same handler (extractLeadHandler, with the real ModelExtractor pointed at the
 * instant server) on further calls, one at a time. A job's time minus its time inside extract()
 * (HTTP, SDK, reading the answer) is its database time: every query and the save transaction,
 * round trips included, without contention; pg-boss's own fetch and completion of the job (on its
 * own pool) are not in it. Statements per lead are counted from knex's query events (BEGIN and
 * COMMIT included). The run exits with code 1 when any check failed.
 * Options: --calls 2000 --concurrency 8 --businesses 10 --sample 300 --timeout 300
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { DomainEvents, JobQueue, type Knex } from '../core/index.ts'
import { extractLeadHandler } from '../leads/extract-lead.job.ts'
import { ModelExtractor } from '../leads/extraction/model-extractor.ts'
import { startFakeOpenAI } from '../leads/testing/fake-openai.ts'
import { modelAnswer, type Line } from '../leads/testing/lead-fixture.ts'
import { benchEnvironment, freePort, openBenchDatabase, percentile, round, startAnswerline, stopAnswerline } from './bench-support.ts'

const { values } = parseArgs({
  options: { calls: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '8' }, businesses: { type: 'string', default: '10' }, sample: { type: 'string', default: '300' }, timeout: { type: 'string', default: '300' } },
})
const CALLS = Number(values.calls)
const CONCURRENCY = Number(values.concurrency)
const BUSINESSES = Number(values.businesses)
const SAMPLE = Number(values.sample)
const TIMEOUT_SECONDS = Number(values.timeout)
const POLL_SECONDS = 0.5
// Jobs before measuring, so the worker's pools are open and its JIT warm; likewise the first in-process runs.
const WARMUP_CALLS = 50
const WARMUP_SAMPLE = 20

const CAPTURE_FIELDS = [
  { key: 'preferred_time', label: 'Preferred time', type: 'text', required: false },
  { key: 'bathrooms', label: 'Bathrooms', type: 'number', required: false },
  { key: 'property_type', label: 'Property type', type: 'choice', required: true, options: ['House', 'Apartment', 'Commercial'] },
]
const FIRST = ['Dana', 'Luis', 'Priya', 'Tom', 'Aisha', 'Marek', 'Keiko', 'Sam', 'Olga', 'Ben', 'Nora']
const LAST = ['Whitfield', 'Ortega', 'Raman', 'Becker', 'Okafor', 'Nowak', 'Tanaka', 'Reyes', 'Ivanova', 'Cole', 'Haddad', 'Lund', 'Moreau']
const ISSUES = ['My kitchen sink is leaking and it is getting worse.', 'The water heater stopped working this morning.', 'I would like a quote for replacing two toilets.', 'There is a burst pipe under the bathroom floor.']
const TIMES = ['Tomorrow morning', 'Friday after 3 pm', 'Any weekday before noon', 'Monday at 9']
const PROPERTIES = ['House', 'Apartment', 'Commercial']
const ZONES = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles']
const pick = <T>(list: readonly T[], n: number) => list[n % list.length] as T

/** The same caller (name, email, answers) for the same number, so the instant model agrees with the transcript. */
function callerFor(number: string) {
  const n = Number(number.slice(-7))
  const first = pick(FIRST, n)
  const last = pick(LAST, Math.floor(n / FIRST.length))
  return { name: `${first} ${last}`, email: `${first}.${last}.${n}@example.com`.toLowerCase(), spoken: `(${number.slice(2, 5)}) ${number.slice(5, 8)}-${number.slice(8)}`, issue: pick(ISSUES, n), time: pick(TIMES, n), bathrooms: 1 + (n % 4), property: pick(PROPERTIES, n) }
}

function transcript(business: string, c: ReturnType<typeof callerFor>, extra: number): Line[] {
  const lines: Line[] = [
    ['agent', `Thanks for calling ${business}, this is the virtual assistant. How can I help?`],
    ['caller', `Hi, this is ${c.name}. ${c.issue}`],
    ['agent', 'Sorry to hear that, I can get someone out to you. What is the best number and email to reach you?'],
    ['caller', `Call me on ${c.spoken}, and my email is ${c.email}.`],
    ['agent', 'Thank you. Is the property a house, an apartment or commercial, and how many bathrooms are there?'],
    ['caller', `It is ${{ House: 'a house', Apartment: 'an apartment', Commercial: 'a shop, so commercial' }[c.property]}, with ${c.bathrooms} bathrooms.`],
    ['agent', 'When would suit you for a visit?'],
    ['caller', `${c.time} works best for me.`],
  ]
  const closing: Line[] = [['agent', 'Is there anything else the technician should know?'], ['caller', 'Please call before you come, the dog gets excited.'], ['agent', 'Noted. Someone will call you back today to confirm.'], ['caller', 'Great, thanks so much.']]
  return [...lines, ...closing.slice(0, extra)]
}

/** The instant model: a complete, valid answer for the caller named in the prompt's caller ID. */
function answer(body: Record<string, any>) {
  const number = /Caller ID: (\+\d+)/.exec(String(body.messages?.[1]?.content))?.[1] ?? '+14150000000'
  const c = callerFor(number)
  const v = (value: unknown, segment: number | null, confidence = 0.9) => ({ value, confidence, segment })
  const fields = { name: v(c.name, 1), phone: v(c.spoken, 3), email: v(c.email, 3), reason: v(c.issue, 1), urgency: v('normal', 1, 0.7), callOutcome: v('lead_captured', null, 0.8), temperature: v('warm', null, 0.6) }
  return { content: modelAnswer(fields, { preferred_time: v(c.time, 7), bathrooms: v(c.bathrooms, 5), property_type: v(c.property.toLowerCase(), 5) }, `${c.name} called: ${c.issue}`) }
}

/** Businesses with capture fields, and `count` finished calls with transcripts; returns the call ids in order. */
async function seed(db: Knex, count: number): Promise<string[]> {
  const businesses: Array<{ id: string; configId: string; name: string; number: string }> = []
  for (let b = 0; b < BUSINESSES; b++) {
    const name = `${pick(['Harbor', 'Summit', 'Cedar', 'Bayside'], b)} Plumbing ${b}`
    const [org] = await db('organizations').insert({ kind: 'direct', name }).returning('id')
    const [business] = await db('businesses').insert({ organization_id: org.id, name, time_zone: pick(ZONES, b) }).returning('id')
    const [config] = await db('agent_configs')
      .insert({ business_id: business.id, version: 1, greeting: 'Hello', disclosure_text: 'You are speaking with an AI assistant.', consent_prompt: 'May we record this call?', capture_fields: JSON.stringify(CAPTURE_FIELDS) })
      .returning('id')
    businesses.push({ id: business.id, configId: config.id, name, number: `+1444${String(b).padStart(7, '0')}` })
  }
  const calls: Array<Record<string, unknown>> = []
  const segments: Array<Record<string, unknown>> = []
  for (let i = 0; i < count; i++) {
    const business = pick(businesses, i)
    const from = i % 8 === 0 ? `+1628555${String((i / 8) % 20).padStart(4, '0')}` : `+1415${7_000_000 + i}`
    const id = randomUUID()
    const started = new Date(Date.now() - (count - i) * 60_000)
    calls.push({ id, business_id: business.id, agent_config_id: business.configId, twilio_call_sid: `CA${randomBytes(16).toString('hex')}`, direction: 'inbound', from_number: from, to_number: business.number, status: 'completed', answered_by: 'ai', quality: JSON.stringify({ endReason: 'twilio_stopped' }), started_at: started, answered_at: started, ended_at: new Date(started.getTime() + 75_000), duration_seconds: 75 })
    transcript(business.name, callerFor(from), i % 5).forEach(([speaker, text], seq) => segments.push({ call_id: id, business_id: business.id, seq, speaker, text, started_ms: seq * 4000, ended_ms: seq * 4000 + 3500 }))
  }
  await db.batchInsert('calls', calls, 1000)
  await db.batchInsert('transcript_segments', segments, 4000)
  return calls.map((call) => call.id as string)
}

/** The same extractor, keeping the time spent inside extract(). */
class TimedExtractor extends ModelExtractor {
  ms = 0
  override async extract(...args: Parameters<ModelExtractor['extract']>) {
    const started = performance.now()
    try {
      return await super.extract(...args)
    } finally {
      this.ms += performance.now() - started
    }
  }
}

async function main() {
  const deadline = AbortSignal.timeout(TIMEOUT_SECONDS * 1000)
  // Cleanup itself could hang (a worker ignoring SIGTERM): past the timeout plus a grace, exit regardless.
  setTimeout(() => (process.stderr.write('bench:leads: cleanup did not finish; exiting\n'), process.exit(1)), (TIMEOUT_SECONDS + 30) * 1000).unref()
  const bench = await openBenchDatabase('leads')
  const fake = await startFakeOpenAI(answer)
  // Only enqueues: no supervision, no workers.
  const jobs = new JobQueue({ connectionString: bench.url, supervise: false, poolMax: 4, expireSeconds: 300, pollSeconds: 2, concurrency: 1, log: pino({ level: 'silent' }) })
  let worker: ChildProcess | undefined
  try {
    const ids = await seed(bench.db, WARMUP_CALLS + CALLS + SAMPLE)
    const [warmup, measured, sample] = [ids.slice(0, WARMUP_CALLS), ids.slice(WARMUP_CALLS, WARMUP_CALLS + CALLS), ids.slice(WARMUP_CALLS + CALLS)]
    const port = await freePort()
    const env = { ...benchEnvironment(port, bench.url, randomBytes(24).toString('hex')), OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: fake.baseUrl, JOBS_CONCURRENCY: String(CONCURRENCY), JOBS_POLL_SECONDS: String(POLL_SECONDS), DATABASE_POOL_MAX: '20' }
    worker = await startAnswerline(process.execPath, ['cli.ts', 'start', '--role', 'worker'], env, port)
    await jobs.start()
    const extractAll = async (callIds: string[]) => {
      const started = performance.now()
      const target = Number((await bench.db('leads').count({ n: '*' }))[0]?.n) + callIds.length
      for (let i = 0; i < callIds.length; i += 100) await Promise.all(callIds.slice(i, i + 100).map((callId) => jobs.enqueue('lead-extract', { callId }, { singletonKey: callId })))
      for (let done = 0; done < target; await sleep(100)) {
        done = Number((await bench.db('leads').count({ n: '*' }))[0]?.n)
        if (deadline.aborted) throw new Error(`timed out after ${TIMEOUT_SECONDS}s with ${done} of ${target} leads (raise --timeout or lower --calls)`)
      }
      return (performance.now() - started) / 1000
    }
    await extractAll(warmup)
    const seconds = await extractAll(measured)
    await stopAnswerline(worker)

    const timed = await timeHandler(bench.db, jobs, sample, fake.baseUrl, deadline)
    const check = await verify(bench.db, measured, ids)
    const errors = check.missing + check.duplicates + check.not_model + check.unfinished_jobs + check.dead_letters + Math.abs(check.contact_mismatch) + timed.errors
    const figures = {
      benchmark: 'leads', calls: CALLS, concurrency: CONCURRENCY, pollSeconds: POLL_SECONDS, jobsPerSecond: round(CALLS / seconds),
      dbMsPerLead: stats(timed.dbMs), statementsPerLead: stats(timed.statements).mean, modelMsPerLead: stats(timed.modelMs), leads: check.leads, duplicates: check.duplicates, errors,
    }
    const row = (label: string, s: { mean: number; p50: number; p99: number }) => `  ${label.padEnd(36)} mean ${s.mean} ms   p50 ${s.p50} ms   p99 ${s.p99} ms\n`
    process.stdout.write(`lead extraction, instant model: ${CALLS} calls, ${BUSINESSES} businesses, JOBS_CONCURRENCY ${CONCURRENCY}, JOBS_POLL_SECONDS ${POLL_SECONDS}\n`)
    process.stdout.write(`  worker throughput                    ${figures.jobsPerSecond} jobs/s over ${round(seconds)} s\n`)
    process.stdout.write(row(`database per lead (${timed.dbMs.length} in-process)`, figures.dbMsPerLead))
    process.stdout.write(row('instant model round trip', figures.modelMsPerLead))
    process.stdout.write(`  statements per lead                  ${figures.statementsPerLead}\n`)
    process.stdout.write(`  leads ${check.leads}/${CALLS}, duplicates ${check.duplicates}, missing ${check.missing}, not from the model ${check.not_model}, jobs not completed ${check.unfinished_jobs}, dead letters ${check.dead_letters}, contacts off by ${check.contact_mismatch}, handler errors ${timed.errors}\n`)
    process.stdout.write(`${JSON.stringify(figures)}\n`)
    if (errors) process.exitCode = 1
  } finally {
    await stopAnswerline(worker)
    await jobs.stop(5_000)
    await fake.close()
    await bench.close()
  }
}

/**
 * Runs the lead-extract handler in this process on `callIds`, one at a time, and splits each job's
 * time into the model's (inside extract()) and the rest, which is the database's.
 */
async function timeHandler(db: Knex, jobs: JobQueue, callIds: string[], baseUrl: string, signal: AbortSignal) {
  const extractor = new TimedExtractor({ apiKey: 'sk-bench', baseUrl, model: 'gpt-4o-mini', timeoutMs: 30_000, maxRetries: 0 })
  const handler = extractLeadHandler({ db, jobs, events: new DomainEvents(), extractor, log: pino({ level: 'silent' }) })
  let statements = 0
  db.on('query', () => statements++)
  const result = { dbMs: [] as number[], modelMs: [] as number[], statements: [] as number[], errors: 0 }
  for (const [i, callId] of callIds.entries()) {
    if (signal.aborted) throw new Error(`timed out after ${TIMEOUT_SECONDS}s timing the handler in process`)
    const before = { model: extractor.ms, statements, at: performance.now() }
    await handler({ id: randomUUID(), data: { callId }, retryCount: 0, retryLimit: 6, signal }).catch((error: unknown) => {
      if (!result.errors++) process.stderr.write(`bench:leads: the handler failed: ${String(error)}\n`)
    })
    if (i < WARMUP_SAMPLE) continue
    const model = extractor.ms - before.model
    result.modelMs.push(model)
    result.dbMs.push(performance.now() - before.at - model)
    result.statements.push(statements - before.statements)
  }
  return result
}

/** What must hold after the run: one model lead per call, one contact per caller, every job completed. */
async function verify(db: Knex, measured: string[], all: string[]) {
  const { rows } = await db.raw(
    `select (select count(*) from leads where call_id = any(:measured::uuid[]))::int as leads,
      (select count(*) from unnest(:all::uuid[]) as c(id) where not exists (select 1 from leads l where l.call_id = c.id))::int as missing,
      (select count(*) - count(distinct call_id) from leads)::int as duplicates,
      (select count(*) from leads where extraction_method <> 'model')::int as not_model,
      (select count(*) from pgboss.job where name = 'lead-extract' and state <> 'completed')::int as unfinished_jobs,
      (select count(*) from pgboss.job where name = 'dead-letter')::int as dead_letters,
      ((select count(*) from contacts) - (select count(distinct (business_id, from_number)) from calls))::int as contact_mismatch`,
    { measured, all },
  )
  return rows[0] as Record<'leads' | 'missing' | 'duplicates' | 'not_model' | 'unfinished_jobs' | 'dead_letters' | 'contact_mismatch', number>
}

function stats(list: number[]) {
  const sorted = [...list].sort((a, b) => a - b)
  return { mean: round(sorted.reduce((sum, x) => sum + x, 0) / sorted.length), p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) }
}

await main()
