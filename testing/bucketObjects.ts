import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** One object of a bucket listing. */
export interface BucketObject {
  key: string;
  etag: string;
  size: number;
}

/**
 * Every object of `bucket` (under `prefix`, when given), across listing pages, sorted by key: what the
 * deploy tests compare a bucket by before and after.
 */
export async function bucketObjects(
  client: S3Client,
  bucket: string,
  prefix?: string,
): Promise<BucketObject[]> {
  const out: BucketObject[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) out.push({ key: o.Key!, etag: o.ETag ?? '', size: o.Size ?? 0 });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
