import { test, type Page } from '@playwright/test';

/*
 * A log of what the browser's service worker versions and the page's navigations did, from DevTools, for
 * a test to attach when it fails: a navigation Chromium loses during a takeover leaves nothing else behind
 * (the trace shows only a request that never ended), and which worker was stopping or waiting then is
 * what tells the cases apart (src/siteUpdate.ts).
 */

interface WorkerVersion {
  versionId: string;
  runningStatus: string;
  status: string;
}

export interface ServiceWorkerLog {
  /** Adds the log so far to the running test's report and prints it. */
  attach(): Promise<void>;
}

export async function logServiceWorkers(page: Page): Promise<ServiceWorkerLog> {
  const lines: string[] = [];
  const started = Date.now();
  const log = (line: string) => lines.push(`${String(Date.now() - started).padStart(6)} ms  ${line}`);
  const cdp = await page.context().newCDPSession(page);
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }: { versions: WorkerVersion[] }) => {
    for (const v of versions) log(`worker ${v.versionId}: ${v.status}, ${v.runningStatus}`);
  });
  page.on('request', (r) => {
    if (r.isNavigationRequest())
      log(`navigation ${r.frame() === page.mainFrame() ? 'page' : 'frame'} ${r.url()}`);
  });
  page.on('requestfinished', (r) => {
    if (r.isNavigationRequest()) log(`navigation answered ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    if (r.isNavigationRequest()) log(`navigation failed ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('load', () => log('load'));
  await cdp.send('ServiceWorker.enable');
  return {
    attach: async () => {
      const body = lines.join('\n');
      await test.info().attach('service workers and navigations', { body, contentType: 'text/plain' });
      // Printed too: the reporter shortens attachments, and a CI run keeps only its output.
      console.log(`service workers and navigations:\n${body}`);
    },
  };
}
