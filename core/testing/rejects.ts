import * as assert from 'uvu/assert'

/** Awaits `promise` and returns its rejection; fails the test when it resolves. uvu's throws() is sync-only. */
export async function rejects(promise: Promise<unknown>, message = 'expected the promise to reject'): Promise<Error & Record<string, any>> {
  try {
    await promise
  } catch (error) {
    return error as Error & Record<string, any>
  }
  assert.unreachable(message)
  throw new Error('unreachable')
}
