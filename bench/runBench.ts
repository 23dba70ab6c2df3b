/**
 * Lookalike benchmark (issue 7):
 * `npx tsx bench/runBench.ts [--quick] [--out <dir>] [--ann-dir <dir>] [--report <results.json>]
 *     [--only <area>[,<area>…]]`.
 *
 * Measures, in one run on this machine, each area against its baseline (docs/benchmarks.md says
 * what each compares) and writes <out>/results.json; the default out is bench/, which also rewrites
 * docs/benchmarks.md and the SVG plots in docs/. `--quick` uses small synthetic and fixture data and
 * needs no generated/demo-data (the test suite runs it); the full run builds the demo when it is missing.
 * Area 6 compares with usearch and hnswlib-node (dev dependencies); `--ann-dir` names another install of them.
 * Area 1 times hnswlib-wasm (dev dependency) in the browser next to Lookalike (bench/hnswWasmPeer.ts).
 * `--only` runs just the named areas (results.json keys, e.g. `--only duplicates`) and merges them into
 * the <out>/results.json of an earlier run of the same mode, keeping the other areas as saved, so one
 * area can be updated without the full run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import * as prettier from 'prettier';
import { parseManifest } from '../core/manifest';
import { writeFixtureImages } from '../testing/fixtureImages';
import { emojiImages } from '../models/research/emojiDataset';
import { ensureDefaultModel } from '../models/ensureModel';
import { albumQueryBench, type AlbumQueryResult } from './albumQueryBench';
import { buildBenchSite, launchBrowser } from './benchSite';
import { annBench } from './annBench';
import { builderBench, INT8_MODEL } from './builderBench';
import { FIRST_VISIT_SAMPLES, firstVisitBench } from './firstVisitBench';
import { qualityBench } from './qualityBench';
import { devSetBench } from './devSetBench';
import { DEMO_DATA_DIR, demoAlbumInput } from './demoDataDir';
import { loadEmojiEmbeddings } from './emojiEmbeddings';
import { buildModelDataDir, preparedResnet50 } from './modelDataDir';
import {
  benchPhoto,
  ownImageBench,
  photoQueries,
  type OwnImageResult,
  type QueryImageSet,
} from './ownImageBench';
import { machineInfo } from './machine';
import { writeReport } from './report';
import { BENCH_SECTIONS, type BenchResults, type Section } from './results';
import { clusteredEmbeddings } from '../testing/syntheticEmbeddings';
import { writeDataDir } from './syntheticDataDir';
import { distributedBench } from './distributedBench';
import { shardedDataDir } from './shardedDataDir';
import { shardedQueryBench } from './shardedQueryBench';
import { duplicateBench } from './duplicateBench';
import { pathOption } from '../storage/cliOptions';

type Area = (typeof BENCH_SECTIONS)[number];

/** `--only`: comma-separated areas, each a results.json key. */
function areaList(value: string): Area[] {
  return value.split(',').map((a) => {
    if (!(BENCH_SECTIONS as readonly string[]).includes(a))
      throw new InvalidArgumentError(`unknown area "${a}" (areas: ${BENCH_SECTIONS.join(', ')})`);
    return a as Area;
  });
}

// Read before anything is measured: --help, or a mistyped option, must not start a 40-minute run.
const cli = new Command('bench')
  .description(
    'Measure each area against its baseline and write <out>/results.json (by default bench/, which also ' +
      'rewrites docs/benchmarks.md and its plots)',
  )
  .option(
    '--quick',
    'small synthetic and fixture data; needs no generated/demo-data (the test suite runs it)',
  )
  .option(
    '--out <dir>',
    'where results.json goes, instead of bench/ (the docs are then left alone)',
    pathOption,
  )
  .option('--ann-dir <dir>', 'another install of usearch and hnswlib-node for the ANN area', pathOption)
  .option(
    '--report <results.json>',
    'only rewrite docs/benchmarks.md and its plots from these results',
    pathOption,
  )
  .option(
    '--only <areas>',
    `measure just these areas (${BENCH_SECTIONS.join(', ')}) and merge them into <out>/results.json of an earlier run of the same mode`,
    areaList,
  )
  .parse()
  .opts<{ quick?: boolean; out?: string; annDir?: string; report?: string; only?: Area[] }>();
const quick = cli.quick === true;
const outDir = cli.out ?? path.join(import.meta.dirname);
const writeDocs = cli.out === undefined;
/** Synthetic vectors have the size of a CLIP ViT-B/32 embedding, what client-side flat scans store. */
const SYNTHETIC_DIM = 512;

const only: readonly Area[] | undefined = cli.only;
/** The run that `--only` merges into: the other areas keep these results. */
let saved: BenchResults | undefined;
if (only !== undefined) {
  const savedPath = path.join(outDir, 'results.json');
  if (!existsSync(savedPath))
    throw new Error(`--only merges into ${savedPath}, which does not exist: run the full bench first`);
  saved = JSON.parse(readFileSync(savedPath, 'utf8')) as BenchResults;
  if (saved.mode !== (quick ? 'quick' : 'full'))
    throw new Error(`--only: ${savedPath} is from a ${saved.mode} run; rerun with the same mode`);
}
/** Areas that read generated/demo-data (full mode builds it when missing or stale). */
const DEMO_AREAS: readonly Area[] = ['albumQuery', 'ownImage', 'quality', 'firstVisit', 'annLibraries'];

if (cli.report !== undefined) {
  const saved = JSON.parse(readFileSync(cli.report, 'utf8')) as BenchResults;
  await writeReport(saved);
  console.log('rewrote docs/benchmarks.md and its plots');
  process.exit(0);
}

const started = performance.now();
const log = (m: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0)} s] ${m}`);

function logAlbumQuery(r: AlbumQueryResult): void {
  const h = r.hnswWasm;
  log(
    `  ${r.label}: lookalike p50 ${r.lookalike.p50.toFixed(2)} ms, float scan p50 ${r.floatScan.p50.toFixed(2)} ms, recall ${r.recallVsFloat.toFixed(3)}` +
      (h
        ? `; hnswlib-wasm p50 ${h.latency.p50.toFixed(2)} ms at ef ${h.ef}, recall ${h.recallVsFloat.toFixed(3)}, build ${(h.buildMs / 1000).toFixed(1)} s, ${h.indexBytes + h.libraryBytes} B`
        : r.hnswWasmError
          ? `; hnswlib-wasm FAILED: ${r.hnswWasmError.split('\n')[0]}`
          : ''),
  );
}

type AreaData<K extends Area> = BenchResults[K] extends Section<infer T> | undefined ? T : never;

/**
 * Runs one area; a failure is recorded in the results instead of losing the other areas. An area
 * `--only` leaves out keeps its saved result.
 */
async function section<K extends Area>(
  area: K,
  name: string,
  run: () => Promise<AreaData<K>>,
): Promise<Section<AreaData<K>>> {
  if (only !== undefined && !only.includes(area)) {
    const kept = saved?.[area] as Section<AreaData<K>> | undefined;
    return kept ?? { ok: false, seconds: 0, error: `not in the saved results; run with --only ${area}` };
  }
  const t = performance.now();
  log(`${name}…`);
  try {
    const data = await run();
    log(`${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const seconds = (performance.now() - t) / 1000;
    // Merged into an earlier run: its figures belong to another hour of this shared machine.
    if (!only) return { ok: true, seconds, data };
    const measuredAt = new Date().toISOString();
    const chromium = machine.chromium;
    return saved?.machine.chromium === chromium
      ? { ok: true, seconds, data, measuredAt }
      : { ok: true, seconds, data, measuredAt, chromium };
  } catch (err) {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`${name} FAILED: ${message}`);
    return { ok: false, seconds: (performance.now() - t) / 1000, error: message };
  }
}

const machine = machineInfo();
const work = mkdtempSync(path.join(tmpdir(), 'lookalike-bench-'));
const distDir = path.join(work, 'dist');
try {
  log(`${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, ${machine.chromium}`);
  const model = await ensureDefaultModel({ quiet: true });
  const demoManifestPath = path.join(DEMO_DATA_DIR, 'manifest.json');
  const demoModel = existsSync(demoManifestPath)
    ? parseManifest(JSON.parse(readFileSync(demoManifestPath, 'utf8'))).model.id
    : null;
  const needsDemo = only === undefined || only.some((a) => DEMO_AREAS.includes(a));
  if (!quick && needsDemo) {
    // The full run reports on the 11k demo as the current tree builds it: from a clean clone (or after
    // a model change) that means building it first (~2-5 min); after a builder change (say, the index's
    // dims) a rebuild from the embedding cache (~30 s); unchanged, a check (~3 s): npm run demo-data
    // is incremental.
    log(
      demoModel === null
        ? 'no generated/demo-data yet: building it (npm run demo-data)'
        : demoModel !== model.spec.id
          ? `generated/demo-data was built with ${demoModel}: rebuilding it with ${model.spec.id}`
          : 'bringing generated/demo-data up to date (npm run demo-data)',
    );
    const built = spawnSync('npm', ['run', '--silent', 'demo-data'], { stdio: 'inherit' });
    if (built.status !== 0)
      throw new Error(`npm run demo-data failed (exit ${built.status ?? built.signal})`);
  }
  // The site is built and Chromium launched on first use: areas that need neither run without them.
  let launched: ReturnType<typeof launchBrowser> | undefined;
  const browser = () =>
    (launched ??= (async () => {
      buildBenchSite(distDir);
      return launchBrowser();
    })());
  try {
    const albumQuery = await section('albumQuery', 'album-image query in Chromium', async () => {
      const rows: AlbumQueryResult[] = [];
      const queries = quick ? 200 : 300;
      if (!quick) {
        const demo = await demoAlbumInput(path.join(work, 'demo-data'), log);
        if (demo) {
          const r = await albumQueryBench(await browser(), distDir, demo.input, queries, demo.indexBytes);
          logAlbumQuery(r);
          rows.push(r);
        }
      }
      const sizes = quick ? [1_000, 30_000] : [30_000, 100_000];
      for (const count of sizes) {
        const embeddings = clusteredEmbeddings(count, SYNTHETIC_DIM);
        const written = await writeDataDir(path.join(work, `synthetic-${count}`), embeddings, model);
        embeddings.length = 0;
        const r = await albumQueryBench(
          await browser(),
          distDir,
          {
            label: `synthetic ${count}`,
            ...written,
            precompute: { indexMs: written.assembleMs, neighboursMs: written.neighboursMs },
          },
          queries,
          written.indexBytes,
          // Quick runs keep the HNSW peer to the small row: its build takes minutes at 30k rows.
          !quick || count <= 1_000,
        );
        rmSync(written.dir, { recursive: true, force: true });
        logAlbumQuery(r);
        rows.push(r);
      }
      return { k: 10, serverDesignSeconds: { min: 9.5, max: 25 }, rows };
    });
    const fixtureImages = path.join(work, 'fixture-images');
    writeFixtureImages(fixtureImages);

    // The MobileNetV2 collection of the browser areas: the demo in full mode, else the 30 fixture images.
    let mobilenetData: Promise<{ dir: string; modelId: string; modelBytes: number }> | undefined;
    const mobilenetDataDir = () =>
      (mobilenetData ??= (async () => {
        const demoManifest = path.join(DEMO_DATA_DIR, 'manifest.json');
        if (!quick && existsSync(demoManifest)) {
          const m = parseManifest(JSON.parse(readFileSync(demoManifest, 'utf8')));
          return { dir: DEMO_DATA_DIR, modelId: m.model.id, modelBytes: m.model.file.bytes };
        }
        const dir = path.join(work, 'mobilenet-data');
        return { dir, ...(await buildModelDataDir(fixtureImages, dir)) };
      })());

    const ownImage = await section('ownImage', 'own-image query in Chromium', async () => {
      const { dir: mobilenetDir, ...mobilenet } = await mobilenetDataDir();
      const resnetSpec = await preparedResnet50(path.join(work, 'resnet50-model'));
      const resnetDir = path.join(work, 'resnet50-data');
      const resnet = await buildModelDataDir(fixtureImages, resnetDir, resnetSpec);
      // The default model built with int8 weights and activations (a build option, docs/model.md), on the
      // ResNet row's small collection: what differs from the default's rows is the model's time.
      const int8Dir = path.join(work, 'int8-data');
      const int8 = quick ? undefined : await buildModelDataDir(fixtureImages, int8Dir, INT8_MODEL);
      // Emoji: Google's art, every n-th emoji (the demo holds these files too; a query's work is the same).
      const pool = emojiImages('google');
      const pick = (n: number): QueryImageSet => ({
        kind: 'emoji',
        source: "Google's emoji art (emoji-datasource-google, 64 × 64 PNG, evenly spaced)",
        files: Array.from({ length: n }, (_, i) => pool[Math.floor(((i + 0.5) * pool.length) / n)].file),
      });
      // Photos: what a visitor's own image usually is; the page shrinks them to 1024 px as it would.
      const photos = (n: number) => photoQueries(quick, n, work);
      const configs = [
        {
          label: 'MobileNetV2 1.4 mid + companion (default)',
          dir: mobilenetDir,
          info: mobilenet,
          inputs: [pick(quick ? 12 : 100), await photos(quick ? 3 : 100)],
        },
        {
          label: 'ResNet-50 int8 (generated)',
          dir: resnetDir,
          info: resnet,
          // Quick runs keep the photo rows to the default model, which the own-image target is about.
          inputs: quick ? [pick(3)] : [pick(30), await photos(30)],
        },
        ...(int8
          ? [
              {
                label: `int8 build option (${INT8_MODEL})`,
                dir: int8Dir,
                info: int8,
                inputs: [pick(30), await photos(30)],
              },
            ]
          : []),
      ];
      const rows: OwnImageResult[] = [];
      const photo = await benchPhoto();
      for (const c of configs) {
        for (const input of c.inputs) {
          for (const isolated of [false, true]) {
            const r = await ownImageBench(
              await browser(),
              distDir,
              c.dir,
              { label: c.label, ...c.info },
              input,
              isolated,
              // Decoding does not depend on the model or the queries: timed with the default's emoji rows.
              c === configs[0] && input === c.inputs[0] ? photo : undefined,
            );
            const q = r.queryImages!;
            log(
              `  ${c.label}, ${input.kind} (${q.largest.width} × ${q.largest.height} px at most), ${r.threads} thread(s), ${r.executionProvider}: p50 ${r.roundTrip.p50.toFixed(1)} ms`,
            );
            rows.push(r);
          }
        }
      }
      return { k: 10, rows };
    });

    const builder = await section('builder', 'builder', async () => {
      const r = builderBench(work, quick ? 60 : undefined);
      log(
        `  ${r.full.images} images: ${r.full.imagesPerSecond.toFixed(1)} images/s, peak RSS ${(r.full.maxRssBytes / 2 ** 20).toFixed(0)} MiB; +${r.added}: ${(r.incremental.wallMs / 1000).toFixed(1)} s`,
      );
      return r;
    });

    const quality = await section('quality', 'retrieval quality', async () => {
      const r = await qualityBench(quick, log);
      for (const x of r.rows) log(`  ${x.method}: recall@10 ${x.mean.toFixed(3)}`);
      // The dev sets (emoji, emoji-facebook, photos, textures) through the real builder and query path; a failure there
      // keeps the cross-vendor figure above.
      try {
        r.devSets = await devSetBench(quick, work, (m) => log(`  ${m}`));
      } catch (err) {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`  dev sets FAILED: ${message}`);
        r.devSets = { error: message };
      }
      return r;
    });

    const firstVisit = await section('firstVisit', 'first and repeat visit', async () => {
      // One visit per page in quick mode (npm test runs it); the median of several in full mode.
      const visits = quick ? 1 : FIRST_VISIT_SAMPLES;
      const r = await firstVisitBench(await browser(), distDir, (await mobilenetDataDir()).dir, visits);
      log(
        `  first: ${r.first.msToFirstResult.toFixed(0)} ms, ${r.first.bytesToFirstResult} B; repeat offline: ${r.repeatOffline.msToFirstResult.toFixed(0)} ms, ${r.repeatOffline.bytesToFirstResult} B`,
      );
      log(
        `  on the wire: ${r.first.wireBytesToFirstResult} B to the first result, first thumbnail at ${r.first.msToFirstThumbnail?.toFixed(0)} ms; album page: ${r.firstAlbumPage?.wireBytes} B, first thumbnail at ${r.firstAlbumPage?.msToFirstThumbnail.toFixed(0)} ms`,
      );
      return r;
    });

    const annLibraries = await section('annLibraries', 'ANN libraries', async () => {
      // Real embeddings when the demo exists (full mode), else synthetic ones of the album-query benchmark.
      let vectors: Float32Array[];
      let source: string;
      if (!quick && existsSync(path.join(DEMO_DATA_DIR, 'manifest.json'))) {
        const e = await loadEmojiEmbeddings(log);
        vectors = e.unified.map((_, i) => e.vectors.slice(i * e.dim, (i + 1) * e.dim));
        source = `demo emoji embeddings (${e.modelId})`;
      } else {
        const count = quick ? 5_000 : 30_000;
        vectors = clusteredEmbeddings(count, SYNTHETIC_DIM);
        source = 'synthetic clustered vectors';
      }
      const r = await annBench(vectors, source, quick ? 100 : 200, cli.annDir);
      for (const x of r.rows)
        log(
          `  ${x.library}: ${x.bytesPerImage.toFixed(0)} B/image, p50 ${x.query.p50.toFixed(3)} ms, recall ${x.recall.toFixed(3)}`,
        );
      for (const [name, why] of Object.entries(r.unavailable)) log(`  ${name}: ${why}`);
      return r;
    });

    const sharded = await section('sharded', 'sharded collection in Chromium', async () => {
      const count = quick ? 20_000 : 1_000_000;
      // The million-image collection takes minutes to cluster: kept between runs under generated/.
      const dir = quick
        ? path.join(work, 'sharded')
        : path.join(import.meta.dirname, '..', 'generated', 'bench', `sharded-${count}`);
      const data = await shardedDataDir(dir, count, model, log);
      const r = await shardedQueryBench(
        await browser(),
        distDir,
        data,
        quick ? 20 : 100,
        quick ? 5 : 40,
        quick ? 2 : 5,
        log,
      );
      log(
        `  ${count}: cold ${(r.cold.totalBytes.p50 / 1e6).toFixed(2)} MB, warm-directory p50 ${r.warmDirectory.latency.p50.toFixed(1)} ms, recall ${r.recallAt10.toFixed(3)}`,
      );
      return r;
    });

    const distributedBuild = await section('distributedBuild', 'distributed build', async () => {
      const r = quick ? await distributedBench(12, 8, log) : await distributedBench(300, 64, log);
      for (const x of r.rows) log(`  ${x.workers} worker(s): ${(x.totalMs / 1000).toFixed(1)} s`);
      return r;
    });

    const duplicates = await section('duplicates', 'near-duplicates and region search', () =>
      duplicateBench(quick, work, fixtureImages, (m) => log(`  ${m}`)),
    );

    const results: BenchResults = {
      version: 1,
      mode: quick ? 'quick' : 'full',
      // A merged run keeps the machine and length of the run its other areas come from.
      machine: saved?.machine ?? machine,
      totalSeconds: saved?.totalSeconds ?? 0,
      albumQuery,
      ownImage,
      builder,
      quality,
      firstVisit,
      annLibraries,
      sharded,
      distributedBuild,
      duplicates,
    };
    if (saved === undefined) results.totalSeconds = (performance.now() - started) / 1000;
    mkdirSync(outDir, { recursive: true });
    // Formatted like the rest of the repo, so `prettier --check .` accepts the committed bench/results.json.
    const resultsPath = path.join(outDir, 'results.json');
    // The repo's settings too (printWidth decides how arrays of numbers wrap).
    const style = (await prettier.resolveConfig(resultsPath)) ?? {};
    writeFileSync(
      resultsPath,
      await prettier.format(JSON.stringify(results), { ...style, filepath: resultsPath }),
    );
    if (writeDocs) await writeReport(results);
    log(
      `wrote ${resultsPath} (${only ? `${only.join(', ')} measured, the other areas kept` : `${BENCH_SECTIONS.length} sections`})`,
    );
  } finally {
    if (launched) await (await launched).close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
