import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../scripts/serve';
import { writeDuplicatesFixtureImages, writeFixtureImages } from '../testing/fixtureImages';
import {
  CALIBRATED_EMOJI_PER_ALBUM,
  CALIBRATED_IMAGES_DIR,
  DIST_DIR_ENV,
  E2E_CALIBRATED_DATA_DIR,
  DUPLICATES_IMAGES_DIR,
  E2E_DATA_DIR,
  E2E_DIR,
  E2E_DUPLICATES_DATA_DIR,
  E2E_SHARDED_DATA_DIR,
  FIXTURE_IMAGES_DIR,
  SERVER_URL_ENV,
} from './harness';
import { REPO_ROOT } from '../testing/repoRoot';

/*
 * Builds what the e2e tests run against and serves it: (a) the fixture collection and its data dirs,
 * resident (npm run build-index) and sharded (e2e/buildShardedFixture.ts), and a 1020-image collection
 * big enough to be calibrated (e2e/calibration.ui.spec.ts), all skipping work when
 * nothing changed, (b) the site (vite build with the test
 * hook exposed) into a per-run dir, removed afterwards, (c) a static server on a free port without
 * COOP/COEP headers, like S3.
 */

function run(what: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`e2e setup: ${what} failed (exit ${result.status ?? result.signal}):\n${output}`);
  }
  console.log(`e2e setup: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);

export default async function globalSetup(): Promise<() => Promise<void>> {
  writeFixtureImages(FIXTURE_IMAGES_DIR);
  writeFixtureImages(CALIBRATED_IMAGES_DIR, CALIBRATED_EMOJI_PER_ALBUM);
  run('build-index', bin('tsx'), [
    'index-builder/buildIndexCli.ts',
    '--source',
    FIXTURE_IMAGES_DIR,
    '--data-dir',
    E2E_DATA_DIR,
    '--quiet',
  ]);
  run('build-index (calibrated fixture)', bin('tsx'), [
    'index-builder/buildIndexCli.ts',
    '--source',
    CALIBRATED_IMAGES_DIR,
    '--data-dir',
    E2E_CALIBRATED_DATA_DIR,
    '--quiet',
  ]);
  await writeDuplicatesFixtureImages(DUPLICATES_IMAGES_DIR);
  run('build-index (duplicates fixture)', bin('tsx'), [
    'index-builder/buildIndexCli.ts',
    '--source',
    DUPLICATES_IMAGES_DIR,
    '--data-dir',
    E2E_DUPLICATES_DATA_DIR,
    '--quiet',
  ]);
  run('build sharded fixture', bin('tsx'), [
    'e2e/buildShardedFixture.ts',
    FIXTURE_IMAGES_DIR,
    E2E_SHARDED_DATA_DIR,
  ]);
  const distDir = join(E2E_DIR, `dist-${process.pid}`);
  run('vite build', bin('vite'), ['build', '--outDir', distDir, '--emptyOutDir', '--logLevel', 'warn'], {
    VITE_EXPOSE_SEARCH_API: 'true',
  });
  process.env[DIST_DIR_ENV] = distDir;
  const server = await startServer({ distDir, dataDir: E2E_DATA_DIR, port: 0, isolationHeaders: false });
  process.env[SERVER_URL_ENV] = server.url;
  console.log(`e2e setup: serving ${server.url}`);
  return async () => {
    await server.close();
    rmSync(distDir, { recursive: true, force: true });
  };
}
