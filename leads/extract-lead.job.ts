import type { FastifyBaseLogger } from 'fastify'
import type { AppMetrics, DomainEvents, JobData, JobQueue, JobRun, Knex } from '../core/index.ts'
import { extractFallbackLead } from './extraction/fallback-extractor.ts'
import { captureFieldSchema, type CallFacts, type CaptureField, type TranscriptLine } from './extraction/lead-fields.ts'
import { ModelExtractionFailed, type ModelExtractor } from './extraction/model-extractor.ts'
import { normalizePhone } from './extraction/normalize.ts'
import { saveExtraction, type Extraction } from './lead-store.ts'

type ExtractLeadJob = JobData['lead-extract']

export interface ExtractionDeps {
  db: Knex
  jobs: JobQueue
  events: DomainEvents
  /** Null when OpenAI is not configured: every lead then comes from the fallback extractor. */
  extractor: ModelExtractor | null
  log: FastifyBaseLogger
  metrics?: AppMetrics
}

// The media worker saves the last transcript lines and then reports the stream's end; Twilio's
// final status can arrive before either. Extraction waits for the end report, but not forever:
// a worker that died never sends one.
const TRANSCRIPT_GRACE_SECONDS = 60
const RECHECK_SECONDS = 3

/**
 * The lead-extract job. The model's answer is used when it comes; otherwise the fallback extractor
 * makes the lead at once (so no lead waits on, or is lost to, a provider outage) and the job fails
 * its attempt, to be retried with backoff: a later success replaces the fallback values. A refusal
 * is final. The lead is keyed by its call, so a job repeated after a crash changes nothing twice.
 */
export function extractLeadHandler(deps: ExtractionDeps) {
  return async (job: JobRun<ExtractLeadJob>): Promise<void> => {
    const call = await loadCall(deps.db, job.data.callId)
    if (!call) return
    if (!call.transcript_final) {
      await deps.jobs.enqueue('lead-extract', job.data, { singletonKey: job.data.callId, startAfter: RECHECK_SECONDS })
      return
    }
    const existing = call.lead_method !== null
    if (existing && call.lead_method !== 'fallback') return

    const transcript: TranscriptLine[] = await deps.db('transcript_segments').where({ call_id: call.id }).orderBy('seq').select('seq', 'speaker', 'text')
    const facts = callFacts(call)
    if (!existing && !transcript.some((line) => line.speaker !== 'agent') && !normalizePhone(facts.callerNumber, facts.country)) return

    let extraction: Extraction
    let failure: ModelExtractionFailed | null = null
    if (!deps.extractor) extraction = { method: 'fallback', lead: extractFallbackLead(transcript, facts), reason: 'not_configured' }
    else {
      try {
        extraction = { method: 'model', ...(await deps.extractor.extract(transcript, facts, job.signal)) }
      } catch (error) {
        if (!(error instanceof ModelExtractionFailed)) throw error
        failure = error
        extraction = { method: 'fallback', lead: extractFallbackLead(transcript, facts), reason: error.kind }
      }
    }
    const event = await deps.db.transaction((trx) => saveExtraction(trx, call, extraction, facts.captureFields))
    if (event) await deps.events.publish(event)
    if (failure) {
      deps.metrics?.providerError('openai_extraction', failure.kind)
      deps.log.warn({ callId: call.id, kind: failure.kind, attempt: job.retryCount }, 'lead extraction fell back: %s', failure.message)
      if (failure.kind !== 'refused') throw failure
    }
  }
}

type CallRow = { id: string; business_id: string } & Record<string, any>

async function loadCall(db: Knex, callId: string): Promise<CallRow | undefined> {
  return db('calls as c')
    .join('businesses as b', 'b.id', 'c.business_id')
    .leftJoin('agent_configs as a', 'a.id', 'c.agent_config_id')
    .leftJoin('leads as l', 'l.call_id', 'c.id')
    .where('c.id', callId)
    .first(
      'c.id',
      'c.business_id',
      'c.from_number',
      'c.started_at',
      'b.name',
      'b.country',
      'b.time_zone',
      'a.capture_fields',
      'l.extraction_method as lead_method',
      db.raw(`(c.quality->>'endReason' is not null or c.ended_at < now() - make_interval(secs => ${TRANSCRIPT_GRACE_SECONDS})) as transcript_final`),
    )
}

function callFacts(call: Record<string, any>): CallFacts {
  return {
    callerNumber: call.from_number,
    country: call.country,
    timeZone: call.time_zone,
    businessName: call.name,
    startedAt: call.started_at,
    captureFields: readCaptureFields(call.capture_fields),
  }
}

/** Capture fields as configured; an entry that no longer parses is skipped rather than failing the lead. */
export function readCaptureFields(raw: unknown): CaptureField[] {
  if (!Array.isArray(raw)) return []
  return raw.flatMap((entry) => {
    const parsed = captureFieldSchema.safeParse(entry)
    return parsed.success ? [parsed.data] : []
  })
}
