import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OldDataDirFlag } from '../storage/cliOptions';
import { runScript } from './builderCli';

/**
 * What every CLI with a data dir owes its users (storage/cliOptions.ts, addDataDirOption), checked from
 * outside: `--help` lists `--data-dir` and not the old name; `--data-dir` and the old name for two
 * different folders fail, naming both, before anything is written. `args` are the CLI's other required
 * arguments. The problems found, none when all is well (a list, so one failure shows them all).
 */
export async function dataDirFlagProblems(
  script: string,
  oldName: OldDataDirFlag,
  args: string[],
): Promise<string[]> {
  const problems: string[] = [];
  const help = await runScript(script, ['--help']);
  if (help.code !== 0) problems.push(`--help exited with ${help.code}: ${help.stderr}`);
  if (!/^\s+--data-dir <dir>\s/m.test(help.stdout)) problems.push(`--help does not list --data-dir <dir>`);
  // The old name alone: `--data-dir` contains `--data`.
  if (new RegExp(`${oldName}(?!-dir)\\b`).test(help.stdout)) problems.push(`--help mentions ${oldName}`);

  const root = await mkdtemp(join(tmpdir(), 'data-dir-flag-'));
  try {
    const [dir, old] = [join(root, 'new'), join(root, 'old')];
    const run = await runScript(script, [...args, '--data-dir', dir, oldName, old]);
    if (run.code === 0) problems.push(`--data-dir and ${oldName} for different folders exited with 0`);
    const expected = `error: --data-dir '${dir}' and ${oldName} '${old}' name different data dirs`;
    if (!run.stderr.includes(expected))
      problems.push(
        `--data-dir and ${oldName} for different folders: stderr lacks "${expected}": ${run.stderr}`,
      );
    for (const made of [dir, old].filter((d) => existsSync(d))) problems.push(`the conflict made ${made}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return problems;
}
