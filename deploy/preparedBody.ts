import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip, constants } from 'node:zlib';
import { MIN_GZIP_SAVING } from './publishRules';

const gzipAsync = promisify(gzip);

/** The bytes that go into the bucket for one file, and what identifies its content. */
interface PreparedBody {
  /** sha256 of the file as on disk (before any compression): what the app verifies and what we compare. */
  sha256: string;
  size: number;
  /** The file as on disk. */
  raw: Buffer;
  /** The stored body: the file itself or its gzip. */
  body: Buffer;
  contentEncoding: 'gzip' | undefined;
}

/**
 * Gzip rather than brotli: S3 serves the stored bytes as they are with the stored Content-Encoding,
 * whatever the client asked for, and every browser and HTTP client decodes gzip. The level is fixed
 * so that the same file always gives the same bytes, and so the same stored size.
 */
export async function prepareBody(localPath: string, compressible: boolean): Promise<PreparedBody> {
  const raw = await readFile(localPath);
  const sha256 = createHash('sha256').update(raw).digest('hex');
  if (compressible && raw.length > 0) {
    const gz = await gzipAsync(raw, { level: constants.Z_BEST_COMPRESSION });
    if (gz.length <= raw.length * (1 - MIN_GZIP_SAVING)) {
      return { sha256, size: raw.length, raw, body: gz, contentEncoding: 'gzip' };
    }
  }
  return { sha256, size: raw.length, raw, body: raw, contentEncoding: undefined };
}
