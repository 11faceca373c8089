import type { Knex } from 'knex'

/** Why someone calls: their words, what the summary calls it, the service, and whether it is urgent. */
export interface DemoReason {
  say: string
  topic: string
  service: string
  urgent?: boolean
}

/** What one demo business talks about: why people call, and where they call. */
export interface DemoBusinessScript {
  businessId: string
  /** 0 or 1: keeps ids, CallSids and caller numbers of the two businesses apart. */
  index: number
  name: string
  toNumber: string
  reasons: DemoReason[]
  consentPrompt: string
}

const CALLS_PER_BUSINESS = 60
const CALLERS_PER_BUSINESS = 26
const DAY_MS = 24 * 3600 * 1000
// Mirrors leads/ (core cannot import it): what a model extraction records about itself.
const MODEL = { extraction_model: 'gpt-4o-mini', prompt_version: 'lead-extract/2026-11-29' }
const FIRST = ['Maria', 'James', 'Priya', 'Chen', 'Olivia', 'Diego', 'Aisha', 'Tom', 'Sofia', 'Liam', 'Grace', 'Omar', 'Hannah', 'Mateo', 'Zoe', 'Ethan', 'Lucia', 'Noah', 'Fatima', 'Ben', 'Ines', 'Kai', 'Rosa', 'Sam', 'Yara', 'Leo']
const LAST = ['Garcia', 'Smith', 'Patel', 'Wei', 'Johnson', 'Lopez', 'Khan', 'Brown', 'Rossi', 'Murphy', 'Kim', 'Haddad', 'Miller', 'Silva', 'Nguyen', 'Clark', 'Fernandez', 'Walker', 'Ali', 'Cohen', 'Moreau', 'Tanaka', 'Diaz', 'Baker', 'Santos', 'Reed']
const TIMES = ['Tuesday morning', 'Any weekday after 3pm', 'Friday afternoon', 'As soon as possible', 'Next Monday']

/** A small seeded generator (mulberry32): the same demo on every machine. */
function seededRandom(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
  return { next, int, pick, chance: (p: number) => next() < p }
}

/** Fixed ids, so a second seed finds the first demo call and adds nothing. */
export const demoId = (kind: 'ca11' | 'c0de' | '1ead', business: number, n: number) => `5eed${kind}-000${business}-4000-8000-${n.toString(16).padStart(12, '0')}`

/** Adds ~60 finished calls of the last 30 days to each business, with transcripts, consent, contacts and leads; once. */
export async function seedDemoActivity(trx: Knex.Transaction, scripts: DemoBusinessScript[], now = new Date()): Promise<boolean> {
  const first = scripts[0]
  if (!first || (await trx('calls').where({ id: demoId('ca11', first.index, 0) }).first('id'))) return false
  const agents = await trx('agent_configs').whereIn('business_id', scripts.map((s) => s.businessId)).where({ version: 1 }).select('id', 'business_id')
  const rows = { calls: [] as object[], consent_records: [] as object[], transcript_segments: [] as object[], contacts: [] as object[], leads: [] as object[] }
  for (const script of scripts) {
    const agentId = agents.find((a) => a.business_id === script.businessId)?.id ?? null
    buildBusinessActivity(script, agentId, now, rows)
  }
  // One statement per table (well under PostgreSQL's 65,535 parameters); contacts and calls go
  // first for the foreign keys that point at them.
  for (const table of ['contacts', 'calls', 'consent_records', 'transcript_segments', 'leads'] as const) {
    if (rows[table].length) await trx(table).insert(rows[table])
  }
  return true
}

interface Caller { name: string; first: string; phone: string; email: string | null; contactId: string }

function buildBusinessActivity(script: DemoBusinessScript, agentId: string | null, now: Date, rows: Record<string, object[]>): void {
  const random = seededRandom(0x5eed + script.index * 7919)
  const b = script.index
  const callers: Caller[] = Array.from({ length: CALLERS_PER_BUSINESS }, (_, i) => {
    const first = FIRST[(i + b * 5) % FIRST.length] as string
    const last = LAST[(i * 7 + b * 3) % LAST.length] as string
    const email = random.chance(0.75) ? `${first}.${last}@example.com`.toLowerCase() : null
    return { name: `${first} ${last}`, first, phone: `+1555${String(2_000_000 + b * 100_000 + i * 373).padStart(7, '0')}`, email, contactId: demoId('c0de', b, i) }
  })
  const contacted = new Set<Caller>()
  const starts = Array.from({ length: CALLS_PER_BUSINESS }, () => now.getTime() - random.int(10 * 60_000, 30 * DAY_MS)).sort((x, y) => x - y)

  starts.forEach((startMs, n) => {
    const id = demoId('ca11', b, n)
    const caller = random.pick(callers)
    const roll = random.next()
    const status = roll < 0.78 ? 'completed' : roll < 0.9 ? 'no_answer' : 'refused'
    const startedAt = new Date(startMs)
    const base = {
      id,
      business_id: script.businessId,
      agent_config_id: agentId,
      twilio_call_sid: `CA5eed${b}${n.toString(16).padStart(27, '0')}`,
      direction: 'inbound',
      from_number: status !== 'completed' && random.chance(0.3) ? 'anonymous' : caller.phone,
      to_number: script.toNumber,
      started_at: startedAt,
      created_at: startedAt,
    }
    if (status !== 'completed') {
      const seconds = status === 'no_answer' ? random.int(15, 40) : random.int(2, 9)
      rows.calls!.push({ ...base, status, refusal_reason: status === 'refused' ? random.pick(['no_minutes', 'blocked', 'subscription_invalid']) : null, duration_seconds: status === 'refused' ? seconds : 0, billed_minutes: 0, ended_at: new Date(startMs + seconds * 1000), updated_at: new Date(startMs + seconds * 1000) })
      return
    }

    const reason = random.pick(script.reasons)
    const escalated = random.chance(reason.urgent ? 0.5 : 0.03)
    const transfer = escalated ? random.pick(['answered', 'answered', 'no_answer'] as const) : null
    const seconds = random.int(45, 420)
    const answeredAt = new Date(startMs + random.int(1, 4) * 1000)
    const endedAt = new Date(startMs + seconds * 1000)
    const wantsLead = escalated || random.chance(0.88)
    const outcome = transfer === 'answered' ? 'transferred' : transfer ? 'callback_requested' : wantsLead ? random.pick(['lead_captured', 'appointment_requested']) : 'question_answered'
    rows.calls!.push({ ...base, status, answered_by: 'ai', answered_at: answeredAt, escalated, transfer_outcome: transfer, outcome, summary: `${caller.first} called about ${reason.topic}${escalated ? ' and asked to speak to someone' : ''}.`, duration_seconds: seconds, billed_minutes: Math.ceil(seconds / 60), ended_at: endedAt, updated_at: endedAt })

    const decisionRoll = random.next()
    const decision = decisionRoll < 0.6 ? 'given' : decisionRoll < 0.85 ? 'declined' : 'not_completed'
    rows.consent_records!.push({ call_id: id, business_id: script.businessId, decision, method: decision === 'not_completed' ? null : random.pick(['speech', 'dtmf']), attempts: decision === 'not_completed' ? 2 : 1, language: 'en-US', prompt_text: script.consentPrompt, asked_at: answeredAt, decided_at: new Date(answeredAt.getTime() + 5000) })

    const lines = transcriptLines(script, caller, reason, escalated, random)
    let ms = 6000
    lines.forEach(([speaker, text], seq) => {
      const length = 1500 + text.length * 45
      rows.transcript_segments!.push({ call_id: id, business_id: script.businessId, seq, speaker, text, started_ms: ms, ended_ms: ms + length })
      ms += length + 400
    })

    if (!wantsLead) return
    if (!contacted.has(caller)) {
      contacted.add(caller)
      rows.contacts!.push({ id: caller.contactId, business_id: script.businessId, name: caller.name, phone: caller.phone, email: caller.email, created_at: endedAt })
    }
    const fallback = random.chance(0.25)
    const reviewFields = fallback && random.chance(0.4) ? ['name'] : !caller.email && random.chance(0.3) ? ['email'] : []
    const ageDays = (now.getTime() - startMs) / DAY_MS
    const leadStatus = ageDays < 3 ? random.pick(['new', 'new', 'contacted']) : random.pick(['contacted', 'qualified', 'won', 'lost', 'new'])
    const extractedAt = new Date(endedAt.getTime() + 4000)
    rows.leads!.push({
      id: demoId('1ead', b, n),
      business_id: script.businessId,
      call_id: id,
      contact_id: caller.contactId,
      status: leadStatus,
      temperature: escalated ? 'hot' : random.pick(['hot', 'warm', 'warm', 'cold']),
      name: reviewFields.includes('name') ? null : caller.name,
      email: caller.email,
      phone: caller.phone,
      reason: reason.say,
      requested_service: reason.service,
      urgency: escalated ? 'emergency' : random.pick(['low', 'normal', 'normal', 'high']),
      call_outcome: escalated ? 'escalated' : outcome,
      custom_fields: JSON.stringify(random.chance(0.6) ? { preferred_time: random.pick(TIMES) } : {}),
      evidence: JSON.stringify(fallback ? {} : { name: { seq: 3, confidence: 0.94 }, reason: { seq: 1, confidence: 0.88 } }),
      extraction_method: fallback ? 'fallback' : 'model',
      fallback_reason: fallback ? 'not_configured' : null,
      extraction_model: fallback ? null : MODEL.extraction_model,
      prompt_version: fallback ? null : MODEL.prompt_version,
      needs_review: reviewFields.length > 0,
      review_fields: reviewFields,
      extracted_at: extractedAt,
      created_at: extractedAt,
      updated_at: extractedAt,
    })
  })
}

type Line = ['agent' | 'caller', string]

/** 4 to 8 turns: greeting, the request, one or two questions the agent asks, and the goodbye. */
function transcriptLines(script: DemoBusinessScript, caller: Caller, reason: DemoReason, escalated: boolean, random: ReturnType<typeof seededRandom>): Line[] {
  const lines: Line[] = [
    ['agent', `Thanks for calling ${script.name}. How can I help you today?`],
    ['caller', escalated ? `${reason.say}, it's urgent. Can I talk to someone right away?` : `Hi. ${reason.say}.`],
    ['agent', 'Of course. May I have your name, please?'],
    ['caller', `It's ${caller.name}.`],
  ]
  if (random.chance(0.6)) lines.push(['agent', 'And what is the best email to reach you?'], ['caller', caller.email ? `It's ${caller.email}.` : "I'd rather you just call me back."])
  lines.push(['agent', escalated ? 'Thank you. Let me connect you with the team now.' : `Thanks, ${caller.first}. The team will call you back shortly.`])
  if (random.chance(0.5)) lines.push(['caller', 'Great, thank you. Bye!'])
  return lines
}
