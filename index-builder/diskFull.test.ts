import { describe, expect, it } from 'vitest';
import { diskFull } from './diskFull';

const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('diskFull', () => {
  it('says what a full disk left published, and what to do', () => {
    expect(diskFull(full, '/data', 'previous')?.message).toBe(
      'the disk holding /data is full (ENOSPC): the previous build is still the one published; free some space and build again (what was featurized is cached)',
    );
    expect(diskFull(full, '/data', 'none')?.message).toMatch(/: nothing was published;/);
    expect(diskFull(full, '/data', 'this')?.message).toMatch(/the new build is published, but not all/);
    expect(diskFull(full, '/data', 'none')?.cause).toBe(full);
  });

  it('leaves other errors as they are', () => {
    expect(diskFull(new Error('boom'), '/data', 'none')).toBeUndefined();
    expect(diskFull(Object.assign(new Error('x'), { code: 'EACCES' }), '/data', 'none')).toBeUndefined();
  });
});
