import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';

/** DeleteObjects takes at most 1000 keys per request. */
const BATCH = 1000;

/** Deletes the keys, a few batches at a time; returns those S3 refused, with why, instead of stopping. */
export async function deleteKeys(
  client: S3Client,
  bucket: string,
  keys: string[],
  concurrency: number,
): Promise<{ key: string; message: string }[]> {
  const limit = pLimit(concurrency);
  const batches: string[][] = [];
  for (let i = 0; i < keys.length; i += BATCH) batches.push(keys.slice(i, i + BATCH));
  const results = await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        const r = await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        return (r.Errors ?? []).map((e) => ({ key: e.Key ?? '?', message: e.Message ?? e.Code ?? 'error' }));
      }),
    ),
  );
  return results.flat();
}
