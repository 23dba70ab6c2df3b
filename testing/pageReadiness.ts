import type { Page } from '@playwright/test';
import { E2E_EXPECT_MS } from './timeLimits';
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

/**
 * Resolves once the page says it works offline: a service worker controls it, the shell is precached,
 * and the open build's albums and their results are stored (statusNotices' "works offline").
 */
export async function waitForOfflineReady(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__lookalike?.offlineStatus().state === 'ready', undefined, {
    timeout: E2E_EXPECT_MS,
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
    timeout: E2E_EXPECT_MS,
  });
  // And the albums and their results, which the background preload reads ahead after the first content.
  await page.waitForFunction(
    async () => (await window.__lookalike!.searchClient.status()).browseDataStored,
    undefined,
    { timeout: E2E_EXPECT_MS },
  );
}
