import {
  CreateBucketCommand,
  GetBucketWebsiteCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDeploy, type DeployOptions } from './deploy';
import { DEPLOY_STATE_FILE } from './deployState';
import { DEPLOY_LOCK_FILE } from './deployLock';
import { writeFixtureData, writeFixtureSite } from '../testing/deployFixture';
import { s3ClientFor } from '../storage/s3ClientFor';
import { S3RVER_CREDENTIALS, startS3rver, type RunningS3rver } from '../testing/s3rverForTests';
import { bucketObjects } from '../testing/bucketObjects';
import { testDeployOptions } from '../testing/deployOptions';

/*
 * Audit fault 3: `--prefix demo/data` beside a site at `demo/` (or `--prefix data` beside a root
 * site) was accepted. Its deploy state and lock became public under the outer site's `data/*`, and
 * the outer site's `--delete` left its own data/ alone from then on ("another deploy"). Both
 * directions are now refused before the bucket changes.
 */

let s3: RunningS3rver;
let client: S3Client;
let tmp: string;
let site: string;
let data: string;

function options(over: Partial<DeployOptions>): DeployOptions {
  return testDeployOptions({ bucket: 'nest', endpoint: s3.endpoint, siteDir: site, dataDir: data, ...over });
}

async function listing(bucket: string): Promise<string[]> {
  return (await bucketObjects(client, bucket)).map((o) => `${o.key} ${o.etag}`);
}

/** A bucket with a deploy state at each of `markers` (what a deploy to that prefix leaves). */
async function bucketWith(bucket: string, markers: string[]): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const key of markers) {
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"version":1,"objects":{},"pending":{}}' }),
    );
  }
}

beforeAll(async () => {
  Object.assign(process.env, S3RVER_CREDENTIALS);
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-nested-'));
  s3 = await startS3rver();
  client = s3ClientFor({ region: 'us-east-1', endpoint: s3.endpoint, maxAttempts: 2 });
  site = join(tmp, 'site');
  data = join(tmp, 'data');
  await writeFixtureSite(site, 1);
  await writeFixtureData(data, 1);
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('deploys inside one another (s3rver)', () => {
  it("refuses a prefix inside another site's data/ or assets/, before anything is written", async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'nest' }));
    await runDeploy(options({ prefix: 'demo' }));
    await runDeploy(options({ prefix: '' }));
    const before = await listing('nest');

    for (const [prefix, message] of [
      [
        'demo/data',
        /^--prefix 'demo\/data' lies inside the data\/ folder of the site deployed at demo\/: .*covers demo\/data\/\*/,
      ],
      ['demo/assets/x', /lies inside the assets\/ folder of the site deployed at demo\//],
      ['data', /^--prefix 'data' lies inside the data\/ folder of the site deployed at the bucket root/],
      ['assets/v2', /lies inside the assets\/ folder of the site deployed at the bucket root/],
    ] as const) {
      for (const dryRun of [true, false]) {
        await expect(runDeploy(options({ prefix, dryRun })), `${prefix} ${dryRun}`).rejects.toThrow(message);
      }
    }
    // Not even a lock was written under the other site's public data/.
    expect(await listing('nest')).toEqual(before);

    // Beside a site's folders, or inside a folder it does not publish, a site is still welcome.
    await runDeploy(options({ prefix: 'demo/v2', dryRun: true }));
    await runDeploy(options({ prefix: 'database', dryRun: true }));
  });

  it('refuses a site whose data/ or assets/ would hold another deploy, before anything is written', async () => {
    // As a deploy of an older version could leave them: a site at demo/data/, a first deploy's lock
    // at demo/assets/old/, and a site at a folder the new site does not publish.
    await bucketWith('outer', [
      `demo/data/${DEPLOY_STATE_FILE}`,
      `demo/assets/old/${DEPLOY_LOCK_FILE}`,
      `demo/v2/${DEPLOY_STATE_FILE}`,
    ]);
    const before = await listing('outer');
    for (const dryRun of [true, false]) {
      await expect(runDeploy(options({ bucket: 'outer', prefix: 'demo', dryRun }))).rejects.toThrow(
        /^this site's assets\/ folder holds another deploy, at demo\/assets\/old\/ \(and 1 more: demo\/data\/\): .*covers demo\/assets\/\*/,
      );
    }
    expect(await listing('outer')).toEqual(before);
    await expect(client.send(new GetBucketWebsiteCommand({ Bucket: 'outer' }))).rejects.toThrow();

    // A bucket-root site and a site at data/.
    await bucketWith('outer-root', [`data/${DEPLOY_STATE_FILE}`]);
    await expect(runDeploy(options({ bucket: 'outer-root', dryRun: true }))).rejects.toThrow(
      /^this site's data\/ folder holds another deploy, at data\/: .*covers data\/\*/,
    );
  });
});
