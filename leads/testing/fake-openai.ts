import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

/** What the fake does with the next chat completion request. */
export type FakeReply =
  /** A completion whose message content is this text (valid JSON or not). */
  | { content: string }
  /** A structured-outputs refusal. */
  | { refusal: string }
  /** An error status with OpenAI's error body, and optional headers such as Retry-After. */
  | { status: number; headers?: Record<string, string>; message?: string }
  /** Never answers: the client's timeout has to end it. */
  | { hang: true }
  /** Accepts the request, then drops the connection. */
  | { disconnect: true }

export interface FakeOpenAI {
  /** For the SDK's `baseURL`: `http://127.0.0.1:<port>/v1`. */
  baseUrl: string
  /** Requests received, bodies parsed, in order. */
  requests: Array<{ at: number; body: Record<string, any>; authorization: string | undefined }>
  /** Replies used in order; when empty, `respond` decides. */
  script: FakeReply[]
  /** The default reply, computed from the request (an instant, valid answer in the benchmark). */
  respond: (body: Record<string, any>) => FakeReply
  close(): Promise<void>
}

/**
 * A local server speaking OpenAI's chat completions API (POST /v1/chat/completions) closely enough
 * for the openai SDK: completions with structured output, refusals, errors with Retry-After,
 * hangs and dropped connections.
 */
export async function startFakeOpenAI(respond: FakeOpenAI['respond'] = () => ({ content: '{}' })): Promise<FakeOpenAI> {
  const hanging = new Set<ServerResponse>()
  const fake: FakeOpenAI = {
    baseUrl: '',
    requests: [],
    script: [],
    respond,
    close: () =>
      new Promise((resolve) => {
        for (const response of hanging) response.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }))
      return
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any>
    fake.requests.push({ at: Date.now(), body, authorization: request.headers.authorization })
    const reply = fake.script.shift() ?? fake.respond(body)
    if ('hang' in reply) {
      hanging.add(response)
      response.on('close', () => hanging.delete(response))
      return
    }
    if ('disconnect' in reply) {
      request.socket.destroy()
      return
    }
    if ('status' in reply) {
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      response.end(JSON.stringify({ error: { message: reply.message ?? `status ${reply.status}`, type: reply.status === 429 ? 'rate_limit_exceeded' : 'server_error' } }))
      return
    }
    const message = 'refusal' in reply ? { role: 'assistant', content: null, refusal: reply.refusal } : { role: 'assistant', content: reply.content, refusal: null }
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(
      JSON.stringify({
        id: `chatcmpl-${fake.requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
      }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  fake.baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`
  return fake
}
