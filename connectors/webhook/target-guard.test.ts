import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ConnectorError, type ConnectorContext } from '../connector.ts'
import { checkTargetUrl, isPrivateAddress } from './target-guard.ts'
import { startWebhookReceiver } from './testing/webhook-receiver.ts'
import { createWebhookConnector } from './webhook.connector.ts'
import { rotateSecret } from './webhook-secrets.ts'

/** Webhook targets on private networks are refused unless allowed: a webhook must not reach inside our network. */
const guard = suite('webhooks: private and loopback targets are refused (SSRF)')

guard('private, loopback, link-local and mapped addresses are private; public ones are not', () => {
  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
    assert.ok(isPrivateAddress(address), address)
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) assert.not.ok(isPrivateAddress(address), address)
})

guard('URLs: https only, no credentials, no literal private hosts, unless private targets are allowed', () => {
  assert.is(checkTargetUrl('https://hooks.example.com/answerline', false), null)
  assert.match(checkTargetUrl('http://hooks.example.com/x', false) ?? '', /https/)
  assert.match(checkTargetUrl('https://user:pass@hooks.example.com/x', false) ?? '', /credentials/)
  for (const url of ['https://127.0.0.1/x', 'https://localhost/x', 'https://[::1]/x', 'https://169.254.169.254/latest/meta-data', 'https://10.0.0.5/x', 'https://metadata.google.internal/x']) {
    assert.match(checkTargetUrl(url, false) ?? '', /private or loopback/, url)
  }
  assert.is(checkTargetUrl('http://127.0.0.1:8080/x', true), null)
  assert.match(checkTargetUrl('not a url', false) ?? '', /full URL/)
})

guard('a name that resolves to loopback is refused at connection time, and nothing is sent', async () => {
  const receiver = await startWebhookReceiver()
  try {
    // A public-looking name whose DNS answer is loopback (as in DNS rebinding): the URL check
    // passes, and the lookup the connection itself uses refuses it.
    const rebinding = ((_host: string, _options: object, callback: (error: null, addresses: Array<{ address: string; family: number }>) => void) => callback(null, [{ address: '127.0.0.1', family: 4 }])) as never
    const connector = createWebhookConnector({ allowPrivateTargets: false, resolve: rebinding })
    const port = new URL(receiver.url).port
    const ctx: ConnectorContext = {
      connector: { id: 'c1', businessId: 'b1', name: 'hook', config: { url: `https://hooks.example.com:${port}/x` }, fieldMapping: {} },
      credentials: rotateSecret(null),
      saveCredentials: async () => {},
      previousExternalId: null,
      signal: AbortSignal.timeout(5_000),
    }
    const error = await connector.deliver({ id: 'e1', type: 'call.completed', occurredAt: new Date().toISOString(), business: { id: 'b1', name: 'B', timeZone: 'UTC' }, call: null, lead: null }, ctx).then(
      () => null,
      (e: unknown) => e,
    )
    assert.ok(error instanceof ConnectorError, String(error))
    assert.is((error as ConnectorError).code, 'rejected')
    assert.match((error as ConnectorError).message, /private address/)
    assert.is(receiver.received.length, 0)
  } finally {
    await receiver.close()
  }
})

guard.run()
