import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addDataDirOption,
  endpointUrl,
  intInRange,
  invocationDir,
  nonEmpty,
  pathOption,
  shownPath,
  sourceOption,
  userPath,
  type DataDirOption,
} from './cliOptions';

/** The folder `npm run` says the user ran it in (INIT_CWD) while a test runs; restored after it. */
function ranNpmIn(dir: string | undefined): void {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.INIT_CWD;
    if (dir === undefined) delete process.env.INIT_CWD;
    else process.env.INIT_CWD = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.INIT_CWD;
    else process.env.INIT_CWD = saved;
  });
}

/** Where the user ran npm in these tests: not the package root, where npm starts the script. */
const USER_DIR = '/home/someone/photos';

describe('intInRange', () => {
  const count = intInRange(1, 256);

  it('takes decimal digits within the bounds', () => {
    expect(count('1')).toBe(1);
    expect(count(' 16 ')).toBe(16);
    expect(count('256')).toBe(256);
  });

  it.each(['0x10', '1e1', '0b11', '0o7', '1.5', '-1', '+3', '', ' ', 'Infinity', '10abc'])(
    'refuses %j, which Number() would read as another count or none',
    (value) => {
      expect(() => count(value)).toThrow(InvalidArgumentError);
      expect(() => count(value)).toThrow(/expected a whole number/);
    },
  );

  it('names the bounds', () => {
    expect(() => count('0')).toThrow('must be between 1 and 256, got 0');
    expect(() => count('99999999999999999999')).toThrow(/must be between 1 and 256/);
  });
});

describe('endpointUrl', () => {
  it('takes an http(s) URL without its trailing slashes, and refuses anything else as the flag', () => {
    expect(endpointUrl('http://127.0.0.1:4568/')).toBe('http://127.0.0.1:4568');
    expect(endpointUrl('https://s3.example.com')).toBe('https://s3.example.com');
    expect(() => endpointUrl('notaurl')).toThrow(InvalidArgumentError);
    expect(() => endpointUrl('notaurl')).toThrow('must be a URL such as http://127.0.0.1:4568');
    expect(() => endpointUrl('s3://bucket')).toThrow('must be http(s)');
  });
});

describe('nonEmpty', () => {
  it('refuses an empty or blank value (an unset shell variable) and keeps the rest as given', () => {
    expect(() => nonEmpty('')).toThrow(/must not be empty/);
    expect(() => nonEmpty('  ')).toThrow(InvalidArgumentError);
    expect(nonEmpty(' dir ')).toBe(' dir ');
  });
});

describe('paths from the folder the user ran npm in', () => {
  describe('under npm run (INIT_CWD set)', () => {
    ranNpmIn(USER_DIR);

    it('takes relative paths from INIT_CWD, not from the package root npm starts in', () => {
      expect(invocationDir()).toBe(USER_DIR);
      expect(userPath('./mydata')).toBe(join(USER_DIR, 'mydata'));
      expect(userPath('../q.jpg')).toBe('/home/someone/q.jpg');
      expect(userPath('/tmp/walk-data')).toBe('/tmp/walk-data');
      expect(pathOption('mydata/')).toBe(join(USER_DIR, 'mydata'));
    });

    it('refuses an empty path (an unset variable) rather than take the folder itself', () => {
      expect(() => pathOption('')).toThrow(/must not be empty/);
      expect(() => sourceOption(' ')).toThrow(InvalidArgumentError);
    });

    it('keeps an s3:// source as given, and takes a local one as a path', () => {
      expect(sourceOption('s3://bucket/photos')).toBe('s3://bucket/photos');
      expect(sourceOption('./shop')).toBe(join(USER_DIR, 'shop'));
    });

    it('shows a path as the user would type it from there, or absolute when it lies elsewhere', () => {
      expect(shownPath(join(USER_DIR, 'out', 'm.onnx'))).toBe(join('out', 'm.onnx'));
      expect(shownPath(USER_DIR)).toBe('.');
      // Not `../../../tmp/walk-data`: a walk out of their folder names nothing they know.
      expect(shownPath('/tmp/walk-data')).toBe('/tmp/walk-data');
      expect(shownPath('/home/someone/photos-2/x')).toBe('/home/someone/photos-2/x');
    });
  });

  describe('without npm (no INIT_CWD)', () => {
    ranNpmIn(undefined);

    it('takes relative paths from the current folder', () => {
      expect(invocationDir()).toBe(process.cwd());
      expect(userPath('mydata')).toBe(join(process.cwd(), 'mydata'));
    });
  });
});

describe('addDataDirOption', () => {
  ranNpmIn(USER_DIR);
  /** Parses `args` as a CLI with --data-dir would: the data dir (none after an error) and what it printed. */
  function parse(option: DataDirOption, args: string[]): { dataDir?: string; output: string } {
    let printed = '';
    const program = new Command('cli')
      .exitOverride()
      .configureOutput({ writeOut: (s) => (printed += s), writeErr: (s) => (printed += s) });
    const dataDirOf = addDataDirOption(program, option);
    program.option('--other <x>', 'an unrelated option');
    try {
      program.parse(args, { from: 'user' });
      return { dataDir: dataDirOf(), output: printed };
    } catch (err) {
      if (!(err instanceof CommanderError)) throw err;
      return { output: printed };
    }
  }
  const required: DataDirOption = { description: 'data dir to read', oldName: '--index' };
  const withDefault: DataDirOption = {
    description: 'data dir to serve',
    oldName: '--data',
    defaultDir: 'gen/d',
  };

  it('takes --data-dir, and the old name as before, from the folder the user ran npm in', () => {
    const siteData = join(USER_DIR, 'site-data');
    expect(parse(required, ['--data-dir', 'site-data']).dataDir).toBe(siteData);
    expect(parse(required, ['--index', 'site-data']).dataDir).toBe(siteData);
    expect(parse(required, ['--index=site-data']).dataDir).toBe(siteData);
    expect(parse(required, ['--data-dir', '/srv/site-data']).dataDir).toBe('/srv/site-data');
  });

  it('refuses two names for two different folders, naming both', () => {
    for (const args of [
      ['--data-dir', 'a', '--index', 'b'],
      ['--index', 'b', '--data-dir', 'a'],
    ]) {
      const { dataDir, output } = parse(required, args);
      expect(dataDir).toBeUndefined();
      expect(output).toBe(
        "error: --data-dir 'a' and --index 'b' name different data dirs: pass one (--index is the old name of --data-dir)\n",
      );
    }
    expect(parse(withDefault, ['--data-dir', 'a', '--data', 'b']).output).toMatch(
      /--data-dir 'a' and --data 'b'/,
    );
    // The default is no one's choice: the old name alone does not conflict with it.
    expect(parse(withDefault, ['--data', 'b']).dataDir).toBe(join(USER_DIR, 'b'));
  });

  it('takes both names for the same folder, however spelled', () => {
    expect(parse(required, ['--data-dir', 'site-data', '--index', './site-data/']).dataDir).toBe(
      join(USER_DIR, 'site-data'),
    );
    expect(parse(required, ['--data-dir', 'site-data', '--index', join(USER_DIR, 'site-data')]).dataDir).toBe(
      join(USER_DIR, 'site-data'),
    );
  });

  it('requires a data dir only where there is no default, which stays the package folder it names', () => {
    expect(parse(required, []).output).toBe("error: required option '--data-dir <dir>' not specified\n");
    expect(parse(withDefault, []).dataDir).toBe('gen/d');
    // Said in --help too, which commander does not do by itself.
    expect(parse(required, ['--help']).output).toMatch(/--data-dir <dir>\s+data dir to read \(required\)\n/);
    expect(parse(withDefault, ['--help']).output).not.toContain('(required)');
  });

  it('refuses an empty value under either name (an unset variable)', () => {
    expect(parse(required, ['--data-dir', '']).output).toMatch(/'--data-dir <dir>' argument '' is invalid/);
    expect(parse(required, ['--index', ' ']).output).toMatch(/'--index <dir>' argument ' ' is invalid/);
  });

  it('lists only --data-dir in --help', () => {
    const help = parse(withDefault, ['--help']).output;
    expect(help).toMatch(/--data-dir <dir>\s+data dir to serve \(default: "gen\/d"\)/);
    expect(help).toContain('--other <x>');
    expect(help).not.toMatch(/--data\b(?!-dir)/);
  });
});
