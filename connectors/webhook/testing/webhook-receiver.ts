import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'

export interface ReceivedWebhook {
  at: number
  headers: IncomingHttpHeaders
  body: string
}

/** What the receiver answers next: a status (with headers), or never answering. */
export type ReceiverReply = { status: number; headers?: Record<string, string>; body?: string } | { hang: true }

export interface WebhookReceiver {
  url: string
  received: ReceivedWebhook[]
  /** Replies used in order; then 200. */
  script: ReceiverReply[]
  close(): Promise<void>
}

/** A local HTTP endpoint that records the webhooks it gets and answers as scripted. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hanging = new Set<ServerResponse>()
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    script: [],
    close: () =>
      new Promise((resolve) => {
        for (const response of hanging) response.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    receiver.received.push({ at: Date.now(), headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
    const reply = receiver.script.shift() ?? { status: 200, body: '{"ok":true}' }
    if ('hang' in reply) {
      hanging.add(response)
      return
    }
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(reply.body ?? '')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/answerline`
  return receiver
}
