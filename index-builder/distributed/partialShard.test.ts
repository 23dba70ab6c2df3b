import { describe, expect, it } from 'vitest';
import {
  PARTIAL_SHARD_VERSION,
  decodePartialShard,
  encodePartialShard,
  type PartialShard,
} from './partialShard';

const DIM = 5;

function shard(): PartialShard {
  const embedding = (seed: number) =>
    Float32Array.from({ length: DIM }, (_, j) => Math.sin(seed * 7 + j) / 3);
  return {
    buildId: 'b1-test',
    jobId: 'job-00003',
    modelSha256: 'ab'.repeat(32),
    dim: DIM,
    images: [
      {
        key: 'faces/é-1.png',
        hash: '01'.repeat(32),
        width: 64,
        height: 48,
        ext: 'png',
        embedding: embedding(1),
        views: [embedding(11), embedding(12)],
      },
      {
        key: 'faces/2.jpg',
        hash: 'ff'.repeat(32),
        width: 1200,
        height: 1600,
        ext: 'jpg',
        embedding: embedding(2),
      },
    ],
    skipped: [{ key: 'faces/broken.png', reason: 'corrupt', message: 'pngload: truncated' }],
  };
}

describe('partial shard', () => {
  it('round-trips keys, hashes, sizes, extensions, exact float32 embeddings and skipped files', () => {
    const original = shard();
    const bytes = encodePartialShard(original);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('LKSHARD\n');
    const back = decodePartialShard(bytes, 'test.lkshard');
    expect(back).toEqual(original);
    // Bit for bit, not just close: the merged index must equal a single-machine build's.
    expect(Buffer.from(back.images[1].embedding.buffer)).toEqual(
      Buffer.from(original.images[1].embedding.buffer),
    );
  });

  it('holds a job whose images were all skipped', () => {
    const empty = { ...shard(), images: [] };
    expect(decodePartialShard(encodePartialShard(empty), 'x')).toEqual(empty);
  });

  it('writes the same bytes for the same job, so a re-run job changes nothing', () => {
    expect(encodePartialShard(shard())).toEqual(encodePartialShard(shard()));
  });

  it('rejects an embedding of the wrong length when writing', () => {
    const bad = shard();
    bad.images[0].embedding = new Float32Array(DIM + 1);
    expect(() => encodePartialShard(bad)).toThrow(
      /embedding of faces\/é-1.png has 6 values, the shard holds 5/,
    );
  });

  it('names the file and the problem for corrupt, truncated, foreign or newer files', () => {
    const good = Buffer.from(encodePartialShard(shard()));
    const flipped = Buffer.from(good);
    flipped[good.length - 60] ^= 0x01; // inside the embeddings
    expect(() => decodePartialShard(flipped, 's3://w/job-00003.lkshard')).toThrow(
      'partial shard s3://w/job-00003.lkshard: checksum mismatch: the file is truncated or corrupt',
    );
    expect(() => decodePartialShard(good.subarray(0, good.length - 1), 'x')).toThrow(/checksum mismatch/);
    expect(() => decodePartialShard(Buffer.from('{"images": []}'), 'x')).toThrow(/not a partial shard/);
    const newer = Buffer.from(good);
    newer.writeUInt32LE(PARTIAL_SHARD_VERSION + 1, 8);
    expect(() => decodePartialShard(newer, 'x')).toThrow(/format version 3; this builder reads version 2/);
  });

  it('rejects a well-formed file whose header does not describe its contents', () => {
    // Re-sealed with a valid checksum, so only the structural checks can catch these.
    const reseal = (mutate: (s: PartialShard) => void) => {
      const s = shard();
      mutate(s);
      return encodePartialShard(s);
    };
    const badHash = reseal((s) => (s.images[0].hash = 'not-hex'));
    expect(() => decodePartialShard(badHash, 'x')).toThrow(/image 0 is not \{key, hash \(64 hex\)/);
    // The extension names a file the merge writes (originals/<hash16>.<ext>): only an original's.
    for (const ext of ['/../../../escaped.txt', 'html', 'svg', '']) {
      const badExt = reseal((s) => (s.images[0].ext = ext));
      expect(() => decodePartialShard(badExt, 'x'), ext).toThrow(/image 0 is not .*ext \(of an original\)/);
    }
    const badReason = reseal((s) => (s.skipped[0].reason = 'mystery' as never));
    expect(() => decodePartialShard(badReason, 'x')).toThrow(/skipped file 0 .* known reason/);
  });
});
