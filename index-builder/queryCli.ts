import { Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { isSimilarityLabel, SIMILARITY_LABELS, type SimilarityLabel } from '../core/calibration';
import { formatRegion, parseRegion, type ImageRegion } from '../core/imageRegion';
import { addDataDirOption, intInRange, userPath } from '../storage/cliOptions';
import { exitWhenOutputCloses, printedScore } from '../storage/cliOutput';
import { createOnnxModelRunner, type OnnxModelRunner } from './onnxModelRunner';
import { openDataDir } from './openDataDir';
import { labelOutcome, queryById, queryByImage, type QueryOutcome } from './queryDataDir';
import { printable, printableJson } from '../core/printableText';
import { MIN_CALIBRATED_IMAGES } from './similarityCalibration';

interface CliOptions {
  k: number;
  json?: boolean;
  id?: string[];
  min?: SimilarityLabel;
  region?: ImageRegion;
}

function regionOption(value: string): ImageRegion {
  try {
    return parseRegion(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function cutOffLabel(value: string): SimilarityLabel {
  if (!isSimilarityLabel(value))
    throw new InvalidArgumentError(`expected one of ${SIMILARITY_LABELS.join(', ')}`);
  return value;
}

/** Text output: names and messages come from the collection, so controls in them are spelled out. */
const say = (line: string) => console.log(printable(line));

/** The outcome with its scores as printed (storage/cliOutput.ts printedScore). */
function printedScores(outcome: QueryOutcome): QueryOutcome {
  if (!('results' in outcome)) return outcome;
  return { ...outcome, results: outcome.results.map((r) => ({ ...r, score: printedScore(r.score) })) };
}

function printText(outcome: QueryOutcome): void {
  const what = 'query' in outcome ? outcome.query : `id ${outcome.id}`;
  if ('error' in outcome) {
    // On stderr: what reads the results from stdout takes only results, and the failure still shows.
    console.error(printable(`${what}: error: ${outcome.error}`));
    return;
  }
  say(`${what}:`);
  if (outcome.results.length === 0) say('  no close match');
  outcome.results.forEach((r, i) => {
    const label = r.label === undefined ? '' : `  ${r.label}`;
    say(`  ${String(i + 1).padStart(2)}. ${r.score.toFixed(4)}  ${r.album}/${r.name}  (${r.id})${label}`);
  });
}

/** Why a data dir has no calibration, for `--min`: small builds never get one, others lack it. */
function noCalibration(dataDir: string, count: number): string {
  const why =
    count < MIN_CALIBRATED_IMAGES
      ? `it holds ${count} images, and builds of fewer than ${MIN_CALIBRATED_IMAGES} images get none`
      : 'rebuild it (without --views 0, which leaves a build without one)';
  return `--min needs a build with a calibration; ${dataDir} has none: ${why}`;
}

async function main(argv: string[]): Promise<number> {
  exitWhenOutputCloses();
  const program = new Command('query').description(
    'Find the k most similar indexed images for each query image (or indexed id)',
  );
  const dataDirOf = addDataDirOption(program, {
    description: 'data dir written by build-index',
    oldName: '--index',
  });
  program
    .option('--k <n>', 'results per query', intInRange(1, 1000), 10)
    .option('--json', 'one JSON line per query')
    .option(
      '--min <label>',
      `drop results less similar than this label of the build's calibration (${SIMILARITY_LABELS.join(', ')})`,
      cutOffLabel,
    )
    .option(
      '--region <x,y,w,h>',
      "search only this box of each query image, in fractions of the upright image (as the site's region=); " +
        "an --id query then crops the item's original at full resolution",
      regionOption,
    )
    // No default: commander would print "(default: [])".
    .option('--id <id>', 'query by an indexed item id (repeatable)', (v: string, acc: string[] = []) => [
      ...acc,
      v,
    ])
    .argument('[images...]', 'query image files')
    .addHelpText(
      'after',
      '\nExit status: 0 when every query was answered; 1 when any failed (its error is printed on ' +
        'stderr, or in its JSON line with --json) or the query could not run.',
    )
    .parse(argv);
  const opts = program.opts<CliOptions>();
  const ids = opts.id ?? [];
  const dataDir = dataDirOf();
  const images = program.args;
  // Worded as commander's own usage errors (exit 1, before the data dir is opened).
  if (images.length === 0 && ids.length === 0) program.error('error: give at least one image or --id');

  // Either layout is read the way the site reads it: core's Collection over the dir's files.
  const { manifest, collection, model, calibration } = await openDataDir(dataDir);
  if (opts.min !== undefined && calibration === null)
    program.error(`error: ${noCalibration(dataDir, manifest.count)}`);
  const { region } = opts;
  // Read from where the user ran npm, printed as they gave it (npm run starts in the package root).
  const byImage = async (runner: OnnxModelRunner, path: string): Promise<QueryOutcome> => {
    const o = await queryByImage(collection, { spec: model.spec, runner }, userPath(path), opts.k, region);
    return { ...o, query: path };
  };
  // A region of an album image is searched like an image file: the item's original, cropped.
  const regionById = async (runner: OnnxModelRunner, id: string): Promise<QueryOutcome> => {
    const item = await collection.item(id);
    if (item === null) return { id, error: `no item with id '${id}' in the index` };
    const o = await byImage(runner, join(dataDir, item.original));
    return 'results' in o ? { id, results: o.results } : { id, error: o.error };
  };
  const regionText = region === undefined ? undefined : formatRegion(region);
  const show = opts.json
    ? (o: QueryOutcome) =>
        console.log(printableJson(regionText === undefined ? o : { ...o, region: regionText }))
    : printText;
  const print = (o: QueryOutcome) => show(printedScores(labelOutcome(o, calibration, opts.min)));
  if (regionText !== undefined && !opts.json) console.log(`region ${regionText} (x,y,w,h of each image)`);
  const outcomes: QueryOutcome[] = [];
  if (region === undefined) {
    for (const id of ids) {
      const o = await queryById(collection, id, opts.k);
      outcomes.push(o);
      print(o);
    }
  }
  if (images.length > 0 || region !== undefined) {
    let runner: OnnxModelRunner | undefined;
    try {
      runner = await createOnnxModelRunner(model.onnxPath, model.spec);
      const queries = [
        ...(region === undefined ? [] : ids.map((id) => () => regionById(runner!, id))),
        ...images.map((path) => () => byImage(runner!, path)),
      ];
      for (const query of queries) {
        const o = await query();
        outcomes.push(o);
        print(o);
      }
    } finally {
      await runner?.release();
    }
  }
  // Any failed query fails the run: a script must not take a partly answered run for a full one.
  return outcomes.some((o) => 'error' in o) ? 1 : 0;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(printable(`query: ${err instanceof Error ? err.message : String(err)}`));
    process.exitCode = 1;
  },
);
