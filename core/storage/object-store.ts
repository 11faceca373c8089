import { S3Client } from '@aws-sdk/client-s3'
import type { Config } from '../config/config.ts'

/**
 * The S3 client for the configured store. Every storage call in Answerline goes through
 * @aws-sdk/client-s3, against AWS or any S3-compatible server, the embedded one included.
 */
export function createS3Client(storage: Config['storage']): S3Client {
  return new S3Client({
    region: storage.region,
    forcePathStyle: storage.forcePathStyle,
    ...(storage.endpoint && { endpoint: storage.endpoint }),
    ...(storage.accessKeyId && storage.secretAccessKey && { credentials: { accessKeyId: storage.accessKeyId, secretAccessKey: storage.secretAccessKey } }),
  })
}

/**
 * The object store's client, or null when none is configured: outside production, no endpoint and
 * no credentials means no store (no recordings); in production the SDK's own credential chain (an
 * instance role) reaches S3.
 */
export function configuredS3Client(config: Config): S3Client | null {
  const configured = config.storage.endpoint !== null || config.storage.accessKeyId !== null || config.env === 'production'
  return configured ? createS3Client(config.storage) : null
}
