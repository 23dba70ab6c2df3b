import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSource } from '../core/dataSource';

/** A DataSource over a local data dir (the query CLI, tests), reading only the requested bytes. */
export function fileDataSource(dataDir: string): DataSource {
  return {
    async file(path) {
      return new Uint8Array(await readFile(join(dataDir, path)));
    },
    async range(path, start, end) {
      const fh = await open(join(dataDir, path), 'r');
      try {
        // A range past the end gets what is there (as over HTTP), never a buffer the size of the ask.
        const { size } = await fh.stat();
        const out = new Uint8Array(Math.max(0, Math.min(end, size) - start));
        const { bytesRead } = await fh.read(out, 0, out.length, start);
        return out.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
  };
}
