/**
 * A full disk, said as what it means for the data dir: Node's message (`ENOSPC: no space left on
 * device, write`) names no file and leaves the person to wonder whether the site is broken. The
 * manifest is replaced last, so before that the published build is the previous one; after it, the
 * new build is published and only the records the next build reuses are missing.
 */
export function diskFull(
  err: unknown,
  dataDir: string,
  published: 'this' | 'previous' | 'none',
): Error | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  const state = {
    this: 'the new build is published, but not all of what the next build reuses was written',
    previous: 'the previous build is still the one published',
    none: 'nothing was published',
  }[published];
  return new Error(
    `the disk holding ${dataDir} is full (${code}): ${state}; free some space and build again (what was featurized is cached)`,
    { cause: err },
  );
}
