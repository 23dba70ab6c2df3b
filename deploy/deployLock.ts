import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { isAlive } from '../storage/buildLockHolder';
import { s3ErrorName, s3ErrorStatus } from '../storage/s3Errors';
import { DEPLOY_LOCK_FILE, deployLockKey } from './deployLockFile';
import { assertNotInsideAnotherSite } from './nestedDeploys';

export { DEPLOY_LOCK_FILE, deployLockKey };

/**
 * One deploy at a time per site prefix. Two deploys that overlap each plan against what they read at
 * the start, so one's `--delete` removed files the other's manifest names, or the site ended as one's
 * page with the other's data, and both said they had succeeded. The lock is an object under the
 * prefix: created only where none is (S3's conditional write; a server that ignores the condition
 * still has the read-back), renewed while the deploy runs, checked again before anything is deleted
 * or recorded, and removed at the end. A deploy that was killed leaves it behind; it lapses
 * `leaseMs` after its last renewal, judged by the server's clock, and the next deploy takes over.
 * A lock written on this same machine, since its last boot, by a process that is gone is taken over
 * at once: there the deploy can tell for sure that its holder no longer runs.
 */
const DEFAULT_LOCK_LEASE_MS = 90_000;

interface LockBody {
  version: 1;
  id: string;
  host: string;
  pid: number;
  started: string;
  /** Which boot of which machine, and which pid namespace, `pid` is in (thisBoot); absent in older locks. */
  boot?: string;
}

/**
 * This boot of this machine and this process's pid namespace: a pid means the same process only
 * when both are the same. A host name alone does not say it (two machines, or a container and its
 * host, can share one), nor does a boot (pids start again after a reboot). On Linux the kernel's
 * boot id and the pid namespace's inode say it exactly; elsewhere the boot time, to the minute,
 * stands in for the boot id (where it cannot match, the lock simply lapses as before).
 */
function thisBoot(): string {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    let pidNamespace = '';
    try {
      pidNamespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      // Without /proc/self/ns (an old kernel) every process shares the one namespace.
    }
    return `${bootId} ${pidNamespace}`;
  } catch {
    return `booted ${Math.round((Date.now() / 1000 - uptime()) / 60)} min after 1970`;
  }
}

/** Whether the lock's holder is a process on this machine, in this boot, that no longer runs. */
function holderIsGone(b: LockBody): boolean {
  return (
    b.host === hostname() &&
    b.boot !== undefined &&
    b.boot === thisBoot() &&
    // kill(0) would ask about the whole process group, and a damaged pid about nothing.
    Number.isInteger(b.pid) &&
    b.pid > 0 &&
    !isAlive(b.pid)
  );
}

/** The lock object as stored: who holds it and how long ago (server time) it was last renewed. */
interface StoredLock {
  body: LockBody | null;
  etag: string | undefined;
  ageMs: number;
}

function parseBody(text: string): LockBody | null {
  try {
    const b = JSON.parse(text) as Partial<LockBody>;
    return typeof b.id === 'string' && typeof b.started === 'string'
      ? {
          version: 1,
          id: b.id,
          host: String(b.host),
          pid: Number(b.pid),
          started: b.started,
          boot: typeof b.boot === 'string' ? b.boot : undefined,
        }
      : null;
  } catch {
    return null;
  }
}

async function readLock(client: S3Client, bucket: string, key: string): Promise<StoredLock | null> {
  const command = new GetObjectCommand({ Bucket: bucket, Key: key });
  let serverDate: number | undefined;
  // The age is judged by the server's clock (its Date header against the object's Last-Modified),
  // so two machines whose clocks differ agree on when a lock lapsed.
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const date = (result.response as { headers?: Record<string, string> }).headers?.date;
      if (date !== undefined && Number.isFinite(Date.parse(date))) serverDate = Date.parse(date);
      return result;
    },
    { step: 'deserialize', name: 'lookalikeServerDate' },
  );
  try {
    const r = await client.send(command);
    const text = (await r.Body?.transformToString()) ?? '';
    const modified = r.LastModified?.getTime() ?? Date.now();
    return {
      body: parseBody(text),
      etag: r.ETag,
      ageMs: Math.max(0, (serverDate ?? Date.now()) - modified),
    };
  } catch (err) {
    if (s3ErrorName(err) === 'NoSuchKey' || s3ErrorStatus(err) === 404) return null;
    throw err;
  }
}

function describeHolder(b: LockBody | null): string {
  return b ? `started ${b.started} on ${b.host}, pid ${b.pid}` : 'unreadable lock';
}

export class DeployLock {
  private timer: NodeJS.Timeout | undefined;
  private lost: string | null = null;
  private renewing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    readonly key: string,
    private readonly body: LockBody,
    private readonly leaseMs: number,
  ) {}

  /**
   * Takes the prefix's lock, or throws naming the deploy that holds it and when its lock lapses.
   * `breakLock` takes it whatever its age (the person knows no deploy is running).
   */
  static async acquire(opts: {
    client: S3Client;
    bucket: string;
    prefix: string;
    leaseMs?: number;
    breakLock?: boolean;
    log: (line: string) => void;
  }): Promise<DeployLock> {
    const { client, bucket } = opts;
    const leaseMs = opts.leaseMs ?? DEFAULT_LOCK_LEASE_MS;
    const key = deployLockKey(opts.prefix);
    const where = `s3://${bucket}/${key}`;
    // The lock is a deploy's first write: inside another site's published folder it would be public
    // (planDeploy checks again, for dry runs, which take no lock).
    await assertNotInsideAnotherSite({ client, bucket, prefix: opts.prefix });
    const existing = await readLock(client, bucket, key);
    if (existing !== null) {
      const holder = describeHolder(existing.body);
      const gone = existing.body !== null && holderIsGone(existing.body);
      if (!opts.breakLock && !gone && existing.ageMs < leaseMs) {
        const lapses = Math.ceil((leaseMs - existing.ageMs) / 1000);
        throw new Error(
          `another deploy to this prefix is running (${holder}; lock ${where}, renewed ` +
            `${Math.round(existing.ageMs / 1000)} s ago). Wait for it to finish. If it was stopped, its lock ` +
            `lapses in ${lapses} s and the next deploy takes over; --break-lock takes it now.`,
        );
      }
      const renewed = `last renewed ${Math.round(existing.ageMs / 1000)} s ago`;
      opts.log(
        opts.breakLock
          ? `breaking the deploy lock (${holder})`
          : gone
            ? `taking over the lock of a deploy that no longer runs (${holder}: no such process on this machine; ${renewed})`
            : `taking over the lock of a deploy that stopped (${holder}; ${renewed})`,
      );
    }
    const body: LockBody = {
      version: 1,
      id: randomUUID(),
      host: hostname(),
      pid: process.pid,
      started: new Date().toISOString(),
      boot: thisBoot(),
    };
    const lock = new DeployLock(client, bucket, key, body, leaseMs);
    try {
      // Created only where none is, or over exactly the lapsed lock just read (S3 conditional writes).
      await lock.put(existing === null ? { IfNoneMatch: '*' } : { IfMatch: existing.etag });
    } catch (err) {
      if (s3ErrorStatus(err) === 412 || s3ErrorName(err) === 'PreconditionFailed') {
        throw new Error(
          `another deploy to this prefix started just now (lock ${where}); wait for it to finish`,
          {
            cause: err,
          },
        );
      }
      throw err;
    }
    // A server that ignores the condition overwrote whatever was there: the read-back tells who won.
    const after = await readLock(client, bucket, key);
    if (after?.body?.id !== body.id) {
      throw new Error(
        `another deploy to this prefix started just now (${describeHolder(after?.body ?? null)}); wait for it to finish`,
      );
    }
    lock.timer = setInterval(
      () => {
        lock.renewing = lock.renew();
      },
      Math.max(1000, Math.floor(leaseMs / 4)),
    );
    lock.timer.unref();
    return lock;
  }

  private async put(condition: { IfNoneMatch?: string; IfMatch?: string }): Promise<void> {
    const send = (c: { IfNoneMatch?: string; IfMatch?: string }) =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: JSON.stringify(this.body),
          ContentType: 'application/json',
          CacheControl: 'no-store',
          ...c,
        }),
      );
    try {
      await send(condition);
    } catch (err) {
      // Some S3-compatible servers refuse conditional writes outright; the read-back still guards.
      if (s3ErrorStatus(err) !== 501 && s3ErrorName(err) !== 'NotImplemented') throw err;
      await send({});
    }
  }

  /** Renews the lease while the lock is still this deploy's; remembers a loss for check(). */
  private async renew(): Promise<void> {
    if (this.lost !== null) return;
    try {
      const now = await readLock(this.client, this.bucket, this.key);
      if (this.noteIfLost(now) || now === null) return;
      await this.put({ IfMatch: now.etag });
    } catch {
      // A failed renewal is retried at the next tick; check() reads the lock itself.
    }
  }

  /** Remembers why the lock as read now is no longer this deploy's; true when it is not. */
  private noteIfLost(now: StoredLock | null): boolean {
    if (now?.body?.id === this.body.id) return false;
    this.lost =
      now === null ? 'its lock was deleted' : `another deploy took the lock (${describeHolder(now.body)})`;
    return true;
  }

  /** Throws unless the lock is still this deploy's: before deleting or recording anything. */
  async check(): Promise<void> {
    await this.renewing;
    if (this.lost === null) this.noteIfLost(await readLock(this.client, this.bucket, this.key));
    if (this.lost !== null) {
      throw new Error(
        `this deploy lost its lock (${this.lost}), so another deploy may be publishing; nothing was deleted ` +
          'and the deploy state was not written. Run the deploy again once the other one has finished.',
      );
    }
  }

  /** Stops renewing and removes the lock if it is still this deploy's. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    // A read that fails (credentials expired, say) leaves the lock in place: the caller must hear of it.
    const now = await readLock(this.client, this.bucket, this.key);
    if (now?.body?.id === this.body.id) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key }));
    }
  }
}
