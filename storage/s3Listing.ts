import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface ListedObject {
  key: string;
  size: number;
  etag: string | undefined;
  lastModified: Date | undefined;
}

/** Every object under `keyPrefix` (`''` for the whole bucket), following continuation tokens. */
export async function listObjects(
  client: S3Client,
  bucket: string,
  keyPrefix: string,
): Promise<Map<string, ListedObject>> {
  const out = new Map<string, ListedObject>();
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: keyPrefix || undefined,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key !== undefined)
        out.set(o.Key, { key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}
