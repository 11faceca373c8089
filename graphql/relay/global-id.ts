
import { AppError } from '../../core/index.ts'
/** Opaque global id for `node(id:)`: base64url of "Type:localId". */
export function toGlobalId(type: string, localId: string): string {
  return Buffer.from(`${type}:${localId}`, 'utf8').toString('base64url')
}

/** Decodes a global id; a malformed one is the client's mistake, reported as BAD_USER_INPUT. */
export function fromGlobalId(globalId: string): { type: string; localId: string } {
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8')
  const separator = decoded.indexOf(':')
  const type = decoded.slice(0, separator)
  const localId = decoded.slice(separator + 1)
  if (separator <= 0 || !localId || !/^[A-Z][A-Za-z]*$/.test(type) || toGlobalId(type, localId) !== globalId) {
    throw new AppError('BAD_USER_INPUT', 'The id is not a valid Answerline id', { id: globalId.slice(0, 100) })
  }
  return { type, localId }
}
