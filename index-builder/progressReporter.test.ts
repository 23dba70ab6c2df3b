import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter } from './progressReporter';

describe('progress reporter off a terminal', () => {
  it('writes plain lines with count, percentage, rate and ETA, and a final line', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let text = '';
    (stream as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
    // Interval 0: every tick prints, so the test needs no clock.
    const progress = createProgressReporter('featurizing', stream, 0);
    progress.start(4);
    progress.tick();
    progress.tick();
    progress.stop();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^featurizing: 1\/4 \(25%\) \d+(\.\d)?\/s( ETA \d+s)?$/);
    expect(lines[2]).toMatch(/^featurizing: 2\/4 \(50%\)/);
    expect(text).not.toContain(String.fromCharCode(27)); // no terminal escapes in logs
  });

  it('leaves images reused from an earlier build out of the rate and ETA, and says how many there were', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let text = '';
    (stream as unknown as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
    const progress = createProgressReporter('featurizing', stream, 0);
    progress.start(3);
    progress.tick(true);
    progress.tick(true);
    progress.stop();
    // Nothing featurized yet: no rate to speak of, and no ETA made up from the reused ones.
    expect(text.trim().split('\n')).toEqual([
      'featurizing: 1/3 (33%) 0.0/s, 1 already featurized',
      'featurizing: 2/3 (67%) 0.0/s, 2 already featurized',
      'featurizing: 2/3 (67%) 0.0/s, 2 already featurized',
    ]);
  });
});
