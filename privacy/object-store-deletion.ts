import { DeleteObjectsCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'

/** Where recordings and archives live; null when no object store is configured. */
export type ObjectStorage = { s3: S3Client; bucket: string } | null

/**
 * Deletes the objects and checks each is gone: nothing is left behind unaccounted for. Throws when
 * the store refuses, when an object survives, or when objects are due but no store is configured,
 * so the rows that point at them stay and the next run tries again.
 */
export async function deleteObjects(storage: ObjectStorage, keys: string[]): Promise<void> {
  if (!keys.length) return
  if (!storage) throw new Error('objects are due for deletion but no object store is configured')
  const { s3, bucket } = storage
  for (let at = 0; at < keys.length; at += 1000) {
    const chunk = keys.slice(at, at + 1000)
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }))
    if (result.Errors?.length) throw new Error(`the object store refused to delete ${result.Errors.length} objects: ${result.Errors[0]?.Code}`)
  }
  for (const Key of keys) {
    if (await objectExists(storage, Key)) throw new Error(`object ${Key} is still in the object store after its deletion`)
  }
}

export async function objectExists(storage: NonNullable<ObjectStorage>, key: string): Promise<boolean> {
  return storage.s3.send(new HeadObjectCommand({ Bucket: storage.bucket, Key: key })).then(
    () => true,
    (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
      if (error.name === 'NotFound' || error.$metadata?.httpStatusCode === 404) return false
      throw error
    },
  )
}
