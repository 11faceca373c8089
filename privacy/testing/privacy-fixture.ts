import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { buildApp } from '../../app.ts'
import { startEmbeddedS3, type EmbeddedS3, type Role } from '../../core/index.ts'
import { graphqlRequest } from '../../core/testing/graphql-request.ts'
import { openTestApp, type TestApp } from '../../core/testing/test-app.ts'
import { TEST_PASSWORD } from '../../core/testing/accounts.ts'

export const BUCKET = 'privacy-test'

/** The whole product on its own database, with an object store of its own. */
export interface PrivacyApp {
  t: TestApp
  store: EmbeddedS3
  s3: S3Client
  storage: { s3: S3Client; bucket: string }
  dir: string
}

/** Opens the app in `role` ('api' runs no job workers, so a test can run a job by hand). */
export async function openPrivacyApp(role: Role = 'all'): Promise<PrivacyApp> {
  const dir = mkdtempSync(join(tmpdir(), 'answerline-privacy-'))
  const store = await startEmbeddedS3({ dataDir: dir, port: 0, bucket: BUCKET })
  const t = await openTestApp((config) => buildApp(config, { role }), { S3_ENDPOINT: store.endpoint, S3_ACCESS_KEY_ID: store.accessKeyId, S3_SECRET_ACCESS_KEY: store.secretAccessKey, S3_BUCKET: BUCKET })
  const s3 = new S3Client({ endpoint: store.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey } })
  return { t, store, s3, storage: { s3, bucket: BUCKET }, dir }
}

export async function closePrivacyApp(p: PrivacyApp | undefined): Promise<void> {
  if (!p) return
  await p.t.close()
  p.s3.destroy()
  await p.store.stop()
  rmSync(p.dir, { recursive: true, force: true })
}

/** Every key in the bucket, optionally under a prefix. */
export async function objectKeys(p: PrivacyApp, prefix?: string): Promise<string[]> {
  const listed = await p.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ...(prefix && { Prefix: prefix }) }))
  return (listed.Contents ?? []).map((o) => o.Key as string).sort()
}

export async function putObject(p: PrivacyApp, key: string, body: string): Promise<void> {
  await p.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(body) }))
}

export async function readObject(p: PrivacyApp, key: string): Promise<{ body: string; contentType: string | undefined }> {
  const object = await p.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  return { body: await (object.Body as { transformToString(): Promise<string> }).transformToString(), contentType: object.ContentType }
}

/** A signed-in user's access token. */
export async function tokenFor(p: PrivacyApp, email: string): Promise<string> {
  const result = await graphqlRequest(p.t.app, 'mutation($i: LogInInput!) { logIn(input: $i) { tokens { accessToken } } }', { i: { email, password: TEST_PASSWORD } })
  return result.data.logIn.tokens.accessToken
}
