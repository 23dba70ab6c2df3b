/**
 * Index trade-off sweep (npm: `npx tsx bench/indexTradeoff.ts [--quick] [--skip-million]`).
 *
 * Sweeps compact-vector dims × LSH bits × re-ranked candidates on real embeddings of the cross-vendor
 * emoji task (queries from one vendor, index of the other two, hit = same `unified` in the top 10) and
 * on synthetic clustered vectors for scale, then writes docs/index-tradeoff.md and docs/index-tradeoff.svg.
 * Times are JS wall-clock in this process; the machine may be shared, so compare ratios within a run.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { decodeIndex } from '../core/indexFormat';
import {
  EXACT_SCAN_MAX_ROWS,
  LSH_CANDIDATE_FRACTION,
  LSH_MIN_CANDIDATES,
  defaultSearchStrategy,
  type InMemoryResidentIndex,
  type SearchStrategy,
} from '../core/residentIndex';
import { compactVector } from '../core/vectorTransform';
import {
  DEFAULT_BITS,
  DEFAULT_DIMS,
  SHARDED_DIMS,
  WIDE_DIMS,
  assembleIndex,
  packIndex,
} from '../index-builder/assembleIndex';
import { DEFAULT_MAX_FIT_ROWS, fitTransform, whitenEpsilonFor } from '../index-builder/fitTransform';
import { EMOJI_VENDORS } from '../models/research/emojiDataset';
import { recallAtK } from '../models/research/retrievalRecall';
import { loadEmojiEmbeddings } from './emojiEmbeddings';
import { svgPanels, type Series } from './svgPlot';
import { clusteredEmbeddings } from '../testing/syntheticEmbeddings';

const quick = process.argv.includes('--quick');
const skipMillion = process.argv.includes('--skip-million') || quick;
const K = 10;
const DIMS = [32, 64, 96, 128];
const BITS = [64, 128, 256, 512];
const CANDIDATES = [128, 256, 512, 1024];
const QUERIES_PER_VENDOR = quick ? 150 : 500;
const EPSILONS = [0, 0.03, 0.1, 0.3, 1, 1e6];
const SCALE_COUNTS = quick ? [1024, 4096, 16384] : [1024, 2048, 4096, 8192, 16384, 30000, 100000];
const SCALE_QUERIES = 200;
const DOCS = path.join(import.meta.dirname, '..', 'docs');

const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

interface Split {
  modelId: string;
  queryVendor: string;
  gallery: Float32Array[];
  galleryLabels: string[];
  queries: Float32Array[];
  queryLabels: string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function flat(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.length * rows[0].length);
  rows.forEach((r, i) => out.set(r, i * r.length));
  return out;
}

/** Top-k gallery positions and the time each query took. */
function runQueries(
  index: InMemoryResidentIndex,
  order: number[],
  queries: Int8Array[],
  strategy: SearchStrategy,
  exclude?: (i: number) => number,
): { results: number[][]; ms: number[] } {
  // Warm-up so the JIT has compiled the scan before timing.
  for (let i = 0; i < Math.min(20, queries.length); i++) index.searchWith(queries[i], K, strategy);
  const ms: number[] = [];
  const results = queries.map((q, i) => {
    const t = performance.now();
    const hits = index.searchWith(q, K, strategy, exclude ? exclude(i) : -1);
    ms.push(performance.now() - t);
    return hits.map((h) => order[h.row]);
  });
  return { results, ms };
}

function recallAgainst(got: number[][], exact: number[][]): number {
  let found = 0;
  let total = 0;
  got.forEach((g, i) => {
    const want = new Set(exact[i]);
    total += want.size;
    for (const r of g) if (want.has(r)) found++;
  });
  return found / total;
}

function quality(results: number[][], split: Split): number {
  let hits = 0;
  results.forEach((r, i) => {
    if (r.some((g) => split.galleryLabels[g] === split.queryLabels[i])) hits++;
  });
  return hits;
}

async function emojiSplits(): Promise<Split[]> {
  const e = await loadEmojiEmbeddings(log);
  const rows = e.unified.map((_, i) => e.vectors.subarray(i * e.dim, (i + 1) * e.dim));
  return EMOJI_VENDORS.map((qv) => {
    const gallery = rows.filter((_, i) => e.vendors[i] !== qv);
    const galleryLabels = e.unified.filter((_, i) => e.vendors[i] !== qv);
    const all = rows.map((_, i) => i).filter((i) => e.vendors[i] === qv);
    const stride = Math.max(1, Math.floor(all.length / QUERIES_PER_VENDOR));
    const picked = all.filter((_, j) => j % stride === 0).slice(0, QUERIES_PER_VENDOR);
    return {
      modelId: e.modelId,
      queryVendor: qv,
      gallery,
      galleryLabels,
      queries: picked.map((i) => rows[i]),
      queryLabels: picked.map((i) => e.unified[i]),
    };
  });
}

interface SweepRow {
  dims: number;
  bits: number;
  candidates: number | 'exact';
  bytesPerImage: number;
  recall: number;
  quality: number;
  p50: number;
  exactP50: number;
}

async function emojiSweep(splits: Split[]) {
  const totalQueries = splits.reduce((s, sp) => s + sp.queries.length, 0);
  let rawHits = 0;
  for (const sp of splits) {
    const dim = sp.gallery[0].length;
    rawHits +=
      (await recallAtK(
        { vectors: flat(sp.queries), labels: sp.queryLabels },
        { vectors: flat(sp.gallery), labels: sp.galleryLabels },
        dim,
        K,
      )) * sp.queries.length;
  }
  const rawQuality = rawHits / totalQueries;
  log(`raw float quality ${rawQuality.toFixed(4)} over ${totalQueries} queries`);

  const rows: SweepRow[] = [];
  for (const dims of quick ? [64, 96] : DIMS) {
    const perSplit = await Promise.all(
      splits.map(async (sp) => {
        const transform = await fitTransform(sp.gallery, { dims });
        return {
          transform,
          vectors: sp.gallery.map((g) => compactVector(transform, g)),
          queries: sp.queries.map((q) => compactVector(transform, q)),
        };
      }),
    );
    let exactResults: number[][][] = [];
    let exactMs: number[] = [];
    for (const bits of quick ? [128, 256] : BITS) {
      const built = perSplit.map((p) => {
        const { bytes, order } = packIndex(p.vectors, p.transform, { modelId: 'bench', bits });
        return { index: decodeIndex(bytes), order, bytes: bytes.length };
      });
      if (exactResults.length === 0) {
        exactMs = [];
        exactResults = built.map((b, s) => {
          const r = runQueries(b.index, b.order, perSplit[s].queries, { kind: 'exact' });
          exactMs.push(...r.ms);
          return r.results;
        });
        const hits = exactResults.reduce((h, r, s) => h + quality(r, splits[s]), 0);
        rows.push({
          dims,
          bits: 0,
          candidates: 'exact',
          bytesPerImage: dims,
          recall: 1,
          quality: hits / totalQueries,
          p50: median(exactMs),
          exactP50: median(exactMs),
        });
        log(
          `dims ${dims} exact int8: quality ${(hits / totalQueries).toFixed(4)}, p50 ${median(exactMs).toFixed(3)} ms`,
        );
      }
      for (const candidates of CANDIDATES) {
        const ms: number[] = [];
        let hits = 0;
        let recall = 0;
        built.forEach((b, s) => {
          const r = runQueries(b.index, b.order, perSplit[s].queries, { kind: 'lsh', candidates });
          ms.push(...r.ms);
          hits += quality(r.results, splits[s]);
          recall += recallAgainst(r.results, exactResults[s]) * splits[s].queries.length;
        });
        const row: SweepRow = {
          dims,
          bits,
          candidates,
          bytesPerImage: dims + bits / 8,
          recall: recall / totalQueries,
          quality: hits / totalQueries,
          p50: median(ms),
          exactP50: median(exactMs),
        };
        rows.push(row);
        log(
          `dims ${dims} bits ${bits} cand ${candidates}: recall ${row.recall.toFixed(4)} quality ${row.quality.toFixed(4)} p50 ${row.p50.toFixed(3)} ms`,
        );
      }
    }
  }
  return {
    rawQuality,
    rawDim: splits[0].gallery[0].length,
    modelId: splits[0].modelId,
    rows,
    totalQueries,
    galleryCount: splits.map((s) => s.gallery.length),
  };
}

async function epsilonSweep(splits: Split[]) {
  const totalQueries = splits.reduce((s, sp) => s + sp.queries.length, 0);
  const out: { epsilon: number; quality: number }[] = [];
  for (const epsilon of EPSILONS) {
    let hits = 0;
    for (const sp of splits) {
      const transform = await fitTransform(sp.gallery, { dims: DEFAULT_DIMS, whitenEpsilon: epsilon });
      const { bytes, order } = packIndex(
        sp.gallery.map((g) => compactVector(transform, g)),
        transform,
        { modelId: 'bench' },
      );
      const index = decodeIndex(bytes);
      const queries = sp.queries.map((q) => compactVector(transform, q));
      hits += quality(runQueries(index, order, queries, { kind: 'exact' }).results, sp);
    }
    out.push({ epsilon, quality: hits / totalQueries });
    log(`whitening ε ${epsilon}: quality ${(hits / totalQueries).toFixed(4)}`);
  }
  return out;
}

interface ScaleRow {
  label: string;
  count: number;
  buildMs: number;
  candidates: number;
  recall: number;
  lshP50: number;
  exactP50: number;
  decodeMs: number;
}

function scaleRun(count: number, inputDim: number, queriesWanted: number): Promise<ScaleRow> {
  const embeddings = clusteredEmbeddings(count, inputDim);
  return scaleRunOn(`${count}`, embeddings, queriesWanted);
}

/** LSH codes of the scale runs: what `--bits 256` builds (the default index has none and scans). */
const SCALE_BITS = 256;

/**
 * Builds the default index with SCALE_BITS codes over `embeddings` and compares the LSH rule with the
 * exact scan (which is every query of a default index).
 */
async function scaleRunOn(
  label: string,
  embeddings: Float32Array[],
  queriesWanted: number,
): Promise<ScaleRow> {
  const count = embeddings.length;
  let t = performance.now();
  const { bytes, order } = await assembleIndex(embeddings, { modelId: 'synthetic', bits: SCALE_BITS });
  const buildMs = performance.now() - t;
  embeddings.length = 0;
  t = performance.now();
  const index = decodeIndex(bytes);
  const decodeMs = performance.now() - t;
  const step = Math.max(1, Math.floor(count / queriesWanted));
  const rowsQ = Array.from({ length: Math.min(queriesWanted, count) }, (_, i) => i * step);
  const queries = rowsQ.map((r) => index.vector(r));
  const candidates = Math.max(LSH_MIN_CANDIDATES, Math.ceil(count * LSH_CANDIDATE_FRACTION));
  const identity = order.map((_, i) => i);
  const exact = runQueries(index, identity, queries, { kind: 'exact' }, (i) => rowsQ[i]);
  const lsh = runQueries(index, identity, queries, { kind: 'lsh', candidates }, (i) => rowsQ[i]);
  return {
    label,
    count,
    buildMs,
    candidates,
    recall: recallAgainst(lsh.results, exact.results),
    lshP50: median(lsh.ms),
    exactP50: median(exact.ms),
    decodeMs,
  };
}

function pct(x: number): string {
  return (100 * x).toFixed(1);
}

async function writeReport(
  sweep: Awaited<ReturnType<typeof emojiSweep>>,
  eps: Awaited<ReturnType<typeof epsilonSweep>>,
  scale: ScaleRow[],
  million: ScaleRow | undefined,
) {
  const { rows, rawQuality } = sweep;
  const lshRows = rows.filter((r) => r.candidates !== 'exact');
  const exactRows = rows.filter((r) => r.candidates === 'exact');
  const colors: Record<number, string> = { 64: '#d62728', 128: '#ff7f0e', 256: '#2ca02c', 512: '#1f77b4' };
  const at512 = lshRows.filter((r) => r.candidates === 512);
  const recallSeries: Series[] = [...new Set(at512.map((r) => r.bits))].map((bits) => ({
    label: `${bits}-bit code, 512 candidates`,
    color: colors[bits] ?? '#555',
    line: true,
    points: at512.filter((r) => r.bits === bits).map((r) => ({ x: r.bytesPerImage, y: r.recall })),
  }));
  const qualitySeries: Series[] = [
    {
      label: 'exact int8 scan',
      color: '#000',
      line: true,
      points: exactRows.map((r) => ({ x: r.bytesPerImage, y: r.quality })),
    },
    ...recallSeries.map((s) => ({
      ...s,
      points: at512
        .filter((r) => colors[r.bits] === s.color)
        .map((r) => ({ x: r.bytesPerImage, y: r.quality })),
    })),
    {
      label: `raw ${sweep.rawDim}-d float32 (${4 * sweep.rawDim} B)`,
      color: '#9467bd',
      reference: true,
      points: [{ x: 0, y: rawQuality }],
    },
  ];
  const allQ = [...rows.map((r) => r.quality), rawQuality];
  const svg = svgPanels([
    {
      title: 'LSH + re-rank recall@10 vs exact int8 scan',
      xLabel: 'bytes per image (int8 vector + code)',
      yLabel: 'recall@10',
      xRange: [0, 200],
      yRange: [Math.floor(Math.min(...at512.map((r) => r.recall)) * 20) / 20, 1],
      series: recallSeries,
    },
    {
      title: 'Cross-vendor emoji: same emoji in top 10',
      xLabel: 'bytes per image',
      yLabel: 'fraction of queries',
      xRange: [0, 200],
      yRange: [Math.floor(Math.min(...allQ) * 20) / 20, Math.ceil(Math.max(...allQ) * 20) / 20],
      series: qualitySeries,
    },
  ]);
  writeFileSync(path.join(DOCS, 'index-tradeoff.svg'), svg);

  const def = lshRows.find((r) => r.dims === DEFAULT_DIMS && r.bits === DEFAULT_BITS && r.candidates === 512);
  const defExact = exactRows.find((r) => r.dims === DEFAULT_DIMS);
  const at30k = scale.find((s) => s.label === '30000');
  const lines: string[] = [];
  lines.push('# Index trade-offs: dims × bits × candidates');
  lines.push('');
  lines.push(
    `Generated by \`npx tsx bench/indexTradeoff.ts\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}). Do not edit by hand; rerun the script.`,
  );
  lines.push('');
  lines.push('![recall and task quality vs bytes per image](index-tradeoff.svg)');
  lines.push('');
  lines.push('## Defaults chosen');
  lines.push('');
  lines.push(
    DEFAULT_BITS === 0
      ? `- **${DEFAULT_DIMS} int8 dims and no LSH code = ${DEFAULT_DIMS} B per image** in the resident layout (index-builder/assembleIndex.ts; from 6,144 images it stores ${WIDE_DIMS} int4 dims instead, the same bytes; the sharded layout keeps ${SHARDED_DIMS} dims). Every query scans all rows; \`--bits\` adds codes for the LSH re-ranking measured below.`
      : `- **${DEFAULT_DIMS} int8 dims + ${DEFAULT_BITS}-bit code = ${DEFAULT_DIMS + DEFAULT_BITS / 8} B per image** (index-builder/assembleIndex.ts).`,
  );
  if (defExact && DEFAULT_BITS === 0) {
    lines.push(
      `  On the emoji task the exact int8 scan finds the same emoji in the top 10 for ${pct(defExact.quality)} % of queries, against ${pct(rawQuality)} % for exact search over the raw ${sweep.rawDim}-d float32 embeddings (${4 * sweep.rawDim} B per image) of model \`${sweep.modelId}\`.`,
    );
  } else if (def && defExact) {
    lines.push(
      `  On the emoji task it finds the same emoji in the top 10 for ${pct(defExact.quality)} % of queries with an exact int8 scan and ${pct(def.quality)} % with LSH + 512 re-ranked candidates (recall@10 vs exact ${pct(def.recall)} %), against ${pct(rawQuality)} % for exact search over the raw ${sweep.rawDim}-d float32 embeddings (${4 * sweep.rawDim} B per image) of model \`${sweep.modelId}\`.`,
    );
  }
  lines.push(
    `- Whitening regulariser ε = ${whitenEpsilonFor(DEFAULT_MAX_FIT_ROWS, false)}, the plain whitened PCA's (component i divided by √(λᵢ + ε·mean λ); index-builder/fitTransform.ts).`,
  );
  lines.push(
    `- Search strategy (core/residentIndex.ts \`defaultSearchStrategy\`), for an index with codes: the exact int8 scan wherever WebAssembly SIMD runs it (faster than LSH at every size below); without SIMD, exact up to ${EXACT_SCAN_MAX_ROWS} rows, and above, the max(${LSH_MIN_CANDIDATES}, 8·k, count/${1 / LSH_CANDIDATE_FRACTION}) rows nearest in Hamming distance are re-ranked by int8 cosine.`,
  );
  if (at30k) {
    lines.push(
      `  At 30,000 synthetic rows that is ${at30k.candidates} candidates: recall@10 ${pct(at30k.recall)} %, p50 ${at30k.lshP50.toFixed(2)} ms per query vs ${at30k.exactP50.toFixed(2)} ms for the exact scan (×${(at30k.exactP50 / at30k.lshP50).toFixed(1)}).`,
    );
  }
  lines.push('');
  lines.push('## Cross-vendor emoji sweep');
  lines.push('');
  lines.push(
    `Queries: ${sweep.totalQueries} images (${QUERIES_PER_VENDOR} per vendor, evenly spaced); each vendor's queries search an index of the other two vendors (${sweep.galleryCount.join(' / ')} images, skin variations included) fitted on that index. *quality* = fraction of queries with the same \`unified\` in the top ${K}. *recall* = overlap of the top ${K} with the exact int8 scan's top ${K}. Raw float32 ${sweep.rawDim}-d exact search: **${pct(rawQuality)} %**.`,
  );
  lines.push('');
  lines.push(
    '| dims | bits | B/image | candidates | recall@10 | quality | p50 ms | exact p50 ms | speed-up |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.dims} | ${r.bits || '–'} | ${r.bytesPerImage} | ${r.candidates} | ${pct(r.recall)} | ${pct(r.quality)} | ${r.p50.toFixed(3)} | ${r.exactP50.toFixed(3)} | ${(r.exactP50 / r.p50).toFixed(1)} |`,
    );
  }
  lines.push('');
  lines.push('## Whitening regulariser (dims 96, exact int8 scan)');
  lines.push('');
  lines.push('| ε | quality |');
  lines.push('|---:|---:|');
  for (const e of eps)
    lines.push(`| ${e.epsilon >= 1e6 ? '10⁶ (≈ no whitening)' : e.epsilon} | ${pct(e.quality)} |`);
  lines.push('');
  lines.push(
    `## Scale (default dims with ${SCALE_BITS}-bit codes; synthetic rows are clustered 128-d embeddings, 96-d at 1M)`,
  );
  lines.push('');
  lines.push(
    `Evenly spaced album-image queries (${SCALE_QUERIES} per synthetic size, 100 at 1M, 500 for the real emoji; searchByRow semantics: the row itself left out), k = ${K}, candidates = max(${LSH_MIN_CANDIDATES}, count/${1 / LSH_CANDIDATE_FRACTION}). Build = assembleIndex (PCA fit, int8, codes, encode); decode = decodeIndex incl. SHA-256 check. A default index (no codes) answers every query with the exact scan.`,
  );
  lines.push('');
  lines.push(
    '| rows | build s | decode ms | candidates | recall@10 | LSH p50 ms | exact p50 ms | speed-up |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of million ? [...scale, million] : scale) {
    lines.push(
      `| ${s.label} | ${(s.buildMs / 1000).toFixed(1)} | ${s.decodeMs.toFixed(0)} | ${s.candidates} | ${pct(s.recall)} | ${s.lshP50.toFixed(3)} | ${s.exactP50.toFixed(3)} | ${(s.exactP50 / s.lshP50).toFixed(1)} |`,
    );
  }
  lines.push('');
  lines.push(
    'The machine these numbers come from is shared (2 cores, other jobs running), so absolute times are upper bounds; ratios within one run are the meaningful comparison.',
  );
  lines.push('');
  const mdPath = path.join(DOCS, 'index-tradeoff.md');
  const options = (await prettier.resolveConfig(mdPath)) ?? {};
  writeFileSync(mdPath, await prettier.format(lines.join('\n'), { ...options, filepath: mdPath }));
}

const splits = await emojiSplits();
const sweep = await emojiSweep(splits);
const eps = await epsilonSweep(splits);
const scale: ScaleRow[] = [];
{
  const e = await loadEmojiEmbeddings(log);
  const all = e.unified.map((_, i) => e.vectors.slice(i * e.dim, (i + 1) * e.dim));
  scale.push(await scaleRunOn(`${all.length} (real: all emoji)`, all, 500));
  const s = scale[0];
  log(
    `emoji ${s.count}: recall ${s.recall.toFixed(4)}, lsh ${s.lshP50.toFixed(3)} ms, exact ${s.exactP50.toFixed(3)} ms`,
  );
}
for (const count of SCALE_COUNTS) {
  scale.push(await scaleRun(count, 128, SCALE_QUERIES));
  const s = scale[scale.length - 1];
  log(
    `scale ${count}: build ${(s.buildMs / 1000).toFixed(1)} s, recall ${s.recall.toFixed(4)}, lsh ${s.lshP50.toFixed(3)} ms, exact ${s.exactP50.toFixed(3)} ms`,
  );
}
let million: ScaleRow | undefined;
if (!skipMillion) {
  million = await scaleRun(1_000_000, 96, 100);
  log(
    `1M: build ${(million.buildMs / 1000).toFixed(1)} s, lsh ${million.lshP50.toFixed(2)} ms, recall ${million.recall}`,
  );
}
await writeReport(sweep, eps, scale, million);
log(
  `wrote docs/index-tradeoff.md and docs/index-tradeoff.svg (default strategy at 30k: ${JSON.stringify(defaultSearchStrategy(30000, K))})`,
);
