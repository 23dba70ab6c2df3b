import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { thumbnailName } from '../../storage/dataDirNames';
import { DataDirWriter } from '../../storage/dataDirWriter';
import { contentHash } from '../contentAddress';
import { DamagedJobOutput, ShardMerge, type FinishedJob } from './mergeShards';
import { encodePartialShard, type PartialShard } from './partialShard';
import { WorkStore } from './workStore';
import { storedOriginalName } from '../../storage/storedOriginal';

const BUILD = 'b1-test';
const MODEL = 'ab'.repeat(32);
const DIM = 3;

/** A work prefix in memory; `fail` makes reading a key fail as S3 refusing the coordinator would. */
class MemoryStore {
  readonly objects = new Map<string, Uint8Array>();
  fail = new Set<string>();
  async find(key: string): Promise<Uint8Array | undefined> {
    if (this.fail.has(key)) throw new Error(`cannot read s3://work/${key}: AccessDenied: Access Denied`);
    return this.objects.get(key);
  }
  describe(key: string): string {
    return `s3://work/${key}`;
  }
}

let dir: string;
let writer: DataDirWriter;
let store: MemoryStore;
let original: Uint8Array;
let thumb: Uint8Array;

const job: FinishedJob = {
  jobId: 'job-00001',
  entries: [{ key: 'a/one.png' }, { key: 'a/broken.png' }] as FinishedJob['entries'],
  shardKey: WorkStore.shardKey(BUILD, 'job-00001'),
};

function shard(over: Partial<PartialShard> = {}): PartialShard {
  return {
    buildId: BUILD,
    jobId: job.jobId,
    modelSha256: MODEL,
    dim: DIM,
    images: [
      {
        key: 'a/one.png',
        hash: contentHash(original),
        width: 8,
        height: 8,
        ext: 'png',
        embedding: Float32Array.of(1, 0, 0),
      },
    ],
    skipped: [{ key: 'a/broken.png', reason: 'corrupt', message: 'truncated' }],
    ...over,
  };
}

const media = (name: string) => WorkStore.mediaPrefix(BUILD) + name;
const thumbName = () => thumbnailName(contentHash(original));
const originalName = () => storedOriginalName(contentHash(original), 'png', false);

function merge(keepMetadata = false): ShardMerge {
  return new ShardMerge({ store, buildId: BUILD, modelSha256: MODEL, dim: DIM, writer, keepMetadata });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'merge-shards-'));
  writer = new DataDirWriter(dir);
  await writer.open();
  store = new MemoryStore();
  const pixels = { create: { width: 8, height: 8, channels: 3 as const, background: '#c33' } };
  original = new Uint8Array(await sharp(pixels).png().toBuffer());
  thumb = new Uint8Array(await sharp(pixels).webp().toBuffer());
  store.objects.set(job.shardKey, encodePartialShard(shard()));
  store.objects.set(media(thumbName()), thumb);
  store.objects.set(media(originalName()), original);
});

afterEach(async () => {
  await writer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ShardMerge', () => {
  it("collects a job's images and skipped files and copies its media into the data dir", async () => {
    const m = merge();
    const out = await m.collect(job);
    expect(out.images.map((i) => [i.entry.key, i.hash, [...i.embedding]])).toEqual([
      ['a/one.png', contentHash(original), [1, 0, 0]],
    ]);
    expect(out.skipped.map((s) => s.key)).toEqual(['a/broken.png']);
    expect([m.thumbnailsWritten, m.originalsWritten]).toEqual([1, 1]);
    expect(new Uint8Array(await readFile(join(dir, originalName())))).toEqual(original);
    expect(new Uint8Array(await readFile(join(dir, thumbName())))).toEqual(thumb);
  });

  it('copies originals under the name a build that keeps their metadata gives them', async () => {
    const kept = storedOriginalName(contentHash(original), 'png', true);
    expect(kept).not.toBe(originalName());
    store.objects.delete(media(originalName()));
    store.objects.set(media(kept), original);
    await merge(true).collect(job);
    expect(new Uint8Array(await readFile(join(dir, kept)))).toEqual(original);
    expect(await readdir(join(dir, 'originals'))).toEqual([kept.slice('originals/'.length)]);
    // A build that strips them wants the stripped name, which no worker of this build stored.
    await expect(merge(false).collect(job)).rejects.toThrow(
      /originals\/\w+\.png, of job job-00001, is missing/,
    );
  });

  it('copies a thumbnail or original again that the data dir holds damaged', async () => {
    // Truncated by a full disk or a half copy since an earlier build wrote them.
    await writeFile(join(dir, thumbName()), thumb.subarray(0, thumb.length - 4));
    const m = merge();
    await m.collect(job);
    expect(new Uint8Array(await readFile(join(dir, thumbName())))).toEqual(thumb);
    expect([m.thumbnailsWritten, m.originalsWritten]).toEqual([1, 1]);
    // Intact, it is not downloaded again.
    store.objects.delete(media(thumbName()));
    await merge().collect(job);
  });

  const damages: [string, () => void, RegExp][] = [
    [
      'no shard',
      () => store.objects.delete(job.shardKey),
      /job job-00001 left no shard at s3:\/\/work\/builds\//,
    ],
    [
      'a corrupt shard',
      () => store.objects.set(job.shardKey, Uint8Array.from(store.objects.get(job.shardKey)!).reverse()),
      /partial shard s3:\/\/work\/\S+job-00001\.lkshard: not a partial shard/,
    ],
    [
      "another job's shard",
      () => store.objects.set(job.shardKey, encodePartialShard(shard({ jobId: 'job-00002' }))),
      /does not answer job job-00001: it was written for build b1-test, job job-00002/,
    ],
    [
      'a missing original',
      () => store.objects.delete(media(originalName())),
      /originals\/\w+\.png, of job job-00001, is missing/,
    ],
    [
      'an original that is not the image',
      () => store.objects.set(media(originalName()), thumb),
      /originals\/\w+\.png, of job job-00001, does not hold the image its shard names/,
    ],
    [
      'a thumbnail that is not a WebP',
      () => store.objects.set(media(thumbName()), original),
      /thumbs\/\w+\.webp, of job job-00001, is not a WebP thumbnail/,
    ],
  ];
  it.each(damages)(
    'says the output is damaged for %s, and collects it once mended',
    async (_, damage, said) => {
      const m = merge();
      const saved = new Map(store.objects);
      damage();
      const failed = m.collect(job);
      await expect(failed).rejects.toThrow(DamagedJobOutput);
      await expect(failed).rejects.toThrow(said);
      // What a re-run writes: the same objects again.
      for (const [k, v] of saved) store.objects.set(k, v);
      const out = await m.collect(job);
      expect(out.images).toHaveLength(1);
      expect((await readdir(join(dir, 'originals'))).length).toBe(1);
    },
  );

  it('fails as it is, not as damage, when the store refuses the coordinator', async () => {
    store.fail.add(job.shardKey);
    const failed = merge().collect(job);
    await expect(failed).rejects.toThrow(/AccessDenied/);
    await expect(failed).rejects.not.toThrow(DamagedJobOutput);
  });
});
