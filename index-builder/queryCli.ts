import { Command, InvalidArgumentError } from 'commander';
import { isSimilarityLabel, SIMILARITY_LABELS, type SimilarityLabel } from '../core/calibration';
import { intInRange } from './cliOptions';
import { loadDataDir } from './loadDataDir';
import { createOnnxModelRunner, type OnnxModelRunner } from './onnxModelRunner';
import { labelOutcome, queryById, queryByImage, type QueryOutcome } from './queryDataDir';
import { openShardedDataDir, queryShardedById, queryShardedByImage } from './queryShardedDataDir';

interface CliOptions {
  index: string;
  k: number;
  json?: boolean;
  id: string[];
  min?: SimilarityLabel;
}

function cutOffLabel(value: string): SimilarityLabel {
  if (!isSimilarityLabel(value))
    throw new InvalidArgumentError(`expected one of ${SIMILARITY_LABELS.join(', ')}`);
  return value;
}

function printText(outcome: QueryOutcome): void {
  const what = 'query' in outcome ? outcome.query : `id ${outcome.id}`;
  if ('error' in outcome) {
    console.log(`${what}: error: ${outcome.error}`);
    return;
  }
  console.log(`${what}:`);
  if (outcome.results.length === 0) console.log('  no close match');
  outcome.results.forEach((r, i) => {
    const label = r.label === undefined ? '' : `  ${r.label}`;
    console.log(
      `  ${String(i + 1).padStart(2)}. ${r.score.toFixed(4)}  ${r.album}/${r.name}  (${r.id})${label}`,
    );
  });
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('query')
    .description('Find the k most similar indexed images for each query image (or indexed id)')
    .requiredOption('--index <dir>', 'data dir written by build-index')
    .option('--k <n>', 'results per query', intInRange(1, 1000), 10)
    .option('--json', 'one JSON line per query')
    .option(
      '--min <label>',
      `drop results less similar than this label of the build's calibration (${SIMILARITY_LABELS.join(', ')})`,
      cutOffLabel,
    )
    .option(
      '--id <id>',
      'query by an indexed item id (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .argument('[images...]', 'query image files')
    .parse(argv);
  const opts = program.opts<CliOptions>();
  const images = program.args;
  if (images.length === 0 && opts.id.length === 0) program.error('give at least one image or --id');

  // A sharded build is read the way the site reads it; a resident one is loaded whole.
  const sharded = await openShardedDataDir(opts.index).catch(() => undefined);
  const data = sharded === undefined ? await loadDataDir(opts.index) : undefined;
  const model = sharded?.model ?? data!.model;
  const calibration = sharded ? sharded.calibration : (data!.manifest.calibration ?? null);
  if (opts.min !== undefined && calibration === null)
    program.error(`--min needs a build with a calibration; ${opts.index} has none (rebuild it)`);
  const byId = (id: string) =>
    sharded ? queryShardedById(sharded, id, opts.k) : Promise.resolve(queryById(data!, id, opts.k));
  const byImage = (runner: OnnxModelRunner, path: string) =>
    sharded ? queryShardedByImage(sharded, runner, path, opts.k) : queryByImage(data!, runner, path, opts.k);
  const show = opts.json ? (o: QueryOutcome) => console.log(JSON.stringify(o)) : printText;
  const print = (o: QueryOutcome) => show(labelOutcome(o, calibration, opts.min));
  const outcomes: QueryOutcome[] = [];
  for (const id of opts.id) {
    const o = await byId(id);
    outcomes.push(o);
    print(o);
  }
  if (images.length > 0) {
    let runner: OnnxModelRunner | undefined;
    try {
      runner = await createOnnxModelRunner(model.onnxPath, model.spec);
      for (const path of images) {
        const o = await byImage(runner, path);
        outcomes.push(o);
        print(o);
      }
    } finally {
      await runner?.release();
    }
  }
  return outcomes.every((o) => 'error' in o) ? 1 : 0;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`query: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
