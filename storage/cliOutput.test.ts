import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../testing/repoRoot';
import { printedScore } from './cliOutput';

/**
 * Runs `body` (an ES module body, after `handler` from ./cliOutput is imported) in a child whose stdout
 * reader is gone before it starts, as `| head -1` leaves it once head has its line: every write it makes
 * to stdout fails with EPIPE. stderr is still read.
 */
function withClosedStdout(handler: string, body: string): Promise<{ code: number | null; stderr: string }> {
  const module = JSON.stringify(join(REPO_ROOT, 'storage', 'cliOutput.ts'));
  const script = `import { ${handler} } from ${module};\n${body}`;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed now, before the child can have written anything: its writes meet a pipe without a reader.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

/** Prints lines in turns, so the EPIPE of one turn arrives before the next: forever, or `turns` times. */
const printLines = (turns: string) => `
let turn = 0;
const more = () => {
  for (let i = 0; i < 100; i++) console.log('result line ' + turn + '.' + i);
  if (++turn < ${turns}) setImmediate(more);
  else process.stderr.write('finished\\n');
};
more();
`;

describe('exitWhenOutputCloses', () => {
  it('ends a printing CLI quietly with 0 when the reader of its output goes away', async () => {
    const run = await withClosedStdout(
      'exitWhenOutputCloses',
      `exitWhenOutputCloses();\n${printLines('Infinity')}`,
    );
    expect(run).toEqual({ code: 0, stderr: '' });
  });

  it('keeps the exit code already decided', async () => {
    const run = await withClosedStdout(
      'exitWhenOutputCloses',
      `exitWhenOutputCloses();\nprocess.exitCode = 1;\n${printLines('Infinity')}`,
    );
    expect(run).toEqual({ code: 1, stderr: '' });
  });

  it('leaves other errors of the stream as they were: thrown', async () => {
    const run = await withClosedStdout(
      'exitWhenOutputCloses',
      `exitWhenOutputCloses();\nprocess.stdout.emit('error', Object.assign(new Error('disk on fire'), { code: 'EIO' }));`,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('disk on fire');
  });
});

describe('keepWorkingWhenOutputCloses', () => {
  it('lets a CLI that changes things finish its work, printing nothing more, without a stack trace', async () => {
    const run = await withClosedStdout(
      'keepWorkingWhenOutputCloses',
      `keepWorkingWhenOutputCloses();\n${printLines('5')}`,
    );
    expect(run).toEqual({ code: 0, stderr: 'finished\n' });
  });
});

describe('printedScore', () => {
  it('keeps a cosine within [-1, 1], where rounding in the search can put a self-match a step above 1', () => {
    expect(printedScore(1.0000000000000002)).toBe(1);
    expect(printedScore(-1.0000000000000002)).toBe(-1);
    expect(printedScore(0.8123)).toBe(0.8123);
    expect(printedScore(1)).toBe(1);
  });
});
