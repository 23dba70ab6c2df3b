import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3ClientFor } from '../storage/s3ClientFor';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { DeployLock, deployLockKey } from './deployLock';

const BUCKET = 'lock-tests';
let s3: RunningS3rver;
let client: S3Client;

beforeAll(async () => {
  Object.assign(process.env, S3RVER_CREDENTIALS);
  s3 = await startS3rver();
  client = s3ClientFor({ region: 'us-east-1', endpoint: s3.endpoint, maxAttempts: 2 });
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

async function holder(prefix: string): Promise<string | null> {
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: deployLockKey(prefix) }));
    return (JSON.parse(await r.Body!.transformToString()) as { id: string }).id;
  } catch {
    return null;
  }
}

describe('the deploy lock (s3rver)', () => {
  it('one holder per prefix; --break-lock takes it; the loser finds out before it deletes anything', async () => {
    const log: string[] = [];
    const a = await DeployLock.acquire({ client, bucket: BUCKET, prefix: 'site', log: (l) => log.push(l) });
    // Another prefix has a lock of its own.
    const other = await DeployLock.acquire({
      client,
      bucket: BUCKET,
      prefix: 'site2',
      log: (l) => log.push(l),
    });
    await other.release();
    await expect(
      DeployLock.acquire({ client, bucket: BUCKET, prefix: 'site', log: () => {} }),
    ).rejects.toThrow(/another deploy to this prefix is running .*--break-lock takes it now/);
    await a.check();

    const b = await DeployLock.acquire({
      client,
      bucket: BUCKET,
      prefix: 'site',
      breakLock: true,
      log: (l) => log.push(l),
    });
    expect(log.some((l) => l.startsWith('breaking the deploy lock (started '))).toBe(true);
    await expect(a.check()).rejects.toThrow(
      /lost its lock \(another deploy took the lock .*nothing was deleted/,
    );
    const bId = await holder('site');
    // The loser's release leaves the winner's lock alone.
    await a.release();
    expect(await holder('site')).toBe(bId);
    await b.check();
    await b.release();
    expect(await holder('site')).toBeNull();
  });

  it('a lock it cannot read back at the end fails the release, so the deploy warns that it is left', async () => {
    // Credentials that expire during a long deploy: every request after acquiring fails.
    const expiring = s3ClientFor({ region: 'us-east-1', endpoint: s3.endpoint, maxAttempts: 1 });
    let expired = false;
    expiring.middlewareStack.add(
      (next) => async (args) => {
        if (expired)
          throw Object.assign(new Error('The provided token has expired.'), { name: 'ExpiredToken' });
        return next(args);
      },
      { step: 'initialize', name: 'testExpiredCredentials' },
    );
    try {
      const lock = await DeployLock.acquire({
        client: expiring,
        bucket: BUCKET,
        prefix: 'expiring',
        log: () => {},
      });
      expired = true;
      await expect(lock.release()).rejects.toThrow(/token has expired/);
      expect(await holder('expiring')).not.toBeNull();
    } finally {
      expiring.destroy();
    }
  });

  it('a lock that is not JSON (damaged, or hand-made) is still a lock until it lapses', async () => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: deployLockKey('odd'), Body: 'x' }));
    await expect(
      DeployLock.acquire({ client, bucket: BUCKET, prefix: 'odd', log: () => {} }),
    ).rejects.toThrow(/unreadable lock/);
    const log: string[] = [];
    const lock = await DeployLock.acquire({
      client,
      bucket: BUCKET,
      prefix: 'odd',
      leaseMs: 0,
      log: (l) => log.push(l),
    });
    expect(log[0]).toMatch(/^taking over the lock of a deploy that stopped \(unreadable lock/);
    await lock.release();
  });

  it('a lock left by a process of this machine that is gone is taken over at once; one from elsewhere is not', async () => {
    // What this process writes into a lock (host, boot, pid), as the deploy that was killed wrote it.
    const own = await DeployLock.acquire({ client, bucket: BUCKET, prefix: 'killed', log: () => {} });
    const read = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: deployLockKey('killed') }));
    const body = JSON.parse(await read.Body!.transformToString()) as Record<string, unknown>;
    await own.release();
    // A process that has exited: its pid names nothing now.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const leave = (lock: Record<string, unknown>) =>
      client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: deployLockKey('killed'), Body: JSON.stringify(lock) }),
      );

    // The same pid on another machine, or in another boot of this one, may be a deploy that runs.
    for (const elsewhere of [
      { ...body, pid: deadPid, host: `not-${String(body.host)}` },
      { ...body, pid: deadPid, boot: 'another boot' },
      { ...body, pid: deadPid, boot: undefined },
    ]) {
      await leave(elsewhere);
      await expect(
        DeployLock.acquire({ client, bucket: BUCKET, prefix: 'killed', log: () => {} }),
      ).rejects.toThrow(/another deploy to this prefix is running/);
    }
    // A holder that runs keeps its lock.
    await leave(body);
    await expect(
      DeployLock.acquire({ client, bucket: BUCKET, prefix: 'killed', log: () => {} }),
    ).rejects.toThrow(/another deploy to this prefix is running/);

    await leave({ ...body, pid: deadPid });
    const log: string[] = [];
    const lock = await DeployLock.acquire({
      client,
      bucket: BUCKET,
      prefix: 'killed',
      log: (l) => log.push(l),
    });
    expect(log).toEqual([
      expect.stringMatching(
        new RegExp(
          `^taking over the lock of a deploy that no longer runs \\(started .* pid ${deadPid}: no such process on this machine; last renewed \\d+ s ago\\)$`,
        ),
      ),
    ]);
    await lock.check();
    await lock.release();
  });
});
