/** What the api tells the worker about the business and the call. */
export interface AgentContext {
  callId: string
  callerNumber: string
  business: { name: string; timeZone: string }
  agent: {
    language: string
    voice: string
    greeting: string
    systemPrompt: string
    knowledge: string
    services: string[]
    workingHours: Record<string, Array<{ open: string; close: string }>>
    captureFields: Array<{ key: string; label: string; type: string; required: boolean; options?: string[] }>
    escalationRules: { askForHuman?: boolean; keywords?: string[] }
    canTransfer: boolean
  }
}

const DAYS: Record<string, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' }

/**
 * The model's instructions: the business's own prompt, then the facts it may rely on, what to
 * capture, when to hand over, and the rules every Answerline agent follows.
 */
export function buildInstructions(context: AgentContext, mode: 'conversation' | 'take_message', recording = false): string {
  const { agent, business } = context
  const hours = Object.entries(agent.workingHours ?? {})
    .filter(([, ranges]) => ranges?.length)
    .map(([day, ranges]) => `${DAYS[day] ?? day}: ${ranges.map((r) => `${r.open}-${r.close}`).join(', ')}`)
  const fields = [
    'name',
    'best callback number',
    'email if offered',
    'reason for calling',
    ...(agent.captureFields ?? []).map((f) => `${f.label}${f.required ? ' (required)' : ''}${f.options?.length ? ` (one of: ${f.options.join(', ')})` : ''}`),
  ]
  const lines = [
    agent.systemPrompt?.trim() || `You are the receptionist of ${business.name}.`,
    '',
    `Business: ${business.name}. Time zone: ${business.timeZone}.`,
    agent.services?.length ? `Services: ${agent.services.join(', ')}.` : '',
    hours.length ? `Opening hours (${business.timeZone}): ${hours.join('; ')}.` : '',
    agent.knowledge?.trim() ? `What you know:\n${agent.knowledge.trim()}` : '',
    `The caller's number is ${context.callerNumber}.`,
    '',
    `Capture: ${fields.join('; ')}. Call capture_lead_field as soon as you hear each one.`,
    agent.canTransfer
      ? `Hand the caller to a person with escalate_to_human when they ask for one${agent.escalationRules?.keywords?.length ? ` or mention: ${agent.escalationRules.keywords.join(', ')}` : ''}.`
      : 'Nobody can take the call right now: take a message instead of transferring.',
    mode === 'take_message' ? 'Nobody could answer the transfer: apologise briefly, take a message and confirm the callback number.' : '',
    recording ? 'The call is recorded with the caller\'s consent. If they ask you to stop recording, call stop_recording and confirm it has stopped.' : '',
    `Speak ${agent.language}. Be brief and warm: one or two sentences at a time. You are an AI assistant and say so if asked. Never invent prices, appointments or facts you were not given. When the caller is done, say goodbye and call end_call.`,
  ]
  return lines.filter((line, i, all) => line !== '' || (all[i - 1] ?? '') !== '').join('\n').trim()
}

/** Tools the model may call, in the Realtime API's function format. */
const TOOLS = [
  {
    type: 'function',
    name: 'capture_lead_field',
    description: 'Record one detail about the caller as soon as you hear it.',
    parameters: { type: 'object', properties: { field: { type: 'string' }, value: { type: 'string' } }, required: ['field', 'value'] },
  },
  {
    type: 'function',
    name: 'escalate_to_human',
    description: 'Transfer the caller to a person at the business.',
    parameters: { type: 'object', properties: { reason: { type: 'string' } }, required: ['reason'] },
  },
  {
    type: 'function',
    name: 'stop_recording',
    description: 'The caller asks not to be recorded any more: stop the recording and delete what was recorded.',
    parameters: { type: 'object', properties: {} },
  },
  {
    type: 'function',
    name: 'end_call',
    description: 'End the call after saying goodbye.',
    parameters: { type: 'object', properties: {} },
  },
] as const

/** The tools for a call: stopping the recording is offered only when there is one. */
export function agentTools(recording: boolean) {
  return TOOLS.filter((tool) => recording || tool.name !== 'stop_recording')
}
