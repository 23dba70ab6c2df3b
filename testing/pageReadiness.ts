import type { Page } from '@playwright/test';
import { E2E_EXPECT_MS } from '../scripts/testTimeLimits';
// window.__lookalike's type: a global that src/searchClient.ts declares for the e2e build.
import type {} from '../src/searchClient';

/*
 * Waits on a page of the e2e build (made with VITE_EXPOSE_SEARCH_API=true), shared by the e2e specs
 * and the bench's browser measurements.
 */

/** Waits until the page has exposed the search client. */
export async function waitForSearchApi(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__lookalike !== undefined, undefined, { timeout: E2E_EXPECT_MS });
}

/** Resolves once a service worker controls the page and the shell is precached. */
export async function waitForOfflineReady(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__lookalike?.offlineStatus().state === 'ready', undefined, {
    timeout: E2E_EXPECT_MS,
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: E2E_EXPECT_MS,
  });
}
