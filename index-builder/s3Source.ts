import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { s3ClientFor } from '../storage/s3ClientFor';
import { s3ErrorText } from '../storage/s3Errors';
import {
  META_FILE_NAME,
  SourceChangedError,
  byKey,
  isHidden,
  placeInAlbum,
  type ImageSource,
  type ListingSkip,
  type SourceEntry,
  type SourceListing,
} from './imageSource';

export interface S3Location {
  bucket: string;
  /** '' or ends with '/'. */
  prefix: string;
}

/** Parses `s3://bucket[/prefix]`; throws a clear Error for anything else. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (m === null || m[1] === undefined)
    throw new Error(`not an S3 URL (expected s3://bucket/prefix): ${url}`);
  const bucket = m[1];
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new Error(`invalid S3 bucket name: ${bucket}`);
  const raw = (m[2] ?? '').replace(/^\/+/, '');
  return { bucket, prefix: raw === '' || raw.endsWith('/') ? raw : `${raw}/` };
}

/**
 * Why a key below the source prefix is no usable path (undefined when it is one): an empty segment
 * (`a//b.jpg`, a leading `/`), or a `.` or `..` segment, which would name another key's place or
 * leave the prefix. Such keys are reported, never read.
 */
export function unusableKeyProblem(relative: string): string | undefined {
  const segments = relative.split('/');
  if (segments.some((s) => s === '')) return 'empty path segment';
  let depth = 0;
  for (const s of segments) {
    depth += s === '..' ? -1 : s === '.' ? 0 : 1;
    if (depth < 0) return "'..' segment leading out of the source prefix";
  }
  if (segments.includes('..')) return "'..' path segment";
  if (segments.includes('.')) return "'.' path segment";
  return undefined;
}

export interface S3SourceOptions {
  /** For S3-compatible stores (MinIO, s3rver, …); switches to path-style addressing. */
  endpoint?: string;
  region?: string;
  /** A request silent this long fails (storage/s3ClientFor.ts); for tests. */
  idleTimeoutMs?: number;
}

/**
 * A bucket prefix: the first key segment below the prefix is the album. Read-only (List + Get);
 * credentials come from the standard AWS chain (env, profile, instance role).
 */
export class S3Source implements ImageSource {
  readonly description: string;
  private readonly location: S3Location;
  private readonly client: S3Client;
  private readonly rootAlbum: string;

  constructor(url: string, options: S3SourceOptions = {}) {
    this.location = parseS3Url(url);
    this.description = `s3://${this.location.bucket}/${this.location.prefix}`;
    const segments = this.location.prefix.split('/').filter((s) => s !== '');
    this.rootAlbum = segments.length > 0 ? segments[segments.length - 1] : this.location.bucket;
    // The deploy's and the work store's client settings: retries, timeouts, region redirects.
    this.client = s3ClientFor({
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      endpoint: options.endpoint,
      maxAttempts: 3,
      idleTimeoutMs: options.idleTimeoutMs,
    });
  }

  async list(): Promise<SourceListing> {
    const { bucket, prefix } = this.location;
    const entries: SourceEntry[] = [];
    const skipped: ListingSkip[] = [];
    let metaFile: SourceListing['metaFile'];
    let token: string | undefined;
    do {
      const page = await this.client
        // URL-encoded keys: raw, the XML listing turns a carriage return in a key into a line feed, and
        // the file is then read under a key that does not exist.
        .send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ContinuationToken: token,
            EncodingType: 'url',
          }),
        )
        .catch((err: unknown) => {
          throw new Error(`cannot list ${this.description}: ${s3ErrorText(err)}`, { cause: err });
        });
      // Stores that ignore the parameter send raw keys, and say nothing of an encoding.
      const encoded = page.EncodingType === 'url';
      for (const listed of page.Contents ?? []) {
        if (listed.Key === undefined) continue;
        const key = encoded ? decodeListedKey(listed.Key) : listed.Key;
        const rel = key.slice(prefix.length);
        if (key.endsWith('/')) {
          // Empty ones are the folder markers consoles create; one that holds data is a file with no name.
          if ((listed.Size ?? 0) > 0)
            skipped.push({
              key: rel,
              reason: 'bad-key',
              message: `a key ending in '/' that holds ${listed.Size} bytes: s3://${bucket}/${key}`,
            });
          continue;
        }
        const problem = unusableKeyProblem(rel);
        if (problem !== undefined) {
          skipped.push({ key: rel, reason: 'bad-key', message: `${problem}: s3://${bucket}/${key}` });
          continue;
        }
        // As a folder source leaves out hidden files and folders, unreported (isHidden says why).
        if (rel.split('/').some(isHidden)) continue;
        const size = listed.Size ?? 0;
        const version = listed.ETag ?? `${listed.LastModified?.getTime() ?? ''}`;
        if (rel === META_FILE_NAME) metaFile = { size, version };
        else entries.push({ ...placeInAlbum(rel, this.rootAlbum), location: key, size, version });
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    entries.sort(byKey);
    skipped.sort(byKey);
    return { entries, metaFile, skipped };
  }

  async read(entry: SourceEntry): Promise<Uint8Array> {
    return this.get(entry.location, undefined, entry);
  }

  async readHead(entry: SourceEntry, bytes: number): Promise<Uint8Array> {
    return this.get(entry.location, `bytes=0-${bytes - 1}`, entry);
  }

  async readMeta(): Promise<unknown> {
    let bytes: Uint8Array;
    try {
      bytes = await this.get(this.location.prefix + META_FILE_NAME);
    } catch (err) {
      if (err instanceof NoSuchKey || (err as Error).name === 'NoSuchKey') return undefined;
      throw new Error(`cannot read ${this.description}${META_FILE_NAME}: ${s3ErrorText(err)}`, {
        cause: err,
      });
    }
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw new Error(`${this.description}${META_FILE_NAME} is not valid JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * An object's bytes. Given the entry it was listed as, only that version of it: the build decided
   * from the listed size whether to read it whole (index-builder/imagePipeline.ts), and a bigger file
   * put under the same key since (a video uploaded during the build) must not be read into memory.
   * S3 refuses another ETag (If-Match); the size is checked too, for stores that ignore If-Match.
   */
  private async get(key: string, range?: string, listed?: SourceEntry): Promise<Uint8Array> {
    const url = `s3://${this.location.bucket}/${key}`;
    const ifMatch = listed !== undefined && listed.version.startsWith('"') ? listed.version : undefined;
    const out = await this.client
      .send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key, Range: range, IfMatch: ifMatch }))
      .catch((err: Error) => {
        if (err.name === 'PreconditionFailed')
          throw new SourceChangedError(`${url} changed since it was listed`);
        if (listed !== undefined && (err instanceof NoSuchKey || err.name === 'NoSuchKey'))
          throw new SourceChangedError(`${url} was deleted since it was listed`, { cause: err });
        throw err;
      });
    if (out.Body === undefined) throw new Error(`${url} has no body`);
    if (range !== undefined && out.ContentRange === undefined) {
      // A store that ignores Range sends the whole object: read what was asked for, and no more.
      return readStart(out.Body as AsyncIterable<Uint8Array> & { destroy?: () => void }, rangeLength(range));
    }
    const size = range === undefined ? out.ContentLength : Number(out.ContentRange?.split('/')[1]);
    if (listed !== undefined && size !== undefined && Number.isFinite(size) && size !== listed.size) {
      (out.Body as { destroy?: () => void }).destroy?.();
      throw new SourceChangedError(
        `${url} changed since it was listed (${listed.size} bytes then, ${size} now)`,
      );
    }
    return out.Body.transformToByteArray();
  }
}

/** The length of a `bytes=0-n` range. */
function rangeLength(range: string): number {
  const m = /^bytes=0-(\d+)$/.exec(range);
  if (m === null) throw new Error(`unexpected range ${range}`);
  return Number(m[1]) + 1;
}

/** The first `length` bytes of a body (fewer if it is shorter); the rest is never downloaded. */
async function readStart(
  body: AsyncIterable<Uint8Array> & { destroy?: () => void },
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let at = 0;
  try {
    for await (const chunk of body) {
      const take = Math.min(chunk.length, length - at);
      out.set(chunk.subarray(0, take), at);
      at += take;
      if (at === length) break;
    }
  } finally {
    body.destroy?.();
  }
  return out.subarray(0, at);
}

/** A key from a listing with `EncodingType=url`: form encoding, `+` for a space (as botocore decodes). */
export function decodeListedKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, '%20'));
}
