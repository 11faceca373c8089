import { randomBytes } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { open, seal } from './sealed-box.ts'

const box = suite('sealed box: AES-256-GCM for secrets at rest')
const key = (kid: string) => ({ kid, key: randomBytes(32) })

box('seals with the first key and opens again; the plaintext is not in the ciphertext', () => {
  const keys = [key('k1')]
  const sealed = seal(keys, 'pat-na1-secret-token', 'connector:1')
  assert.is(sealed.kid, 'k1')
  assert.not.ok(sealed.ciphertext.includes(Buffer.from('pat-na1-secret-token')))
  assert.is(open(keys, sealed, 'connector:1'), 'pat-na1-secret-token')
  assert.is.not(seal(keys, 'same', 'c').ciphertext.toString('hex'), seal(keys, 'same', 'c').ciphertext.toString('hex'), 'a fresh nonce each time')
})

box('rotation: a new first key seals, the old one still opens what it sealed', () => {
  const old = key('old')
  const sealedBefore = seal([old], 'token', 'c')
  const rotated = [key('new'), old]
  assert.is(open(rotated, sealedBefore, 'c'), 'token')
  assert.is(seal(rotated, 'token', 'c').kid, 'new')
  assert.throws(() => open([key('new')], sealedBefore, 'c'), /old is not configured/)
})

box('altered data, another context or another key id is refused', () => {
  const keys = [key('k1'), key('k2')]
  const sealed = seal(keys, 'token', 'connector:1')
  const flipped = Buffer.from(sealed.ciphertext)
  flipped[20] = (flipped[20] ?? 0) ^ 1
  assert.throws(() => open(keys, { ...sealed, ciphertext: flipped }, 'connector:1'))
  assert.throws(() => open(keys, sealed, 'connector:2'), 'bound to its connector')
  assert.throws(() => open(keys, { ...sealed, kid: 'k2' }, 'connector:1'), 'bound to its key id')
})

box.run()
