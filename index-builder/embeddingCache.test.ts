import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentHash } from './contentAddress';
import { EmbeddingCache } from './embeddingCache';

const DIM = 5;
const hashOf = (s: string) => contentHash(Buffer.from(s));
const vec = (x: number) => Float32Array.from({ length: DIM }, (_, i) => x + i / 10);

describe('EmbeddingCache', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emb-cache-'));
    file = join(dir, 'sub', 'm.embeddings');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps every record whole when two builds open and append to one file at once', async () => {
    // The default cache path depends only on the model, so two builds (or a build and a distributed
    // coordinator) share it. Large flushes, as a batch with its edited views makes (~2.6 MB).
    const dim = 2280;
    const value = (who: string, i: number) =>
      Float32Array.from({ length: dim }, (_, j) => i + j / dim + (who === 'a' ? 0 : 0.5));
    const [a, b] = await Promise.all([
      EmbeddingCache.open(file, 'm', dim),
      EmbeddingCache.open(file, 'm', dim),
    ]);
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 300; i++) {
        a.set(hashOf(`a${round}:${i}`), value('a', i));
        b.set(hashOf(`b${round}:${i}`), value('b', i));
      }
      await Promise.all([a.flush(), b.flush()]);
    }
    const reopened = await EmbeddingCache.open(file, 'm', dim);
    expect(reopened.size).toBe(2 * 6 * 300);
    let wrong = 0;
    for (let round = 0; round < 6; round++)
      for (let i = 0; i < 300; i++)
        for (const who of ['a', 'b']) {
          const got = reopened.get(hashOf(`${who}${round}:${i}`));
          const want = value(who, i);
          if (got === undefined || got.some((v, j) => v !== want[j])) wrong++;
        }
    expect(wrong).toBe(0);
  });

  it('keeps embeddings across reopen, in one file', async () => {
    const a = await EmbeddingCache.open(file, 'model-a', DIM);
    a.set(hashOf('x'), vec(1));
    a.set(hashOf('y'), vec(2));
    a.set(hashOf('x'), vec(9)); // same content: first embedding wins, no second record
    await a.flush();
    const b = await EmbeddingCache.open(file, 'model-a', DIM);
    expect(b.size).toBe(2);
    expect(b.get(hashOf('x'))).toEqual(vec(1));
    expect(b.get(hashOf('y'))).toEqual(vec(2));
    expect(b.get(hashOf('z'))).toBeUndefined();
    const header = 8 + 8 + 'model-a'.length;
    expect((await stat(file)).size).toBe(header + 2 * (16 + 4 * DIM));
  });

  it('reads back exactly whatever the header length (each alignment of the records in the file)', async () => {
    for (const id of ['m', 'mo', 'mod', 'mode']) {
      const f = join(dir, `${id}.embeddings`);
      const a = await EmbeddingCache.open(f, id, DIM);
      a.set(hashOf(`${id}1`), vec(1.5));
      a.set(hashOf(`${id}2`), vec(-2.25));
      await a.flush();
      const b = await EmbeddingCache.open(f, id, DIM);
      expect(b.get(hashOf(`${id}1`))).toEqual(vec(1.5));
      expect(b.get(hashOf(`${id}2`))).toEqual(vec(-2.25));
    }
  });

  it('drops a torn last record (a killed build) and appends after the good ones', async () => {
    const a = await EmbeddingCache.open(file, 'm', DIM);
    a.set(hashOf('x'), vec(1));
    await a.flush();
    const bytes = await readFile(file);
    await writeFile(file, Buffer.concat([bytes, Buffer.alloc(7, 1)]));
    const b = await EmbeddingCache.open(file, 'm', DIM);
    expect(b.size).toBe(1);
    b.set(hashOf('y'), vec(2));
    await b.flush();
    const c = await EmbeddingCache.open(file, 'm', DIM);
    expect(c.get(hashOf('y'))).toEqual(vec(2));
    expect(c.size).toBe(2);
  });

  it('starts afresh for another model or dimension instead of mixing vectors', async () => {
    const a = await EmbeddingCache.open(file, 'm', DIM);
    a.set(hashOf('x'), vec(1));
    await a.flush();
    expect((await EmbeddingCache.open(file, 'other', DIM)).size).toBe(0);
    expect((await EmbeddingCache.open(file, 'other', DIM + 1)).size).toBe(0);
  });

  it('read() gives what builds wrote and never writes: not for another model or dim, nor a torn record', async () => {
    expect((await EmbeddingCache.read(file, 'm', DIM)).size).toBe(0);
    const a = await EmbeddingCache.open(file, 'm', DIM);
    a.set(hashOf('x'), vec(1));
    a.set(hashOf('y'), vec(2));
    await a.flush();
    const torn = Buffer.concat([await readFile(file), Buffer.alloc(7, 1)]);
    await writeFile(file, torn);
    const read = await EmbeddingCache.read(file, 'm', DIM);
    expect([...read.keys()]).toEqual([hashOf('x').slice(0, 32), hashOf('y').slice(0, 32)]);
    expect(read.get(hashOf('y').slice(0, 32))).toEqual(vec(2));
    expect((await EmbeddingCache.read(file, 'other', DIM)).size).toBe(0);
    expect((await EmbeddingCache.read(file, 'm', DIM + 1)).size).toBe(0);
    expect(await readFile(file)).toEqual(torn);
  });

  it('rejects embeddings of the wrong length and non-hex keys', async () => {
    const a = await EmbeddingCache.open(file, 'm', DIM);
    expect(() => a.set(hashOf('x'), new Float32Array(DIM + 1))).toThrow(/6 values/);
    expect(() => a.set('not-a-hash', vec(1))).toThrow(/hex/);
  });
});
