import { Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_DUPLICATE_STRICTNESS,
  DUPLICATE_STRICTNESS,
  isDuplicateStrictness,
  type DuplicateStrictness,
} from '../core/duplicatesFormat';
import { MAX_GROUPS_PER_PAGE, type DuplicateGroup, type DuplicateGroupsPage } from '../core/duplicatesReader';
import { formatBytes } from '../core/formatBytes';
import { openDuplicates } from './readDuplicates';
import { printable, printableJson } from '../core/printableText';
import { addDataDirOption } from '../storage/cliOptions';
import { exitWhenOutputCloses, printedScore } from '../storage/cliOutput';

/*
 * npm run duplicates -- --data-dir <dir> [--strictness near-identical|very-similar|similar] [--json]:
 * the build's duplicate groups, largest first, as the #/duplicates page lists them.
 */

interface CliOptions {
  strictness: DuplicateStrictness;
  json?: boolean;
}

function strictnessOption(value: string): DuplicateStrictness {
  if (!isDuplicateStrictness(value))
    throw new InvalidArgumentError(`expected one of ${DUPLICATE_STRICTNESS.join(', ')}`);
  return value;
}

/** A member as printed and exported: what a person needs to decide which copy to keep. */
function memberRecord(m: DuplicateGroup['members'][number]) {
  const { id, album, name, width, height, bytes } = m.item;
  return { id, album, name, width, height, bytes: bytes ?? null, score: printedScore(m.score) };
}

function fileSize(bytes: number | null): string {
  return bytes === null ? 'size unknown' : formatBytes(bytes);
}

async function allGroups(
  read: (start: number, count: number) => Promise<DuplicateGroupsPage>,
): Promise<{ first: DuplicateGroupsPage; groups: DuplicateGroup[] }> {
  const first = await read(0, MAX_GROUPS_PER_PAGE);
  const groups = [...first.groups];
  while (groups.length < first.totalGroups)
    groups.push(...(await read(groups.length, MAX_GROUPS_PER_PAGE)).groups);
  return { first, groups };
}

async function main(argv: string[]): Promise<number> {
  exitWhenOutputCloses();
  const program = new Command('duplicates').description(
    "Print the build's near-duplicate groups, largest first",
  );
  const dataDirOf = addDataDirOption(program, {
    description: 'data dir written by build-index',
    oldName: '--index',
  });
  program
    .option(
      '--strictness <level>',
      `how close images must be to group (${DUPLICATE_STRICTNESS.join(', ')})`,
      strictnessOption,
      DEFAULT_DUPLICATE_STRICTNESS,
    )
    .option('--json', 'one JSON document: the groups with their members')
    .parse(argv);
  const opts = program.opts<CliOptions>();
  const { reader } = await openDuplicates(dataDirOf());
  const { first, groups } = await allGroups((start, count) => reader.page(opts.strictness, start, count));
  const thresholdSource = reader.file.thresholdSource;
  if (opts.json) {
    const doc = {
      strictness: first.strictness,
      threshold: first.threshold,
      thresholdSource,
      totalGroups: first.totalGroups,
      totalImages: first.totalImages,
      groups: groups.map((g) => ({
        minScore: printedScore(g.minScore),
        members: g.members.map(memberRecord),
      })),
    };
    console.log(printableJson(doc, 2));
    return 0;
  }
  const from =
    thresholdSource === 'calibration' ? "the build's calibration" : "the builder's defaults (no calibration)";
  // Names come from the collection: controls in them are spelled out, not sent to the terminal.
  const say = (line: string) => console.log(printable(line));
  say(
    `${first.strictness}: ${first.totalGroups} groups, ${first.totalImages} images (score ≥ ${first.threshold}, from ${from})`,
  );
  groups.forEach((g, i) => {
    say(`group ${i + 1}: ${g.members.length} images, lowest score ${printedScore(g.minScore).toFixed(4)}`);
    for (const m of g.members.map(memberRecord)) {
      say(
        `  ${m.score.toFixed(4)}  ${m.album}/${m.name}  ${m.width}×${m.height}  ${fileSize(m.bytes)}  (${m.id})`,
      );
    }
  });
  return 0;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(printable(`duplicates: ${err instanceof Error ? err.message : String(err)}`));
    process.exitCode = 1;
  },
);
