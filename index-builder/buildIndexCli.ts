import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync } from 'node:fs';
import { buildIndex, DEFAULT_BATCH_SIZE, defaultCacheDir } from './buildIndex';
import { DEFAULT_MAX_PIXELS } from './decodeImage';
import { SMALL_COLLECTION_IMAGES, SMALL_COLLECTION_VIEWS, VIEWS_PER_IMAGE } from './augmentedViews';
import { buildSummary, type RequestedDims } from './buildSummary';
import { DEFAULT_DIMS, SHARDED_DIMS, WIDE_DIMS } from './assembleIndex';
import { MAX_INNER_DIMS_FROM_ROWS } from './fitTransform';
import type { BuildReport } from './buildReport';
import {
  addDataDirOption,
  endpointUrl,
  intInRange,
  nonEmpty,
  pathOption,
  sourceOption,
  userPath,
} from '../storage/cliOptions';
import { keepWorkingWhenOutputCloses } from '../storage/cliOutput';
import { MODEL_WEIGHTS } from '../models/convertShared';
import { NSFWJS_MODELS } from '../models/nsfwjsModel';
import { compileLabelPattern } from './imageLabels';
import { buildStopped, interruptBuild } from './buildInterrupt';
import { DEFAULT_JOB_SIZE, runCoordinator } from './distributed/coordinator';
import { loadModel } from './loadModel';
import type { IndexLayout } from './publishSettings';
import { openSource } from './openSource';
import { createProgressReporter, silentProgress } from './progressReporter';
import { printable, printableError } from '../core/printableText';

interface CliOptions {
  source: string;
  model?: string;
  bits?: number;
  dims?: number;
  views?: number;
  labelPattern?: string;
  sourcePattern?: string;
  blendNeighbours?: number;
  keepMetadata?: boolean;
  layout: IndexLayout;
  endpoint?: string;
  region?: string;
  cache?: string;
  maxPixels?: number;
  batchSize?: number;
  threads?: number;
  force?: boolean;
  refit?: boolean;
  quiet?: boolean;
  queue?: string;
  work?: string;
  jobSize?: number;
}

/** A commander parser for a name pattern given by `flag`. */
function namePattern(flag: string): (value: string) => string {
  return (value) => {
    try {
      compileLabelPattern(value, flag);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message.replace(`${flag} `, ''));
    }
    return value;
  };
}

function printOutcome(
  upToDate: boolean,
  report: BuildReport,
  dataDir: string,
  dims: RequestedDims | undefined,
): void {
  if (upToDate) {
    console.log(
      printable(
        `up to date: ${dataDir} already holds ${report.counts.indexed} images from ${report.source} ` +
          `(built ${report.finishedAt}); use --force to rebuild`,
      ),
    );
    return;
  }
  // Skipped files are named as the collection names them: controls in names are spelled out.
  for (const line of buildSummary(report, dataDir, dims)) console.log(printable(line));
}

/**
 * `--model`: a built-in model's name (`mobilenet_v2_mid`, `mobilenet_v2_mid.int8-qdq`, as loadModel.ts
 * reads them) as given, else a spec file from the folder the user ran npm in. A bare word that names no
 * file there stays as given, so that loadModel's error lists the built-in names it was probably meant as.
 */
function modelOption(value: string): string {
  const [name, weights, ...rest] = nonEmpty(value).split('.');
  const builtIn =
    rest.length === 0 &&
    (NSFWJS_MODELS as readonly string[]).includes(name) &&
    (weights === undefined || (MODEL_WEIGHTS as readonly string[]).includes(weights));
  if (builtIn) return value;
  const file = userPath(value);
  return /[/.]/.test(value) || existsSync(file) ? file : value;
}

/** Checked here, not after the images are featurized (index-builder/assembleIndex.ts reads codes in 32-bit words). */
function lshBits(value: string): number {
  const n = intInRange(0, 4096)(value);
  if (n % 32 !== 0) throw new InvalidArgumentError(`must be a multiple of 32, got ${n}`);
  return n;
}

async function main(argv: string[], stop: AbortSignal): Promise<void> {
  keepWorkingWhenOutputCloses();
  const program = new Command('build-index')
    .description('Featurize a folder or S3 prefix of images into a Lookalike data dir')
    .requiredOption(
      '--source <location>',
      'folder or s3://bucket/prefix; its first-level sub-folders are albums (required)',
      sourceOption,
    );
  const dataDirOf = addDataDirOption(program, {
    description: 'data dir to write (manifest.json, index, catalog, thumbs, originals)',
    oldName: '--out',
  });
  program
    .option(
      '--model <spec.json or name>',
      'model spec file, or a built-in model: mobilenet_v2_mid (default), mobilenet_v2, inception_v3, or one with its weights named, e.g. mobilenet_v2_mid.int8-qdq',
      modelOption,
    )
    .option('--bits <n>', 'LSH code bits, a multiple of 32 (default 0: no codes, exact scan)', lshBits)
    .option(
      '--dims <n>',
      `compact vector dimensions (default ${DEFAULT_DIMS} int8; ${WIDE_DIMS} int4 from ` +
        `${MAX_INNER_DIMS_FROM_ROWS.toLocaleString('en-US')} images, the same 128 B per image; ` +
        `${SHARDED_DIMS} in the sharded layout); capped at one less than the images and at the model's dims`,
      intInRange(1, 4096),
    )
    .option(
      '--views <n>',
      `edited copies per sampled image, for learning what edits must not change (0 = plain whitened PCA; default: ${SMALL_COLLECTION_VIEWS} under ${SMALL_COLLECTION_IMAGES} images, else ${VIEWS_PER_IMAGE})`,
      intInRange(0, 64),
    )
    .option(
      '--label-pattern <regex>',
      "images whose keys (album/path) give the same label — the regex's first group, or its match — show the same thing: the index learns that what differs between them must not matter (without it: the label fields of lookalike-meta.json)",
      namePattern('--label-pattern'),
    )
    .option(
      '--source-pattern <regex>',
      "where each image comes from — the regex's first group, or its match, on its key (album/path) — when every source shows many of the same things in its own style (vendors, shops): images that are each other's nearest in another source teach the index like a label",
      namePattern('--source-pattern'),
    )
    .option(
      '--blend-neighbours <n>',
      'store each image as a blend of itself and its n nearest neighbours (database-side augmentation; 0 = off)',
      intInRange(0, 32),
    )
    .option(
      '--keep-metadata',
      "publish each original with its source file's metadata (EXIF: GPS position, camera serial, author; XMP, IPTC captions, comments); by default it is stripped, without re-encoding the image",
    )
    .addOption(
      new Option(
        '--layout <layout>',
        'resident: one index + one catalog file; sharded: cells and catalog shards loaded on demand with HTTP Range requests (docs/index-format.md); auto: sharded from 50,000 images',
      )
        .choices(['auto', 'resident', 'sharded'])
        .default('auto'),
    )
    .option('--endpoint <url>', 'S3-compatible endpoint (path-style addressing)', endpointUrl)
    .option('--region <region>', 'S3 region')
    .option(
      '--cache <dir>',
      'embedding cache folder (default generated/cache/embeddings/<modelId>/); in a distributed build, where the coordinator keeps what the workers computed, so a rebuild queues only new and changed images',
      pathOption,
    )
    .option(
      '--max-pixels <n>',
      `skip images with more pixels than this (default: ${DEFAULT_MAX_PIXELS})`,
      intInRange(1, 2 ** 31),
    )
    .option(
      '--batch-size <n>',
      `images per inference call (default: ${DEFAULT_BATCH_SIZE})`,
      intInRange(1, 1024),
    )
    .option('--threads <n>', 'inference threads (default: one per core)', intInRange(1, 256))
    .option('--force', 'rebuild even if nothing changed, and try again files skipped before')
    .option(
      '--refit',
      'fit a new transform even if the images added and removed since the last build have not moved it',
    )
    .option('--quiet', 'no progress output')
    .option(
      '--queue <redis-url>',
      'distributed build: queue jobs on this Redis for `npm run build-worker`',
      nonEmpty,
    )
    .option(
      '--work <s3-url>',
      'distributed build: work prefix (default s3://<source bucket>/.lookalike-work/)',
      nonEmpty,
    )
    .option(
      '--job-size <n>',
      `distributed build: images per job (default ${DEFAULT_JOB_SIZE})`,
      intInRange(1, 100_000),
    )
    .addHelpText(
      'after',
      '\nExit status: 0 when the build finished (or the data dir was up to date); 1 when it failed; ' +
        '130, 143 or 129 when stopped by Ctrl-C (SIGINT), by SIGTERM, or by the npm run that started it ' +
        'going away — after cleaning up. A build that fails or is stopped leaves the published data dir ' +
        'as it was.',
    )
    .parse(argv);
  const opts = program.opts<CliOptions>();
  const dataDir = dataDirOf();
  const progress = opts.quiet ? silentProgress : createProgressReporter('featurizing');

  if (opts.queue !== undefined) {
    // Workers featurize with their own threads; this option would silently do nothing.
    if (opts.threads !== undefined)
      throw new Error('--threads applies to workers in a distributed build: pass it to build-worker');
    const loaded = await loadModel(opts.model);
    const { upToDate, report, phases } = await runCoordinator({
      sourceUrl: opts.source,
      access: { endpoint: opts.endpoint, region: opts.region },
      workUrl: opts.work,
      redisUrl: opts.queue,
      dataDir,
      model: loaded,
      // The coordinator's record of what workers computed: a rebuild queues only new images.
      cacheDir: opts.cache ?? defaultCacheDir(loaded.spec.id),
      bits: opts.bits,
      dims: opts.dims,
      views: opts.views,
      labelPattern: opts.labelPattern,
      sourcePattern: opts.sourcePattern,
      blendNeighbours: opts.blendNeighbours,
      keepMetadata: opts.keepMetadata,
      layout: opts.layout,
      maxPixels: opts.maxPixels,
      batchSize: opts.batchSize,
      jobSize: opts.jobSize,
      force: opts.force,
      refit: opts.refit,
      progress,
      log: (line) => console.log(printable(line)),
      // Ctrl-C while the workers run: the coordinator removes the build's queue from Redis, its work
      // prefix and the data dir's lock before exiting (they were left behind, the queue with every job).
      signal: stop,
    });
    printOutcome(upToDate, report, dataDir, requestedDims(opts.dims, loaded.spec.output.dim));
    if (upToDate) return;
    const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `  distributed: listing ${sec(phases.listMs)}, jobs ${sec(phases.queueMs)}, merge ${sec(phases.mergeMs)}`,
    );
    return;
  }
  if (opts.work !== undefined || opts.jobSize !== undefined) {
    throw new Error('--work and --job-size apply to a distributed build: add --queue redis://host:port');
  }

  const source = openSource(opts.source, { endpoint: opts.endpoint, region: opts.region });
  const model = await loadModel(opts.model);
  const { upToDate, report } = await buildIndex({
    source,
    dataDir,
    model,
    bits: opts.bits,
    dims: opts.dims,
    views: opts.views,
    labelPattern: opts.labelPattern,
    sourcePattern: opts.sourcePattern,
    blendNeighbours: opts.blendNeighbours,
    keepMetadata: opts.keepMetadata,
    layout: opts.layout,
    cacheDir: opts.cache,
    maxPixels: opts.maxPixels,
    batchSize: opts.batchSize,
    threads: opts.threads,
    force: opts.force,
    refit: opts.refit,
    progress,
    // Ctrl-C or a supervisor's SIGTERM while featurizing: the workers end, the lock and staging go.
    signal: stop,
  });
  printOutcome(upToDate, report, dataDir, requestedDims(opts.dims, model.spec.output.dim));
}

/** `--dims` as given, with what the model's embeddings hold, or undefined without --dims. */
function requestedDims(dims: number | undefined, modelDims: number): RequestedDims | undefined {
  return dims === undefined ? undefined : { requested: dims, modelDims };
}

const interrupt = interruptBuild('build-index');
main(process.argv, interrupt.signal)
  .then(() => {
    if (interrupt.signal.aborted)
      console.error('build-index: told to stop as it was publishing, the build finished first');
  })
  .catch((err: unknown) => {
    // The failed jobs of a distributed build are several lines; a newline in a file name stays spelled out.
    const text = printableError('build-index: ', err);
    const stopped = buildStopped(err);
    if (stopped === undefined) {
      console.error(text);
      process.exitCode = 1;
      return;
    }
    // Its workers have ended: what a stopped build still waits on (a read from a slow source) must
    // not keep it running.
    process.exitCode = stopped.exitCode;
    process.stderr.write(`${text}\n`, () => process.exit());
  })
  .finally(() => interrupt.dispose());
