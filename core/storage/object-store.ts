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
