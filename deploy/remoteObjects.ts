import { HeadObjectCommand, ListObjectsV2Command, NotFound, type S3Client } from '@aws-sdk/client-s3';

export interface ListedObject {
  key: string;
  size: number;
  etag: string | undefined;
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
      if (o.Key !== undefined) out.set(o.Key, { key: o.Key, size: o.Size ?? 0, etag: o.ETag });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** What a deploy compares before deciding a stored object is already what it would upload. */
export interface StoredHeaders {
  sha256: string | undefined;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  cacheControl: string | undefined;
}

export const SHA256_METADATA = 'sha256';

export async function headObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<StoredHeaders | undefined> {
  try {
    const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return {
      sha256: h.Metadata?.[SHA256_METADATA],
      contentType: h.ContentType,
      contentEncoding: h.ContentEncoding || undefined,
      cacheControl: h.CacheControl,
    };
  } catch (err) {
    // Deleted between the listing and now: it simply has to be uploaded.
    if (err instanceof NotFound || (err as { name?: string }).name === 'NotFound') return undefined;
    throw err;
  }
}
