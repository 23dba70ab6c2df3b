import { Command, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { isSimilarityLabel, SIMILARITY_LABELS, type SimilarityLabel } from '../core/calibration';
import { formatRegion, parseRegion, type ImageRegion } from '../core/imageRegion';
import { addDataDirOption, intInRange } from '../storage/cliOptions';
import { createOnnxModelRunner, type OnnxModelRunner } from './onnxModelRunner';
import { openDataDir } from './openDataDir';
import { labelOutcome, queryById, queryByImage, type QueryOutcome } from './queryDataDir';
import { printable, printableJson } from '../core/printableText';

interface CliOptions {
  k: number;
  json?: boolean;
  id: string[];
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

function printText(outcome: QueryOutcome): void {
  const what = 'query' in outcome ? outcome.query : `id ${outcome.id}`;
  if ('error' in outcome) {
    say(`${what}: error: ${outcome.error}`);
    return;
  }
  say(`${what}:`);
  if (outcome.results.length === 0) say('  no close match');
  outcome.results.forEach((r, i) => {
    const label = r.label === undefined ? '' : `  ${r.label}`;
    say(`  ${String(i + 1).padStart(2)}. ${r.score.toFixed(4)}  ${r.album}/${r.name}  (${r.id})${label}`);
  });
}

async function main(argv: string[]): Promise<number> {
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
    .option(
      '--id <id>',
      'query by an indexed item id (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .argument('[images...]', 'query image files')
    .parse(argv);
  const opts = program.opts<CliOptions>();
  const dataDir = dataDirOf();
  const images = program.args;
  if (images.length === 0 && opts.id.length === 0) program.error('give at least one image or --id');

  // Either layout is read the way the site reads it: core's Collection over the dir's files.
  const { collection, model, calibration } = await openDataDir(dataDir);
  if (opts.min !== undefined && calibration === null)
    program.error(`--min needs a build with a calibration; ${dataDir} has none (rebuild it)`);
  const { region } = opts;
  const byImage = (runner: OnnxModelRunner, path: string) =>
    queryByImage(collection, { spec: model.spec, runner }, path, opts.k, region);
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
  const print = (o: QueryOutcome) => show(labelOutcome(o, calibration, opts.min));
  if (regionText !== undefined && !opts.json) console.log(`region ${regionText} (x,y,w,h of each image)`);
  const outcomes: QueryOutcome[] = [];
  if (region === undefined) {
    for (const id of opts.id) {
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
        ...(region === undefined ? [] : opts.id.map((id) => () => regionById(runner!, id))),
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
  return outcomes.every((o) => 'error' in o) ? 1 : 0;
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
