import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { extractFallbackLead } from './fallback-extractor.ts'
import type { CallFacts, CaptureField, TranscriptLine } from './lead-fields.ts'

/** The rule-based extractor reads what the caller said, and only that, into a lead. */
const fallback = suite('lead extraction: fallback extractor')

const CAPTURE_FIELDS: CaptureField[] = [
  { key: 'job_notes', label: 'Notes', type: 'text', required: false },
  { key: 'units', label: 'Units', type: 'number', required: false },
  { key: 'has_pets', label: 'Pets', type: 'boolean', required: false },
  { key: 'preferred_date', label: 'Date', type: 'date', required: false },
  { key: 'property_type', label: 'Property', type: 'choice', required: false, options: ['House', 'Apartment', 'Commercial unit'] },
  { key: 'billing_email', label: 'Billing email', type: 'email', required: false },
  { key: 'site_phone', label: 'Site phone', type: 'phone', required: false },
]

function facts(overrides: Partial<CallFacts> = {}): CallFacts {
  return { callerNumber: 'anonymous', country: 'US', timeZone: 'America/Los_Angeles', businessName: 'Acme Plumbing', startedAt: new Date('2025-03-14T17:00:00Z'), captureFields: CAPTURE_FIELDS, ...overrides }
}

/** Lines numbered from 1 in the order given. */
function call(...lines: Array<[TranscriptLine['speaker'], string]>): TranscriptLine[] {
  return lines.map(([speaker, text], i) => ({ seq: i + 1, speaker, text }))
}

const extract = (transcript: TranscriptLine[], overrides: Partial<CallFacts> = {}) => extractFallbackLead(transcript, facts(overrides))

fallback('a phone number said in figures', () => {
  const cases = ['my number is 415 555 0134', 'It is (415) 555-0134.', 'sure, +1 415-555-0134', 'call me back on 415.555.0134 please', 'it is 1 415 555 0134']
  for (const text of cases) {
    assert.equal(extract(call(['agent', 'What is the best number?'], ['caller', text])).phone, { value: '+14155550134', confidence: 0.8, evidenceSeq: 2 }, text)
  }
})

fallback('a phone number said in words', () => {
  const cases: Array<[string, string]> = [
    ['four one five five five five zero one three four', '+14155550134'],
    ['it is four one five, five five five, oh one three four', '+14155550134'],
    ['four one five double five five oh triple seven', '+14155550777'],
    ['four fifteen, five five five, oh one hundred', '+14155550100'],
    ['plus one, four one five, five five five, oh one three four', '+14155550134'],
  ]
  for (const [text, value] of cases) {
    assert.equal(extract(call(['caller', text])).phone, { value, confidence: 0.7, evidenceSeq: 1 }, text)
  }
})

fallback('a phone number said in words and figures mixed', () => {
  const lead = extract(call(['agent', 'And your number?'], ['caller', 'four one five, 555, oh one three four']))
  assert.equal(lead.phone, { value: '+14155550134', confidence: 0.7, evidenceSeq: 2 })
})

fallback('a phone number is read in the call country', () => {
  const lead = extract(call(['caller', 'my number is 020 7946 0958']), { country: 'GB' })
  assert.equal(lead.phone, { value: '+442079460958', confidence: 0.8, evidenceSeq: 1 })
})

fallback('a phone number survives other figures in the same breath', () => {
  const lead = extract(call(['caller', 'I have 2 bathrooms, 415 555 0134']))
  assert.equal(lead.phone, { value: '+14155550134', confidence: 0.8, evidenceSeq: 1 })
})

fallback('short figures are not a phone number', () => {
  const lead = extract(call(['caller', 'I live at 1234 Oak Street, unit 5, and I have two dogs']))
  assert.is(lead.phone, undefined)
})

fallback('caller ID is the phone when none is spoken', () => {
  const lead = extract(call(['caller', 'My sink is leaking.']), { callerNumber: '+14155550199' })
  assert.equal(lead.phone, { value: '+14155550199', confidence: 0.6, evidenceSeq: null })
})

fallback('a spoken number beats caller ID', () => {
  const lead = extract(call(['caller', 'reach me on 415 555 0134']), { callerNumber: '+14155550199' })
  assert.equal(lead.phone, { value: '+14155550134', confidence: 0.8, evidenceSeq: 1 })
})

fallback('anonymous or client caller ID and no number spoken leaves the phone absent', () => {
  for (const callerNumber of ['anonymous', 'client:alice', '']) {
    assert.is(extract(call(['caller', 'My sink is leaking.']), { callerNumber }).phone, undefined, callerNumber)
  }
})

fallback('the number the caller corrects to wins', () => {
  const lead = extract(call(
    ['caller', 'my number is 415 555 0134'],
    ['agent', 'That was 415 555 0134?'],
    ['caller', 'no, sorry, actually it is four one five five five five oh one four three'],
  ))
  assert.equal(lead.phone, { value: '+14155550143', confidence: 0.7, evidenceSeq: 3 })
})

fallback('numbers the agent reads out are not the caller’s', () => {
  const transcript = call(
    ['agent', 'Thanks for calling Acme Plumbing, you can also reach us at 415 555 0100 or info at acme plumbing dot com.'],
    ['caller', 'Okay, thanks. My name is Dana.'],
    ['agent', 'My name is Sam. Is 415 555 0101 the best number for you?'],
    ['caller', 'yes that works'],
  )
  const lead = extract(transcript)
  assert.is(lead.phone, undefined)
  assert.is(lead.email, undefined)
  assert.equal(lead.name, { value: 'Dana', confidence: 0.6, evidenceSeq: 2 })
  assert.equal(extract(transcript, { callerNumber: '+14155550199' }).phone, { value: '+14155550199', confidence: 0.6, evidenceSeq: null })
})

fallback('emails in every spoken and written form', () => {
  const cases: Array<[string, string, number]> = [
    ['john at example dot com', 'john@example.com', 0.7],
    ['it is j o h n at example dot com', 'john@example.com', 0.7],
    ['j-o-h-n at example dot co dot uk', 'john@example.co.uk', 0.7],
    ['sure, john dot smith at gmail dot com', 'john.smith@gmail.com', 0.7],
    ['john underscore smith at example dot org', 'john_smith@example.org', 0.7],
    ['john dash smith at example dot net', 'john-smith@example.net', 0.7],
    ['j, o, h, n at g m a i l dot com', 'john@gmail.com', 0.7],
    ['my email is J.O.H.N. at example.com', 'john@example.com', 0.7],
    ['it is John@Example.com.', 'john@example.com', 0.8],
  ]
  for (const [text, value, confidence] of cases) {
    assert.equal(extract(call(['agent', 'Can I get an email?'], ['caller', text])).email, { value, confidence, evidenceSeq: 2 }, text)
  }
})

fallback('"at" alone makes an email only when email is the topic', () => {
  assert.is(extract(call(['caller', "I'm looking at example.com and your prices"])).email, undefined)
  assert.equal(extract(call(['agent', "What's your email address?"], ['caller', 'john at example.com'])).email, { value: 'john@example.com', confidence: 0.7, evidenceSeq: 2 })
  assert.equal(extract(call(['caller', 'my email is john at example.com'])).email, { value: 'john@example.com', confidence: 0.7, evidenceSeq: 1 })
})

fallback('the email the caller corrects to wins', () => {
  const lead = extract(call(['caller', 'it is john@example.com'], ['agent', 'Got it.'], ['caller', 'actually use j o n at example dot com, no h']))
  assert.equal(lead.email, { value: 'jon@example.com', confidence: 0.7, evidenceSeq: 3 })
})

fallback('names after introduction phrases', () => {
  const cases: Array<[string, string]> = [
    ['Hi, my name is Dana Whitfield and my sink is leaking', 'Dana Whitfield'],
    ['Hello, this is Dana from across the street', 'Dana'],
    ["I'm Dana Whitfield, I need a plumber", 'Dana Whitfield'],
    ['I am Maria de la Cruz', 'Maria'],
    ["Hi, it's Dana speaking", 'Dana'],
    ["name's Dana O'Brien", "Dana O'Brien"],
    ['Call me Dana.', 'Dana'],
    ['This is Mr. Smith', 'Smith'],
    ['my name is dana whitfield and i need help', 'Dana Whitfield'],
    ['MY NAME IS DANA', 'Dana'],
    ['I’m Dana', 'Dana'],
  ]
  for (const [text, value] of cases) {
    assert.equal(extract(call(['caller', text])).name, { value, confidence: 0.6, evidenceSeq: 1 }, text)
  }
})

fallback('a bare name answering the agent’s question', () => {
  assert.equal(extract(call(['agent', 'Who am I speaking with?'], ['caller', 'Dana Whitfield.'])).name, { value: 'Dana Whitfield', confidence: 0.6, evidenceSeq: 2 })
  assert.equal(extract(call(['agent', 'Can I get your name?'], ['caller', "Sure, it's Dana."])).name, { value: 'Dana', confidence: 0.6, evidenceSeq: 2 })
  assert.is(extract(call(['agent', 'Can I get your name?'], ['caller', 'Sure thing'])).name, undefined)
  assert.is(extract(call(['agent', 'How can I help?'], ['caller', 'Plumbing.'])).name, undefined)
})

fallback('a name spelled letter by letter', () => {
  assert.equal(extract(call(['caller', 'my name is D A N A'])).name, { value: 'Dana', confidence: 0.7, evidenceSeq: 1 })
  assert.equal(extract(call(['caller', 'my name is Dayna, that is D-A-N-A'])).name, { value: 'Dana', confidence: 0.7, evidenceSeq: 1 })
  assert.equal(extract(call(['caller', 'This is Dana Whitfeld, spelled W H I T F I E L D'])).name, { value: 'Dana Whitfield', confidence: 0.7, evidenceSeq: 1 })
  assert.equal(
    extract(call(['caller', 'my name is Dayna'], ['agent', 'How do you spell that?'], ['caller', 'D, A, N, A.'])).name,
    { value: 'Dana', confidence: 0.7, evidenceSeq: 3 },
  )
  assert.equal(extract(call(['agent', 'And your name?'], ['caller', 'd a n a'])).name, { value: 'Dana', confidence: 0.7, evidenceSeq: 2 })
  assert.equal(extract(call(['caller', 'this is Alice'], ['caller', 'A C unit is dead'])).name, { value: 'Alice', confidence: 0.6, evidenceSeq: 1 }, 'not a respelling')
})

fallback('an email spelled after a name does not respell the name', () => {
  const lead = extract(call(['caller', 'my name is Dana'], ['caller', 'd a n a at example dot com']))
  assert.equal(lead.name, { value: 'Dana', confidence: 0.6, evidenceSeq: 1 })
  assert.equal(lead.email, { value: 'dana@example.com', confidence: 0.7, evidenceSeq: 2 })
})

fallback('phrases that are not introductions give no name', () => {
  const cases = ["I'm calling about my sink", "I'm not sure", 'This is urgent', 'This is Urgent', "I'm just looking for a quote", 'This is John’s wife, he asked me to call',
    "it's Tuesday and the pipe burst", "I'm Sorry, what?", 'I am Looking For a plumber', "I'm in Oakland", 'you can call me back later', '']
  for (const text of cases) assert.is(extract(call(['caller', text])).name, undefined, text)
})

fallback('the reason is the first need the caller states', () => {
  const lead = extract(call(
    ['agent', 'Acme Plumbing, I need to let you know this call is recorded.'],
    ['caller', 'Hi there.'],
    ['caller', "Hi. I'm calling because my kitchen sink is leaking. It started last night."],
    ['caller', 'I would also like a quote for a water heater.'],
  ))
  assert.equal(lead.reason, { value: "I'm calling because my kitchen sink is leaking. It started last night.", confidence: 0.4, evidenceSeq: 3 })
  assert.equal(extract(call(['caller', 'Our shower drain is clogged again'])).reason, { value: 'Our shower drain is clogged again', confidence: 0.4, evidenceSeq: 1 })
  assert.is(extract(call(['caller', 'I need'])).reason, undefined)
  assert.equal(extract(call(['caller', 'I need ' + 'y'.repeat(600)])).reason, { value: 'I need ' + 'y'.repeat(493), confidence: 0.4, evidenceSeq: 1 })
})

fallback('urgency from the caller’s words', () => {
  assert.equal(extract(call(['caller', 'Hi'], ['caller', "It's an emergency, the basement is flooding"])).urgency, { value: 'emergency', confidence: 0.5, evidenceSeq: 2 })
  assert.equal(extract(call(['caller', 'can someone come out today?'])).urgency, { value: 'high', confidence: 0.5, evidenceSeq: 1 })
  assert.equal(extract(call(['caller', 'I need it fixed ASAP'], ['caller', 'and the pipe burst, water everywhere, total emergency'])).urgency, { value: 'emergency', confidence: 0.5, evidenceSeq: 2 })
  assert.is(extract(call(['caller', "It's not an emergency, no rush"])).urgency, undefined)
  assert.is(extract(call(['agent', 'Is this an emergency?'], ['caller', 'my faucet drips'])).urgency, undefined)
})

fallback('call outcome only when obvious; temperature never', () => {
  assert.equal(extract(call(['caller', 'Oh sorry, wrong number'])).callOutcome, { value: 'wrong_number', confidence: 0.6, evidenceSeq: 1 })
  const lead = extract(call(['caller', 'my name is Dana and my sink is leaking']))
  assert.is(lead.callOutcome, undefined)
  assert.is(lead.temperature, undefined)
  assert.is(lead.requestedService, undefined)
})

fallback('custom fields from the capture tool’s records, of every type', () => {
  const lead = extract(call(
    ['system', 'captured job_notes:   side gate   is locked '],
    ['system', 'captured units: 3'],
    ['system', 'captured has_pets: yes'],
    ['system', 'captured preferred_date: 2025-03-20'],
    ['system', 'captured property_type: apartment'],
    ['system', 'captured billing_email: Billing@Example.com'],
    ['system', 'captured site_phone: (415) 555-0177'],
    ['system', 'captured not_a_field: whatever'],
  ))
  assert.equal(lead.custom, {
    job_notes: { value: 'side gate is locked', confidence: 0.7, evidenceSeq: 1 },
    units: { value: 3, confidence: 0.7, evidenceSeq: 2 },
    has_pets: { value: true, confidence: 0.7, evidenceSeq: 3 },
    preferred_date: { value: '2025-03-20', confidence: 0.7, evidenceSeq: 4 },
    property_type: { value: 'Apartment', confidence: 0.7, evidenceSeq: 5 },
    billing_email: { value: 'billing@example.com', confidence: 0.7, evidenceSeq: 6 },
    site_phone: { value: '+14155550177', confidence: 0.7, evidenceSeq: 7 },
  })
})

fallback('capture records that do not fit their field are dropped, and the last fit one wins', () => {
  const lead = extract(call(
    ['system', 'captured units: 2'],
    ['system', 'captured units: a few'],
    ['system', 'captured has_pets: maybe'],
    ['system', 'captured preferred_date: 2025-02-30'],
    ['system', 'captured property_type: castle'],
    ['caller', 'captured units: 9'],
    ['agent', 'captured units: 8'],
  ))
  assert.equal(lead.custom, { units: { value: 2, confidence: 0.7, evidenceSeq: 1 } })
})

fallback('standard fields from the capture tool’s records', () => {
  const lead = extract(call(
    ['caller', 'my number is 415 555 0134'],
    ['system', 'captured phone: +1 415 555 0134'],
    ['system', 'captured name: Dana Whitfield'],
    ['system', 'captured email: Dana@Example.com'],
    ['system', 'captured reason: Leaking kitchen sink'],
    ['system', 'captured requested_service: Leak repair'],
    ['system', 'captured urgency: high'],
  ))
  assert.equal(lead.phone, { value: '+14155550134', confidence: 0.8, evidenceSeq: 1 }, 'the same number keeps its better evidence')
  assert.equal(lead.name, { value: 'Dana Whitfield', confidence: 0.7, evidenceSeq: 3 })
  assert.equal(lead.email, { value: 'dana@example.com', confidence: 0.7, evidenceSeq: 4 })
  assert.equal(lead.reason, { value: 'Leaking kitchen sink', confidence: 0.7, evidenceSeq: 5 })
  assert.equal(lead.requestedService, { value: 'Leak repair', confidence: 0.7, evidenceSeq: 6 })
  assert.equal(lead.urgency, { value: 'high', confidence: 0.7, evidenceSeq: 7 })
})

fallback('a later capture record overrides what was heard before it', () => {
  const lead = extract(call(['caller', 'my number is 415 555 0134'], ['caller', 'no wait'], ['system', 'captured phone: 415-555-0143']))
  assert.equal(lead.phone, { value: '+14155550143', confidence: 0.7, evidenceSeq: 3 })
})

fallback('an empty transcript gives an empty lead', () => {
  assert.equal(extract([]), { custom: {} })
  assert.equal(extract([], { callerNumber: '+14155550199' }), { custom: {}, phone: { value: '+14155550199', confidence: 0.6, evidenceSeq: null } })
})

fallback('lines out of order are read in seq order', () => {
  const lead = extract([
    { seq: 2, speaker: 'caller', text: 'no, it is 415 555 0143' },
    { seq: 1, speaker: 'caller', text: 'my number is 415 555 0134' },
  ])
  assert.equal(lead.phone, { value: '+14155550143', confidence: 0.8, evidenceSeq: 2 })
})

fallback('garbage input never throws', () => {
  const garbage: unknown[] = [
    null, undefined, 'text', 42, {}, [null], [{}], [{ seq: 'x', speaker: 'caller', text: 'my number is 415 555 0134' }],
    [{ seq: 1, speaker: 'robot', text: 'hi' }], [{ seq: 1, speaker: 'caller', text: null }], [{ seq: NaN, speaker: 'caller', text: 'I am Dana' }],
    [{ seq: 1, speaker: 'caller', text: 'at '.repeat(50_000) }], [{ seq: 1, speaker: 'caller', text: 'one '.repeat(50_000) }],
    [{ seq: 1, speaker: 'caller', text: 'D '.repeat(50_000) + 'at example dot com' }], [{ seq: 1, speaker: 'caller', text: '\u0000\uD800💥'.repeat(1000) }],
    [{ seq: 1, speaker: 'system', text: 'captured constructor: x' }, { seq: 2, speaker: 'system', text: 'captured __proto__: {}' }, { seq: 3, speaker: 'caller', text: 'double constructor toString hundred' }],
  ]
  const badFacts: unknown[] = [facts(), null, {}, { country: 7, callerNumber: {}, captureFields: 'nope' }, facts({ country: 'ZZ' })]
  for (const transcript of garbage) {
    for (const f of badFacts) {
      const lead = extractFallbackLead(transcript as TranscriptLine[], f as CallFacts)
      assert.type(lead.custom, 'object')
    }
  }
  assert.equal(extractFallbackLead(null as unknown as TranscriptLine[], null as unknown as CallFacts), { custom: {} })
})

fallback('random words and symbols never throw', () => {
  const vocabulary = ['my', 'name', 'is', "I'm", 'this', 'at', 'dot', 'D', 'a', 'oh', 'double', 'five', '415', '(', ')', '-', '@', '.', ',', 'captured', 'units:', 'emergency', 'that’s', 'spelled', 'Dana', '+', 'plus', 'hundred', '😀', '\n']
  let state = 7
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let n = 0; n < 300; n++) {
    const transcript = Array.from({ length: 1 + Math.floor(random() * 5) }, (_, seq): TranscriptLine => ({
      seq,
      speaker: (['caller', 'agent', 'system'] as const)[Math.floor(random() * 3)] ?? 'caller',
      text: Array.from({ length: Math.floor(random() * 30) }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(random() < 0.5 ? ' ' : ''),
    }))
    extractFallbackLead(transcript, facts())
  }
})

fallback.run()
