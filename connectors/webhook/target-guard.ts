import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'

// Loopback, private, link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT,
// multicast and reserved ranges: a webhook must not become a way into the network it runs in.
const PRIVATE = new BlockList()
for (const [address, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) {
  PRIVATE.addSubnet(address, prefix, 'ipv4')
}
for (const [address, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) {
  PRIVATE.addSubnet(address, prefix, 'ipv6')
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped) return PRIVATE.check(mapped, 'ipv4')
  const family = isIP(address)
  return family === 0 || PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

export class PrivateTargetError extends Error {}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A DNS lookup for outgoing webhook connections that refuses private addresses. It runs on the
 * lookup the connection itself uses, so a name that resolves differently the second time (DNS
 * rebinding) is checked on the address actually connected to.
 */
export function guardedLookup(allowPrivate: boolean, resolve: typeof dnsLookup = dnsLookup) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, [])
      const list = addresses as LookupAddress[]
      const refused = !allowPrivate && list.some((a) => isPrivateAddress(a.address))
      if (refused) return callback(Object.assign(new PrivateTargetError(`${hostname} resolves to a private address`), { code: 'EPRIVATE' }), [])
      if ((options as { all?: boolean }).all) return callback(null, list)
      const first = list[0]
      return first ? callback(null, first.address, first.family) : callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), [])
    })
  }
}

/** Checks a URL as given (before any lookup): literal private IPs and obviously local names are refused early, with a clear message. */
export function checkTargetUrl(raw: string, allowPrivate: boolean): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'Enter a full URL, such as https://example.com/hooks/answerline'
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return 'The URL must use https'
  if (url.username || url.password) return 'Put no credentials in the URL; requests are signed instead'
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || (isIP(host) !== 0 && isPrivateAddress(host)))) {
    return 'The URL points at a private or loopback address'
  }
  return null
}
