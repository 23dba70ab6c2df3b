import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3ClientFor } from '../../storage/s3ClientFor';
import { s3ErrorText } from '../../storage/s3Errors';
import { deleteKeys } from '../../storage/s3Deletion';
import { listObjects } from '../../storage/s3Listing';
import { parseS3Url, type S3Location } from '../s3Source';

/** How a process reaches S3: the same meaning as build-index's --endpoint and --region. */
export interface S3Access {
  endpoint?: string;
  region?: string;
}

function s3Client(access: S3Access): S3Client {
  return s3ClientFor({
    endpoint: access.endpoint,
    region: access.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    maxAttempts: 4,
  });
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'NotFound' || name === 'NoSuchKey';
}

/**
 * The work prefix a distributed build shares between coordinator and workers:
 *
 *   models/<sha256>.onnx                    model files, content-addressed, shared by builds
 *   builds/<buildId>/shards/<jobId>.lkshard partial shards (partialShard.ts)
 *   builds/<buildId>/media/thumbs/…         thumbnails and originals the workers made, under
 *   builds/<buildId>/media/originals/…      their data-dir names
 *
 * Keys given to the methods are relative to the prefix.
 */
export class WorkStore {
  readonly url: string;
  private readonly location: S3Location;
  private readonly client: S3Client;

  constructor(url: string, access: S3Access) {
    this.location = parseS3Url(url);
    this.url = `s3://${this.location.bucket}/${this.location.prefix}`;
    this.client = s3Client(access);
  }

  static modelKey(sha256: string): string {
    return `models/${sha256}.onnx`;
  }

  static buildPrefix(buildId: string): string {
    return `builds/${buildId}/`;
  }

  static shardKey(buildId: string, jobId: string): string {
    return `${WorkStore.buildPrefix(buildId)}shards/${jobId}.lkshard`;
  }

  static mediaPrefix(buildId: string): string {
    return `${WorkStore.buildPrefix(buildId)}media/`;
  }

  /** The object's s3:// URL, for messages. */
  describe(key: string): string {
    return `${this.url}${key}`;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.client
      .send(
        new PutObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + key, Body: bytes }),
      )
      .catch((err: unknown) => {
        throw new Error(`cannot write ${this.describe(key)}: ${s3ErrorText(err)}`, { cause: err });
      });
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + key }),
      );
      if (out.Body === undefined) throw new Error('no body');
      return await out.Body.transformToByteArray();
    } catch (err) {
      const why = isNotFound(err) ? 'no such object' : s3ErrorText(err);
      throw new Error(`cannot read ${this.describe(key)}: ${why}`, { cause: err });
    }
  }

  /** The object's bytes, or undefined when there is no such object. */
  async find(key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.get(key);
    } catch (err) {
      if (isNotFound((err as Error).cause)) return undefined;
      throw err;
    }
  }

  /** Whether the object is there (a finished job's shard, say). */
  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.location.prefix + key }),
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw new Error(`cannot look for ${this.describe(key)}: ${s3ErrorText(err)}`, { cause: err });
    }
  }

  /** What is under `builds/`, by build id: the keys under each build's prefix and its newest object's time. */
  async listBuilds(): Promise<Map<string, { keys: string[]; newestMs: number }>> {
    const root = this.location.prefix + 'builds/';
    const builds = new Map<string, { keys: string[]; newestMs: number }>();
    for (const o of (await listObjects(this.client, this.location.bucket, root)).values()) {
      const rest = o.key.slice(root.length);
      const slash = rest.indexOf('/');
      const buildId = slash < 0 ? '' : rest.slice(0, slash);
      const b = builds.get(buildId) ?? { keys: [], newestMs: 0 };
      b.keys.push(slash < 0 ? rest : rest.slice(slash + 1));
      b.newestMs = Math.max(b.newestMs, o.lastModified?.getTime() ?? 0);
      builds.set(buildId, b);
    }
    return builds;
  }

  /** Deletes every object under `keyPrefix`; returns how many. */
  async deleteUnder(keyPrefix: string): Promise<number> {
    const listed = await listObjects(this.client, this.location.bucket, this.location.prefix + keyPrefix);
    const refused = await deleteKeys(this.client, this.location.bucket, [...listed.keys()], 4);
    if (refused.length > 0) {
      throw new Error(
        `cannot delete ${refused.length} objects under ${this.describe(keyPrefix)}, e.g. ${refused[0].key}: ${refused[0].message}`,
      );
    }
    return listed.size;
  }

  destroy(): void {
    this.client.destroy();
  }
}
