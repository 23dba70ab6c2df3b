/*
 * Time limits of the test suites. They exist to stop a hung test, never to judge speed: on a shared
 * 2-core machine a test that takes 20 s alone can take minutes, so every limit is far above the
 * slowest run we have seen (docs: README "Tests"). No test may pass or fail on how fast it ran.
 */

const MINUTE = 60_000;

/** Default limit of one Vitest test. */
export const UNIT_TEST_MS = 10 * MINUTE;
/** Vitest hooks (beforeAll builds fixtures, starts s3rver or Redis). */
export const UNIT_HOOK_MS = 15 * MINUTE;
/** One Playwright test (several page loads, model in the browser). */
export const E2E_TEST_MS = 10 * MINUTE;
/** One Playwright expect / waitForFunction poll. */
export const E2E_EXPECT_MS = 2 * MINUTE;
/** One wait inside a test for a child process's line, a poll or a page element. */
export const WAIT_MS = 5 * MINUTE;
/** The whole `bench --quick` run inside Vitest (its own child process). */
export const QUICK_BENCH_MS = 45 * MINUTE;
