import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureData, type FixtureData } from '../testing/deployFixture';
import { describePublication } from './publication';

let tmp: string;
let data: FixtureData;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-publication-'));
  data = await writeFixtureData(join(tmp, 'data'), 1);
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('describePublication', () => {
  it("publishes what the manifest reaches, names stray files it leaves out, and keeps quiet about the builder's own", async () => {
    const dataDir = join(tmp, 'data');
    const publish = async () => {
      const lines: string[] = [];
      const files = await describePublication({
        siteDir: undefined,
        dataDir,
        prefix: '',
        concurrency: 2,
        log: (l) => lines.push(l),
      });
      return { lines, paths: files.map((f) => f.file.sitePath).sort() };
    };
    // The fixture holds build-report.json, which no deploy publishes: an ordinary build says nothing.
    const quiet = await publish();
    expect(quiet.paths).toEqual(['data/manifest.json', ...data.referenced.map((p) => `data/${p}`)].sort());
    expect(quiet.lines).toEqual([]);

    await writeFile(join(dataDir, 'notes.txt'), 'mine');
    const noisy = await publish();
    expect(noisy.paths).toEqual(quiet.paths);
    expect(noisy.lines).toEqual(['not published (the manifest does not reach them): notes.txt']);
  });
});
