/**
 * The least a Media Streams <-> Realtime relay can do, for `npm run bench:voice -- --bare`: the same
 * ws sockets and socket options as the media worker, and per frame only locating the audio and
 * forwarding it. No call token, database, transcript, recording or barge-in. It measures what this
 * machine charges for the sockets themselves, so the worker's own cost can be read off against it.
 */
import { createServer } from 'node:http'
import WebSocket, { WebSocketServer } from 'ws'

const port = Number(process.env.PORT)
const modelUrl = process.env.OPENAI_REALTIME_URL as string
const http = createServer((request, response) => response.writeHead(request.url === '/readyz' ? 200 : 404).end())
const server = new WebSocketServer({ server: http })

const between = (text: string, key: string) => {
  const start = text.indexOf(key) + key.length
  return text.slice(start, text.indexOf('"', start))
}

server.on('connection', (twilio) => {
  let model: WebSocket | null = null
  let streamSid = ''
  let sentMs = 0
  twilio.on('message', (data: Buffer) => {
    const text = data.toString()
    if (text.startsWith('{"event":"media"')) {
      if (model?.readyState === WebSocket.OPEN) model.send(`{"type":"input_audio_buffer.append","audio":"${between(text, '"payload":"')}"}`)
      return
    }
    const message = JSON.parse(text)
    if (message.event !== 'start') return
    streamSid = message.start.streamSid
    model = new WebSocket(modelUrl, { perMessageDeflate: false, skipUTF8Validation: true, generateMask: () => {} })
    model.on('open', () => model?.send('{"type":"response.create"}'))
    model.on('message', (reply: Buffer) => {
      const event = reply.toString()
      if (!event.startsWith('{"type":"response.output_audio.delta"')) return
      const delta = between(event, '"delta":"')
      sentMs += 20
      const raw = (twilio as unknown as { _socket: { cork(): void; uncork(): void } })._socket
      raw.cork()
      twilio.send(`{"event":"media","streamSid":"${streamSid}","media":{"payload":"${delta}"}}`)
      twilio.send(`{"event":"mark","streamSid":"${streamSid}","mark":{"name":"${between(event, '"item_id":"')}:${sentMs}"}}`)
      raw.uncork()
    })
    model.on('error', () => {})
  })
  twilio.on('close', () => model?.close())
})
http.listen(port, '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
