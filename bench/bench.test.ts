import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { QUICK_BENCH_MS } from '../testing/timeLimits';
import type { AlbumQueryResult } from './albumQueryBench';
import type { BuilderResult } from './builderBench';
import { renderReport } from './report';
import { BENCH_SECTIONS, type BenchResults } from './results';

/*
 * `bench/runBench.ts --quick` end to end: small synthetic and fixture data, real Chromium. Checks the
 * shape of results.json (every area present, every number finite), not the figures themselves. The
 * time limit only stops a hung run: how long the bench takes never fails the test.
 */

const out = mkdtempSync(path.join(tmpdir(), 'lookalike-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function nonFinite(value: unknown, at: string): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFinite(v, `${at}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => nonFinite(v, `${at}.${k}`));
  return [];
}

test('bench --quick writes well-formed results with every area', { timeout: QUICK_BENCH_MS }, () => {
  const tsx = path.join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
  const run = spawnSync(tsx, ['bench/runBench.ts', '--quick', '--out', out], {
    cwd: path.join(import.meta.dirname, '..'),
    encoding: 'utf8',
    // Below the test's own limit, so that a hung run still reports its output.
    timeout: QUICK_BENCH_MS - 60_000,
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Record<string, unknown>;
  expect(results.mode).toBe('quick');
  const machine = results.machine as Record<string, unknown>;
  expect(machine.cores).toBeGreaterThan(0);
  for (const key of ['cpuModel', 'node', 'chromium']) expect(typeof machine[key]).toBe('string');
  for (const name of BENCH_SECTIONS) {
    const s = results[name] as { ok: boolean; error?: string; data?: unknown };
    expect(s, name).toBeDefined();
    expect(s.ok, `${name}: ${s.error}`).toBe(true);
    expect(s.data, name).toBeDefined();
  }
  expect(nonFinite(results, 'results')).toEqual([]);
  // The quick run times the hnswlib-wasm peer on its small row, the same queries as the other peers.
  const albumRows = (results.albumQuery as { data: { rows: AlbumQueryResult[] } }).data.rows;
  const peer = albumRows.find((x) => x.hnswWasm)?.hnswWasm;
  expect(peer, 'an album-query row with the hnswlib-wasm peer').toBeDefined();
  expect(peer!.latency.n).toBe(albumRows.find((x) => x.hnswWasm)!.queries);
  expect(peer!.indexBytes).toBeGreaterThan(0);
  expect(peer!.libraryBytes).toBeGreaterThan(0);
  expect(peer!.sweep.at(-1)).toEqual({ ef: peer!.ef, recall: peer!.recallVsFloat });
  // The builder area also builds the same images with the int8 model, from its own empty cache.
  const builder = (results.builder as { data: BuilderResult }).data;
  expect(builder.int8?.model).toBe('mobilenet_v2_mid.int8-qdq');
  expect(builder.int8!.full.images).toBe(builder.full.images);
  expect(builder.int8!.full.featurized).toBe(builder.full.featurized);
});

test('the album-query section renders the hnswlib-wasm peer, and results without it', async () => {
  const saved = JSON.parse(
    readFileSync(path.join(import.meta.dirname, 'results.json'), 'utf8'),
  ) as BenchResults;
  if (!saved.albumQuery.ok) throw new Error('bench/results.json has no album-query figures');
  const rows = saved.albumQuery.data.rows.map((x) => ({ ...x, hnswWasm: undefined }));
  const without = await renderReport({
    ...saved,
    albumQuery: { ...saved.albumQuery, data: { ...saved.albumQuery.data, rows } },
  });
  expect(without.markdown).toContain('## 1. Album-image query in the browser');
  expect(without.markdown).not.toContain('hnswlib-wasm');

  const synthetic = rows.find((x) => x.label.startsWith('synthetic'));
  if (!synthetic) throw new Error('bench/results.json has no synthetic album-query row');
  const row: AlbumQueryResult = {
    ...synthetic,
    lookalike: { ...synthetic.lookalike, p50: 0.1 },
    neighboursBytes: 1_000_000,
    indexBytes: 3_000_000,
    precompute: { indexMs: 2_400, neighboursMs: 1_200 },
    hnswWasm: {
      library: 'hnswlib-wasm 0.8.2',
      latency: { n: 300, p50: 0.5, p95: 0.9, mean: 0.55, min: 0.3, max: 2 },
      m: 16,
      efConstruction: 200,
      ef: 24,
      sweep: [
        { ef: 12, recall: 0.9 },
        { ef: 16, recall: 0.94 },
        { ef: 24, recall: 0.96 },
      ],
      recallVsFloat: 0.96,
      buildMs: 81_500,
      startMs: 60,
      indexBytes: 29_000_000,
      indexBytesFrom: 'writeIndex',
      libraryBytes: 1_000_000,
      crossOriginIsolated: true,
    },
  };
  const { markdown, plots } = await renderReport({
    ...saved,
    albumQuery: { ...saved.albumQuery, data: { ...saved.albumQuery.data, rows: [row] } },
  });
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${row.label} `) && l.includes('5.0×'));
  // p50 0.5 ÷ 0.1; 1 MB and 3 MB against 29 MB + 1 MB of HNSW; build 81.5 s against Lookalike's 3.6 s.
  expect(
    line
      ?.split('|')
      .map((c) => c.trim())
      .filter(Boolean),
  ).toEqual([
    row.label,
    String(row.count),
    '0.50',
    '0.90',
    '5.0×',
    '24',
    '96.0 %',
    '81.5',
    '3.6 (1.2)',
    '29.0 MB',
    '1.0 MB',
    '1/30',
    '1/10',
  ]);
  expect(markdown).toContain('12 (90.0 %), 16 (94.0 %), 24 (96.0 %)');
  expect(plots['benchmarks-latency.svg']).toContain('hnswlib-wasm p50');
  expect(markdown).not.toContain("hnswlib's saved-file layout");
  expect(markdown).not.toContain("† the builder area's fresh build");

  // A size from the file layout is marked; a row whose peer failed says why.
  const layout = { ...row, hnswWasm: { ...row.hnswWasm!, indexBytesFrom: 'layout' as const } };
  const failed = {
    ...row,
    label: 'synthetic 5',
    hnswWasm: undefined,
    hnswWasmError: 'out of memory\n    at wasm-function[7]',
  };
  const marked = (
    await renderReport({
      ...saved,
      albumQuery: { ...saved.albumQuery, data: { ...saved.albumQuery.data, rows: [layout, failed] } },
    })
  ).markdown;
  expect(marked).toContain('29.0 MB \\*');
  expect(marked).toContain("\\* hnswlib's saved-file layout");
  expect(marked).toContain('hnswlib-wasm failed on synthetic 5: out of memory');
  expect(marked).not.toContain('wasm-function[7]');

  // The demo row's precompute is the builder area's fresh build of the same images, and says so.
  const demo = { ...row, label: 'demo (5 emoji)', precompute: undefined };
  const build = {
    images: 5,
    wallMs: 9_000,
    maxRssBytes: 1,
    featurized: 5,
    cached: 0,
    imagesPerSecond: 1,
    timings: {
      listMs: 0,
      processMs: 0,
      modelLoadMs: 0,
      modelWaitMs: 0,
      assembleMs: 0,
      writeMs: 0,
      totalMs: 0,
      assembleParts: { indexMs: 4_000, calibrationMs: 0, duplicatesMs: 0, neighboursMs: 800 },
    },
  };
  const withDemo = (
    await renderReport({
      ...saved,
      albumQuery: { ...saved.albumQuery, data: { ...saved.albumQuery.data, rows: [demo] } },
      builder: { ok: true, seconds: 1, data: { full: build, incremental: build, added: 0 } },
    })
  ).markdown;
  const demoLine = withDemo.split('\n').find((l) => l.startsWith('| demo (5 emoji) ') && l.includes('5.0×'));
  expect(demoLine?.split('|').map((c) => c.trim())).toContain('4.8 (0.8) †');
  expect(withDemo).toContain("† the builder area's fresh build (section 3) of 5 of these images.");
  // Results from before the int8 row have no int8 line; with it, its row, its ratio and the target line.
  expect(withDemo).not.toContain('int8 model (`--model');
  expect(withDemo).toContain('- Builder ≥ 150 images/s on the demo (fresh build, 5 images, ');
  const int8 = { ...build, imagesPerSecond: 1.5 };
  const withInt8 = (
    await renderReport({
      ...saved,
      builder: {
        ok: true,
        seconds: 1,
        data: { full: build, incremental: build, added: 0, int8: { model: 'm.int8-qdq', full: int8 } },
      },
    })
  ).markdown;
  expect(withInt8).toMatch(/\| int8 model \(`--model m\.int8-qdq`\): fresh build +\| +5 \|/);
  expect(withInt8).toContain("at 1.50× the default model's images/s");
  expect(withInt8).toContain(
    '1.0 images/s with the default model — not met; 1.5 images/s with the int8 model',
  );
});
