import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SHA256_METADATA } from './storedHeaders';

interface ObjectToUpload {
  bucket: string;
  key: string;
  body: Buffer;
  contentType: string;
  contentEncoding: string | undefined;
  cacheControl: string;
  sha256: string;
}

/** S3's minimum part size is 5 MiB; 8 MiB keeps the part count low without large retries. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

function objectHeaders(o: ObjectToUpload) {
  return {
    Bucket: o.bucket,
    Key: o.key,
    ContentType: o.contentType,
    ContentEncoding: o.contentEncoding,
    CacheControl: o.cacheControl,
    Metadata: { [SHA256_METADATA]: o.sha256 },
  };
}

async function uploadMultipart(client: S3Client, o: ObjectToUpload, partSize: number): Promise<void> {
  const created = await client.send(new CreateMultipartUploadCommand(objectHeaders(o)));
  const uploadId = created.UploadId;
  if (!uploadId) throw new Error(`CreateMultipartUpload for ${o.key} returned no UploadId`);
  try {
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];
    // Parts go one after another: the deploy already runs many files in parallel.
    for (let offset = 0, n = 1; offset < o.body.length; offset += partSize, n++) {
      const part = await client.send(
        new UploadPartCommand({
          Bucket: o.bucket,
          Key: o.key,
          UploadId: uploadId,
          PartNumber: n,
          Body: o.body.subarray(offset, offset + partSize),
        }),
      );
      parts.push({ ETag: part.ETag, PartNumber: n });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: o.bucket,
        Key: o.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  } catch (err) {
    // Best effort: the parts are invisible either way, and a bucket lifecycle rule
    // (AbortIncompleteMultipartUpload) reclaims them if this fails too.
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: o.key, UploadId: uploadId }))
      .catch(() => undefined);
    throw err;
  }
}

/** One object, in a single PUT or, above `partSize`, as a multipart upload. */
export async function uploadObject(
  client: S3Client,
  o: ObjectToUpload,
  partSize = DEFAULT_PART_SIZE,
): Promise<{ multipart: boolean }> {
  if (o.body.length > partSize) {
    await uploadMultipart(client, o, partSize);
    return { multipart: true };
  }
  await client.send(new PutObjectCommand({ ...objectHeaders(o), Body: o.body }));
  return { multipart: false };
}
