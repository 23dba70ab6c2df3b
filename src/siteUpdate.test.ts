import { describe, expect, it } from 'vitest';
import { RELOAD_MEMORY_MS, nextStep } from './siteUpdate';

describe('site updates', () => {
  const message =
    'data/index.bin: index format version 6 is newer than this version of Lookalike reads (up to 5)';

  it('reloads for a newer file the first time, and gives up when the reload met the same file', () => {
    expect(nextStep(message, null, 1_000)).toBe('reload');
    expect(nextStep(message, { message, at: 1_000 }, 5_000)).toBe('give-up');
  });

  it('reloads again for another file, or for the same one after another deploy', () => {
    expect(nextStep(message, { message: 'manifest format version 4 is newer', at: 1_000 }, 5_000)).toBe(
      'reload',
    );
    expect(nextStep(message, { message, at: 1_000 }, 1_000 + RELOAD_MEMORY_MS)).toBe('reload');
  });
});
