import { InvalidArgumentError, Option, type Command } from 'commander';
import { resolve } from 'node:path';

/*
 * Commander option parsers shared by the builder's CLIs and `npm run deploy` (storage/ is what the two
 * share; neither imports the other), and the data dir's one flag, which `serve` and `demo-data` take too.
 */

/**
 * A commander parser for integers within [min, max], with a message naming the bounds. Only decimal
 * digits: `Number()` would also take `0x10`, `1e1` or `0b11`, which nobody means as a count.
 */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
    const n = Number.parseInt(value, 10);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/**
 * A commander parser for a path, location or name: an empty value (an unset shell variable, usually)
 * would otherwise mean the current folder (a build would index or write whatever is there, deploy would
 * publish it) or no bucket.
 */
export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty (an unset variable?)');
  return value;
}

/** The names the data dir went by before `--data-dir`; scripts and users still pass them. */
export type OldDataDirFlag = '--out' | '--index' | '--data';

export interface DataDirOption {
  /** What `--help` says of `--data-dir <dir>`. */
  description: string;
  /** This CLI's earlier name for the data dir: accepted as before, left out of `--help`. */
  oldName: OldDataDirFlag;
  /** The data dir when no name gives one; without it, a data dir is required. */
  defaultDir?: string;
}

/**
 * Adds `--data-dir <dir>` to `program`, with the CLI's old name as a hidden alias: one name in the help of
 * every CLI, while what already passes the old name keeps working. Returns the data dir's reader, to call
 * right after `program.parse`: it fails through `program.error` (so before anything is written) when the
 * two names give different folders, or when neither gives one and there is no default.
 */
export function addDataDirOption(program: Command, option: DataDirOption): () => string {
  const flag = new Option('--data-dir <dir>', option.description).argParser(nonEmpty);
  if (option.defaultDir !== undefined) flag.default(option.defaultDir);
  const alias = new Option(`${option.oldName} <dir>`).argParser(nonEmpty).hideHelp();
  program.addOption(flag).addOption(alias);

  // A default is no one's choice: only values from the command line can conflict.
  const given = (o: Option): string | undefined =>
    program.getOptionValueSource(o.attributeName()) === 'cli'
      ? (program.getOptionValue(o.attributeName()) as string)
      : undefined;
  return () => {
    const dir = given(flag);
    const old = given(alias);
    // The same folder spelled twice (`./site-data` and `site-data`) is no conflict.
    if (dir !== undefined && old !== undefined && resolve(dir) !== resolve(old)) {
      program.error(
        `error: --data-dir '${dir}' and ${option.oldName} '${old}' name different data dirs: pass one ` +
          `(${option.oldName} is the old name of --data-dir)`,
      );
    }
    const chosen = dir ?? old ?? option.defaultDir;
    return chosen ?? program.error(`error: required option '${flag.flags}' not specified`);
  };
}
