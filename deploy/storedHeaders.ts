import { HeadObjectCommand, NotFound, type S3Client } from '@aws-sdk/client-s3';

/** What a deploy compares before deciding a stored object is already what it would upload. */
interface StoredHeaders {
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
