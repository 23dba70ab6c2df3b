import { pathToFileURL } from 'node:url';
import { buildIndex } from '../index-builder/buildIndex';
import { FolderSource } from '../index-builder/folderSource';
import { loadModel } from '../index-builder/loadModel';

/*
 * `tsx e2e/buildShardedFixture.ts <images dir> <data dir>`: the fixture images as a sharded data dir
 * (docs/index-format.md), with cells of 3 rows and catalog shards of 4 items so that 30 images make
 * many of each. globalSetup runs it like build-index; embeddings come from the shared cache.
 */

const SHARDED_FIXTURE_OPTIONS = { layout: 'sharded', rowsPerCell: 3, shardSize: 4 } as const;

async function main(imagesDir: string, dataDir: string): Promise<void> {
  const { upToDate, report } = await buildIndex({
    source: new FolderSource(imagesDir),
    dataDir,
    model: await loadModel(),
    ...SHARDED_FIXTURE_OPTIONS,
  });
  console.log(`${upToDate ? 'up to date' : 'built'}: ${report.counts.indexed} images in ${dataDir}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [imagesDir, dataDir] = process.argv.slice(2);
  if (!imagesDir || !dataDir) throw new Error('usage: buildShardedFixture.ts <images dir> <data dir>');
  await main(imagesDir, dataDir);
}
