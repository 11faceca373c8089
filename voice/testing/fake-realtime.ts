import { WebSocketServer, type WebSocket } from 'ws'

/**
 * A local server speaking the OpenAI Realtime protocol (GA event names) closely enough for the
 * media worker: it acknowledges session.update, answers each response.create with scripted
 * mu-law audio deltas and a transcript, and lets a test push any server event.
 */
export interface FakeRealtime {
  url: string
  /** Client events received, parsed, across all connections, in order. */
  received: Array<Record<string, any>>
  connections: number
  /** What the next responses say: the audio chunks (base64 mu-law) and the transcript. */
  reply: { chunks: string[]; transcript: string }
  emit(event: Record<string, unknown>): void
  dropConnections(): void
  close(): Promise<void>
}

/** 20 ms of mu-law silence (0xFF), base64: 160 bytes. */
export const SILENCE_20MS = Buffer.alloc(160, 0xff).toString('base64')

export async function startFakeRealtime(): Promise<FakeRealtime> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const sockets = new Set<WebSocket>()
  let responseCount = 0
  const fake: FakeRealtime = {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/v1/realtime`,
    received: [],
    connections: 0,
    reply: { chunks: [SILENCE_20MS, SILENCE_20MS, SILENCE_20MS], transcript: 'Hello, thanks for calling.' },
    emit(event) {
      for (const socket of sockets) socket.send(JSON.stringify(event))
    },
    dropConnections() {
      for (const socket of sockets) socket.terminate()
    },
    close() {
      for (const socket of sockets) socket.terminate()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
  server.on('connection', (socket) => {
    fake.connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.send(JSON.stringify({ type: 'session.created', session: {} }))
    socket.on('message', (data: Buffer) => {
      const event = JSON.parse(data.toString()) as Record<string, any>
      fake.received.push(event)
      if (event.type === 'session.update') socket.send(JSON.stringify({ type: 'session.updated', session: event.session }))
      if (event.type === 'response.create') {
        const itemId = `item_${++responseCount}`
        socket.send(JSON.stringify({ type: 'response.created', response: { id: `resp_${responseCount}` } }))
        for (const delta of fake.reply.chunks) socket.send(JSON.stringify({ type: 'response.output_audio.delta', response_id: `resp_${responseCount}`, item_id: itemId, output_index: 0, content_index: 0, delta }))
        socket.send(JSON.stringify({ type: 'response.output_audio_transcript.done', item_id: itemId, transcript: fake.reply.transcript }))
        socket.send(JSON.stringify({ type: 'response.done', response: { id: `resp_${responseCount}`, status: 'completed' } }))
      }
    })
  })
  return fake
}
