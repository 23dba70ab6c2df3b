import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';

/** DeleteObjects takes at most 1000 keys per request. */
const BATCH = 1000;

/** Deletes the keys; returns those S3 refused, with why, instead of stopping at the first. */
export async function deleteKeys(
  client: S3Client,
  bucket: string,
  keys: string[],
): Promise<{ key: string; message: string }[]> {
  const refused: { key: string; message: string }[] = [];
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH);
    const r = await client.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    for (const e of r.Errors ?? [])
      refused.push({ key: e.Key ?? '?', message: e.Message ?? e.Code ?? 'error' });
  }
  return refused;
}
