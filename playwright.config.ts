import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './testing/chromium';
import { E2E_EXPECT_MS, E2E_TEST_MS } from './testing/timeLimits';

// Several people run e2e tests on one checkout: each run writes its artifacts to its own folder.
const runId = (process.env.LOOKALIKE_E2E_RUN ??= String(process.pid));

// One worker: the machine has 2 cores shared with other jobs, and a test that loads the model is CPU-bound.
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/globalSetup.ts',
  workers: 1,
  fullyParallel: false,
  // Limits catch hangs, not slowness (testing/timeLimits.ts).
  timeout: E2E_TEST_MS,
  expect: { timeout: E2E_EXPECT_MS },
  reporter: [['list']],
  outputDir: `test-results/run-${runId}`,
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    serviceWorkers: 'allow',
    trace: 'retain-on-failure',
  },
});
