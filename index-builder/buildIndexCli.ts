import { Command } from 'commander';
import { relative } from 'node:path';
import { buildIndex } from './buildIndex';
import type { BuildReport } from './buildReport';
import { intInRange } from './cliOptions';
import { loadModel } from './loadModel';
import { openSource } from './openSource';
import { createProgressReporter, silentProgress } from './progressReporter';

interface CliOptions {
  source: string;
  out: string;
  model?: string;
  bits?: number;
  dims?: number;
  endpoint?: string;
  region?: string;
  cache?: string;
  maxPixels?: number;
  batchSize?: number;
  threads?: number;
  force?: boolean;
  quiet?: boolean;
}

const MAX_SKIPPED_SHOWN = 20;

function summary(report: BuildReport, out: string): string[] {
  const { counts, timings } = report;
  const lines = [
    `indexed ${counts.indexed} images (${counts.featurized} featurized, ${counts.cached} cached), ` +
      `${counts.skipped} skipped, into ${relative(process.cwd(), out) || '.'} in ${(timings.totalMs / 1000).toFixed(1)} s` +
      (counts.featurized > 0 ? ` (${report.featurizedPerSecond} images/s)` : '') +
      `; index ${report.bytes.index} bytes (${report.bytes.indexPerImage} per image)`,
  ];
  for (const s of report.skipped.slice(0, MAX_SKIPPED_SHOWN))
    lines.push(`  skipped ${s.key}: ${s.reason}: ${s.message}`);
  if (report.skipped.length > MAX_SKIPPED_SHOWN) {
    lines.push(`  … and ${report.skipped.length - MAX_SKIPPED_SHOWN} more, see build-report.json`);
  }
  return lines;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('build-index')
    .description('Featurize a folder or S3 prefix of images into a Lookalike data dir')
    .requiredOption('--source <location>', 'folder or s3://bucket/prefix; sub-folders are albums')
    .requiredOption('--out <dir>', 'data dir to write (manifest.json, index, catalog, thumbs, originals)')
    .option('--model <spec.json>', 'model spec file (default: the built-in MobileNetV2 model)')
    .option('--bits <n>', 'LSH code bits', intInRange(8, 1024))
    .option('--dims <n>', 'compact vector dimensions', intInRange(1, 4096))
    .option('--endpoint <url>', 'S3-compatible endpoint (path-style addressing)')
    .option('--region <region>', 'S3 region')
    .option('--cache <dir>', 'embedding cache folder (default generated/cache/embeddings/<modelId>/)')
    .option('--max-pixels <n>', 'skip images with more pixels than this', intInRange(1, 2 ** 31))
    .option('--batch-size <n>', 'images per inference call', intInRange(1, 1024))
    .option('--threads <n>', 'inference threads (default: one per core)', intInRange(1, 256))
    .option('--force', 'rebuild even if nothing changed')
    .option('--quiet', 'no progress output')
    .parse(argv);
  const opts = program.opts<CliOptions>();

  const source = openSource(opts.source, { endpoint: opts.endpoint, region: opts.region });
  const model = await loadModel(opts.model);
  const { upToDate, report } = await buildIndex({
    source,
    outDir: opts.out,
    model,
    bits: opts.bits,
    dims: opts.dims,
    cacheDir: opts.cache,
    maxPixels: opts.maxPixels,
    batchSize: opts.batchSize,
    threads: opts.threads,
    force: opts.force,
    progress: opts.quiet ? silentProgress : createProgressReporter('featurizing'),
  });
  if (upToDate) {
    console.log(
      `up to date: ${opts.out} already holds ${report.counts.indexed} images from ${source.description} ` +
        `(built ${report.finishedAt}); use --force to rebuild`,
    );
    return;
  }
  for (const line of summary(report, opts.out)) console.log(line);
}

main(process.argv).catch((err: unknown) => {
  console.error(`build-index: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
