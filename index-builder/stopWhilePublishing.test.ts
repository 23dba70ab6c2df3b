import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { makeFixtureCollection } from '../testing/builderFixtures';
import { BUILD_LOCK_FILE, MANIFEST_FILE, STAGING_DIR } from '../storage/dataDirNames';
import { buildIndex } from './buildIndex';
import { BuildStopped } from './buildInterrupt';
import * as fitTransform from './fitTransform';
import { FolderSource } from './folderSource';
import { loadModel, type LoadedModel } from './loadModel';

/*
 * A stop asked for once the images are featurized, while the transform is fitted (minutes on a large
 * collection), used to go unheard until the build had published. It now stops the build at the last
 * moment before the manifest is written. The stop is made from inside the fit itself, so the test
 * does not depend on how long anything takes.
 */

let tmp: string;
let model: LoadedModel;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lookalike-stop-publishing-'));
  await makeFixtureCollection(join(tmp, 'src'));
  model = await loadModel();
});

afterAll(async () => {
  vi.restoreAllMocks();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

it('a stop asked for while the transform is fitted leaves the published build as it was', async () => {
  const data = join(tmp, 'data');
  const options = {
    source: new FolderSource(join(tmp, 'src')),
    dataDir: data,
    model,
    cacheDir: join(tmp, 'cache'),
  };
  await buildIndex(options);
  const before = await readFile(join(data, MANIFEST_FILE));

  const controller = new AbortController();
  const fit = fitTransform.fitCollectionTransform;
  const spy = vi.spyOn(fitTransform, 'fitCollectionTransform').mockImplementation((...args) => {
    controller.abort(new BuildStopped('by SIGTERM', 143));
    return fit(...args);
  });
  await expect(buildIndex({ ...options, refit: true, signal: controller.signal })).rejects.toThrow(
    /stopped by SIGTERM; the published index was not changed/,
  );
  expect(spy).toHaveBeenCalled();
  expect(await readFile(join(data, MANIFEST_FILE))).toEqual(before);
  expect(existsSync(join(data, BUILD_LOCK_FILE))).toBe(false);
  expect(existsSync(join(data, STAGING_DIR))).toBe(false);
});
