import { InvalidArgumentError, Option, type Command } from 'commander';
import { isAbsolute, relative, resolve } from 'node:path';

/*
 * Commander option parsers shared by the builder's CLIs and `npm run deploy` (storage/ is what the two
 * share; neither imports the other), and the data dir's one flag, which `serve` and `demo-data` take too.
 */

/**
 * The folder the user ran the command in. `npm run` starts scripts in the package root, whatever folder
 * it was run from, and says which folder that was in INIT_CWD; without npm (tsx run by hand, a test's
 * child process) the current folder is that folder.
 */
export function invocationDir(): string {
  const init = process.env.INIT_CWD;
  return init === undefined || init === '' ? process.cwd() : init;
}

/** A path as the user meant it: a relative one is taken from the folder they ran the command in. */
export function userPath(path: string): string {
  return resolve(invocationDir(), path);
}

/**
 * A commander parser for a local file or folder: not empty (see nonEmpty), and absolute, resolved from
 * the folder the user ran npm in (userPath), so `--data-dir ./mine` from a sub-folder is that sub-folder's.
 */
export function pathOption(value: string): string {
  return userPath(nonEmpty(value));
}

/**
 * A commander parser for where images come from: an `s3://bucket/prefix` as given (not a path), anything
 * else a local folder (pathOption).
 */
export function sourceOption(value: string): string {
  return nonEmpty(value).startsWith('s3://') ? value : pathOption(value);
}

/**
 * A path as a message shows it: relative to the folder the user ran the command in when it lies there
 * (what they would type), else absolute (a `../..` walk out of their folder names nothing they know).
 */
export function shownPath(path: string): string {
  const abs = resolve(path);
  const rel = relative(invocationDir(), abs);
  if (rel === '') return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

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
 * A commander parser for `--endpoint`, an S3-compatible server's http(s) URL: refused when parsing the
 * flag, so that a typo is named as the flag's and not as the SDK's `TypeError: Invalid URL` at the first
 * request. Trailing slashes are dropped.
 */
export function endpointUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://127.0.0.1:4568');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('must be http(s)');
  return value.replace(/\/+$/, '');
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
 * two names give different folders, or when neither gives one and there is no default. A folder from the
 * command line comes back absolute, taken from the folder the user ran npm in (userPath); the default is
 * the package's, as given.
 */
export function addDataDirOption(program: Command, option: DataDirOption): () => string {
  return addFolderOption(program, { ...option, name: '--data-dir', folders: 'data dirs' });
}

/** A folder option with an old name: `--data-dir`, serve's `--site` (once `--dist`, as deploy names it). */
export interface FolderOption {
  name: `--${string}`;
  /** The folder, in the plural, for the message when the two names give two: "data dirs". */
  folders: string;
  description: string;
  oldName: string;
  defaultDir?: string;
}

/** addDataDirOption for any folder option with an old name: its reader, to call after `program.parse`. */
export function addFolderOption(program: Command, option: FolderOption): () => string {
  // Commander's help does not say which options are required: said in the description.
  const required = option.defaultDir === undefined ? ' (required)' : '';
  const flag = new Option(`${option.name} <dir>`, option.description + required).argParser(nonEmpty);
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
    // The same folder spelled twice (`./site-data` and `site-data`) is no conflict. The message names
    // them as given: that is how the user will recognise them.
    if (dir !== undefined && old !== undefined && userPath(dir) !== userPath(old)) {
      program.error(
        `error: ${option.name} '${dir}' and ${option.oldName} '${old}' name different ${option.folders}: ` +
          `pass one (${option.oldName} is the old name of ${option.name})`,
      );
    }
    const chosen = dir ?? old;
    if (chosen !== undefined) return userPath(chosen);
    return option.defaultDir ?? program.error(`error: required option '${flag.flags}' not specified`);
  };
}
