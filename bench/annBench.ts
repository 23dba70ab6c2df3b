import { queryRows as drawQueryRows } from './queryRows';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeIndex } from '../core/indexFormat';
import { rowBitsFor } from '../core/vectorTransform';
import { assembleIndex } from '../index-builder/assembleIndex';
import { residentDims } from '../index-builder/publishSettings';
import { summarize, type LatencySummary } from './stats';

/*
 * Lookalike's index against ANN libraries from npm on the same vectors, all in this Node process:
 * usearch and hnswlib-node (dev dependencies, native addons), or another install named with --ann-dir;
 * whichever loads is measured, and one that does not is reported with its error.
 */

interface AnnRow {
  library: string;
  /** Index file size ÷ rows (serialized as the library saves it). */
  bytesPerImage: number;
  buildMs: number;
  query: LatencySummary;
  /** Share of the exact float32 cosine top-10 found. */
  recall: number;
}

export interface AnnResult {
  source: string;
  count: number;
  dim: number;
  queries: number;
  rows: AnnRow[];
  /** Libraries that could not be loaded or run, with the reason. */
  unavailable: Record<string, string>;
}

const K = 10;

/** Exact top-k rows by dot product (unit vectors: cosine), the query row left out. */
function exactTopK(flat: Float32Array, dim: number, row: number): number[] {
  const n = flat.length / dim;
  const best: { r: number; s: number }[] = [];
  for (let r = 0; r < n; r++) {
    if (r === row) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) s += flat[row * dim + j] * flat[r * dim + j];
    if (best.length < K || s > best[best.length - 1].s) {
      let at = best.length;
      while (at > 0 && best[at - 1].s < s) at--;
      best.splice(at, 0, { r, s });
      if (best.length > K) best.pop();
    }
  }
  return best.map((b) => b.r);
}

function recall(got: number[][], exact: number[][]): number {
  let found = 0;
  exact.forEach((e, i) => {
    const g = new Set(got[i]);
    for (const r of e) if (g.has(r)) found++;
  });
  return found / (exact.length * K);
}

function timeQueries(
  rows: number[],
  search: (row: number) => number[],
): { ms: number[]; results: number[][] } {
  for (const r of rows.slice(0, 10)) search(r);
  const ms: number[] = [];
  const results = rows.map((r) => {
    const t = performance.now();
    const hits = search(r);
    ms.push(performance.now() - t);
    return hits;
  });
  return { ms, results };
}

interface UsearchModule {
  Index: new (o: { metric: string; connectivity: number; dimensions: number; quantization: string }) => {
    add(keys: BigUint64Array, vectors: Float32Array, threads: number): void;
    search(v: Float32Array, k: number, threads: number): { keys: BigUint64Array };
    save(file: string): void;
  };
}

interface HnswlibModule {
  HierarchicalNSW: new (
    space: string,
    dim: number,
  ) => {
    initIndex(max: number): void;
    addPoint(v: Float32Array | number[], label: number): void;
    searchKnn(v: Float32Array | number[], k: number): { neighbors: number[] };
    writeIndexSync(file: string): void;
  };
}

export async function annBench(
  embeddings: Float32Array[],
  source: string,
  queryCount: number,
  annDir: string | undefined,
): Promise<AnnResult> {
  const count = embeddings.length;
  const dim = embeddings[0].length;
  const flat = new Float32Array(count * dim);
  embeddings.forEach((e, i) => flat.set(e, i * dim));
  const queryRows = drawQueryRows(count, queryCount);
  const exact = queryRows.map((r) => exactTopK(flat, dim, r));
  const vec = (r: number) => flat.subarray(r * dim, (r + 1) * dim);
  const withoutSelf = (row: number, hits: number[]) => hits.filter((h) => h !== row).slice(0, K);
  const rows: AnnRow[] = [];
  const unavailable: Record<string, string> = {};
  const work = mkdtempSync(path.join(tmpdir(), 'lookalike-ann-'));
  try {
    {
      let t = performance.now();
      const dims = residentDims(count);
      const { bytes, order } = await assembleIndex(embeddings, { modelId: 'ann-bench', dims });
      const buildMs = performance.now() - t;
      t = performance.now();
      const index = decodeIndex(bytes);
      const rowOf = new Int32Array(count);
      order.forEach((position, row) => (rowOf[position] = row));
      const q = timeQueries(queryRows, (r) => index.searchByRow(rowOf[r], K).map((h) => order[h.row]));
      rows.push({
        library: `Lookalike (default index: ${dims} ${rowBitsFor(dims) === 4 ? 'int4' : 'int8'} dims, exact scan, core/residentIndex)`,
        bytesPerImage: bytes.length / count,
        buildMs,
        query: summarize(q.ms),
        recall: recall(q.results, exact),
      });
    }
    // The project's own dev dependencies, unless --ann-dir names another install (other versions).
    const requireFrom = createRequire(
      annDir ? path.join(path.resolve(annDir), 'package.json') : import.meta.url,
    );
    const load = <T>(name: string): T | undefined => {
      try {
        return requireFrom(name) as T;
      } catch (err) {
        unavailable[name] = `not installed: ${(err as Error).message.split('\n')[0]}`;
        return undefined;
      }
    };
    const usearch = load<UsearchModule>('usearch');
    if (usearch) {
      try {
        const t = performance.now();
        const index = new usearch.Index({
          metric: 'cos',
          connectivity: 16,
          dimensions: dim,
          quantization: 'i8',
        });
        index.add(
          BigUint64Array.from({ length: count }, (_, i) => BigInt(i)),
          flat,
          // One thread, as the other libraries build: its default (0) takes every core.
          1,
        );
        const buildMs = performance.now() - t;
        const file = path.join(work, 'index.usearch');
        index.save(file);
        const q = timeQueries(queryRows, (r) =>
          withoutSelf(
            r,
            Array.from(index.search(vec(r), K + 1, 1).keys, (k) => Number(k)),
          ),
        );
        rows.push({
          library: 'usearch (HNSW, i8)',
          bytesPerImage: statSync(file).size / count,
          buildMs,
          query: summarize(q.ms),
          recall: recall(q.results, exact),
        });
      } catch (err) {
        unavailable.usearch = (err as Error).message;
      }
    }
    const hnswlib = load<HnswlibModule>('hnswlib-node');
    if (hnswlib) {
      try {
        const t = performance.now();
        const index = new hnswlib.HierarchicalNSW('cosine', dim);
        index.initIndex(count);
        for (let i = 0; i < count; i++) index.addPoint(Array.from(vec(i)), i);
        const buildMs = performance.now() - t;
        const file = path.join(work, 'index.hnsw');
        index.writeIndexSync(file);
        const q = timeQueries(queryRows, (r) =>
          withoutSelf(r, index.searchKnn(Array.from(vec(r)), K + 1).neighbors),
        );
        rows.push({
          library: 'hnswlib-node (HNSW, f32)',
          bytesPerImage: statSync(file).size / count,
          buildMs,
          query: summarize(q.ms),
          recall: recall(q.results, exact),
        });
      } catch (err) {
        unavailable['hnswlib-node'] = (err as Error).message;
      }
    }
    for (const name of ['voy-search', 'faiss-node']) unavailable[name] ??= 'not wired into this benchmark';
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { source, count, dim, queries: queryRows.length, rows, unavailable };
}
