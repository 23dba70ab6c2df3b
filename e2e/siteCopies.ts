import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { SKIP_WAITING } from '../src/siteUpdate';
import { E2E_DATA_DIR, E2E_DIR, E2E_DIST_DIR } from './harness';

// Removed when the test worker exits: each run left a few hundred MB under generated/e2e (4.7 GB after
// some dozens of runs).
const made = new Set<string>();
process.on('exit', () => {
  for (const root of made) rmSync(root, { recursive: true, force: true });
});

/** Private copies of the e2e app build and data dir that a test may change. */
export function copies(name: string): { dist: string; data: string } {
  const root = join(E2E_DIR, `${name}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  made.add(root);
  const dist = join(root, 'dist');
  const data = join(root, 'data');
  cpSync(E2E_DIST_DIR, dist, { recursive: true });
  cpSync(E2E_DATA_DIR, data, { recursive: true });
  return { dist, data };
}

export const DEPLOY_MARKER = 'lookalike-e2e-deploy';

/**
 * Deploys another version of the app: index.html gets a marker the page can be asked for, and the
 * service worker's precache list a new revision for it, so browsers install the new worker.
 */
export function deployNewApp(dist: string): void {
  const html = join(dist, 'index.html');
  writeFileSync(html, readFileSync(html, 'utf8').replace('<head>', `<head><meta name="${DEPLOY_MARKER}">`));
  const sw = join(dist, 'serviceWorker.js');
  const before = readFileSync(sw, 'utf8');
  const after = before.replace(
    /"revision":"[0-9a-f]+","url":"index\.html"/,
    '"revision":"e2e2","url":"index.html"',
  );
  if (after === before) throw new Error("cannot find index.html's revision in serviceWorker.js");
  writeFileSync(sw, after);
}

/**
 * Asks the page's service worker registration for the newly deployed worker, and tells one that waits
 * to take over, as the app does when it needs the new app. Callers poll: Chromium activates it once the
 * old worker is idle, up to its 30 s idle timeout when a fetch woke it (src/siteUpdate.ts).
 */
export async function takeOverByNewApp(page: Page): Promise<void> {
  await page.evaluate(async (skipWaiting) => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration?.update();
    registration?.waiting?.postMessage(skipWaiting);
  }, SKIP_WAITING);
}
