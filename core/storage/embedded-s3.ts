import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { mkdir } from 'node:fs/promises'
import S3rver from 's3rver'

// s3rver accepts these fixed development credentials; it listens on loopback only.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export interface EmbeddedS3 {
  endpoint: string
  accessKeyId: string
  secretAccessKey: string
  stop(): Promise<void>
}

/** A local S3-compatible server (s3rver) keeping objects under `dataDir`, with the bucket created. */
export async function startEmbeddedS3(options: { dataDir: string; port: number; bucket: string }): Promise<EmbeddedS3> {
  await mkdir(options.dataDir, { recursive: true })
  const server = new S3rver({ port: options.port, address: '127.0.0.1', directory: options.dataDir, silent: true })
  const { port } = (await server.run()) as unknown as { port: number }
  const endpoint = `http://127.0.0.1:${port}`
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS })
  try {
    await s3.send(new CreateBucketCommand({ Bucket: options.bucket }))
  } catch (error) {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou' && (error as { name?: string }).name !== 'BucketAlreadyExists') throw error
  } finally {
    s3.destroy()
  }
  return { endpoint, ...CREDENTIALS, stop: () => server.close() as unknown as Promise<void> }
}
