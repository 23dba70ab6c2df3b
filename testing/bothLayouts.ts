import { join } from 'node:path';
import { buildIndex } from '../index-builder/buildIndex';
import { FolderSource } from '../index-builder/folderSource';
import { loadModel } from '../index-builder/loadModel';
import { writeFixtureImages } from './fixtureImages';

/**
 * The fixture images built both ways under `tmp`: `resident/` and `sharded/`, both with tiny catalog
 * shards and the sharded one with tiny cells, so 30 images make many of each (tests comparing the two
 * layouts' readers).
 */
export async function buildBothLayouts(tmp: string): Promise<{ residentDir: string; shardedDir: string }> {
  const images = join(tmp, 'images');
  writeFixtureImages(images);
  const model = await loadModel();
  const cacheDir = join(tmp, 'cache');
  const residentDir = join(tmp, 'resident');
  const shardedDir = join(tmp, 'sharded');
  await buildIndex({
    source: new FolderSource(images),
    dataDir: residentDir,
    model,
    cacheDir,
    layout: 'resident',
    shardSize: 4,
  });
  await buildIndex({
    source: new FolderSource(images),
    dataDir: shardedDir,
    model,
    cacheDir,
    layout: 'sharded',
    rowsPerCell: 3,
    shardSize: 4,
  });
  return { residentDir, shardedDir };
}
