import { transferHandlers } from 'comlink';
import { describe, expect, it } from 'vitest';
import { NewerFormatError, errorInFile, isNewerFormatError, rejectNewerVersion } from './formatVersion';

/** What the page receives when the worker throws `err`: comlink's own serialisation of a thrown error. */
function acrossComlink(err: unknown): unknown {
  const handler = transferHandlers.get('throw')!;
  const [wire] = handler.serialize({ value: err } as never);
  try {
    handler.deserialize(structuredClone(wire));
  } catch (received) {
    return received;
  }
  throw new Error('comlink did not throw');
}

describe('format versions', () => {
  it('rejects only whole numbers above the newest', () => {
    expect(() => rejectNewerVersion('index', 6, 5)).toThrow(NewerFormatError);
    expect(() => rejectNewerVersion('index', 6, 5)).toThrow(
      'index format version 6 is newer than this version of Lookalike reads (up to 5)',
    );
    for (const v of [5, 1, 0, -3, 6.5, '6', null, undefined])
      expect(() => rejectNewerVersion('index', v, 5)).not.toThrow();
  });

  it('keeps the name through a file wrapper and across the worker boundary', () => {
    const newer = errorInFile('data/index.bin', new NewerFormatError('index', 6, 5));
    expect(newer.message).toBe(
      'data/index.bin: index format version 6 is newer than this version of Lookalike reads (up to 5)',
    );
    const received = acrossComlink(newer);
    expect(isNewerFormatError(received)).toBe(true);
    expect((received as Error).message).toBe(newer.message);

    const broken = errorInFile('data/index.bin', new Error('checksum mismatch'));
    expect(isNewerFormatError(broken)).toBe(false);
    expect(isNewerFormatError(acrossComlink(broken))).toBe(false);
    expect(isNewerFormatError('index format version 6')).toBe(false);
  });
});
