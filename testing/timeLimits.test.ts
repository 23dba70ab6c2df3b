import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import playwrightConfig from '../playwright.config';
import vitestConfig from '../vitest.config';
import { DEFAULT_LINE_WAIT_MS } from './cliProcess';
import {
  E2E_EXPECT_MS,
  E2E_TEST_MS,
  QUICK_BENCH_MS,
  UNIT_HOOK_MS,
  UNIT_TEST_MS,
  WAIT_MS,
} from './timeLimits';

/*
 * No test may pass or fail on speed: time limits only stop hangs, and they must hold on a loaded
 * 2-core machine. These checks fail when a limit is set below what such a machine needs.
 */

const root = join(import.meta.dirname, '..');
const MINUTE = 60_000;

function sources(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(root, dir))
    .filter((f) => pattern.test(f))
    .map((f) => join(dir, f));
}

/**
 * Literal millisecond limits written in a file, with the least each may be: a whole test or hook
 * (`test.setTimeout(…)`, `}, 180_000);`) at least the suite default, one wait at least 2 minutes.
 */
function tooShortLimits(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found = [...text.matchAll(/(timeout:\s*|timeoutMs = |test\.setTimeout\(|^\}, )(\d[\d_]*)/gm)];
  return found
    .map((m) => ({
      whole: m[1].startsWith('test.') || m[1].startsWith('}'),
      ms: Number(m[2].replaceAll('_', '')),
    }))
    .filter(({ whole, ms }) => ms < (whole ? UNIT_TEST_MS : 2 * MINUTE))
    .map(({ ms }) => `${file}: ${ms} ms`);
}

describe('test time limits', () => {
  it('are generous in the suite configs', () => {
    expect(UNIT_TEST_MS).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(UNIT_HOOK_MS).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(E2E_TEST_MS).toBeGreaterThanOrEqual(10 * MINUTE);
    expect(E2E_EXPECT_MS).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(QUICK_BENCH_MS).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(WAIT_MS).toBeGreaterThanOrEqual(2 * MINUTE);
    // The distributed tests wait for a CLI's output with the product's default, which must not be stricter.
    expect(DEFAULT_LINE_WAIT_MS).toBeGreaterThanOrEqual(WAIT_MS);
    expect(vitestConfig.test?.testTimeout).toBe(UNIT_TEST_MS);
    expect(vitestConfig.test?.hookTimeout).toBe(UNIT_HOOK_MS);
    expect(playwrightConfig.timeout).toBe(E2E_TEST_MS);
    expect(playwrightConfig.expect?.timeout).toBe(E2E_EXPECT_MS);
  });

  it('are not lowered by the bench, the e2e specs or the shared test helpers', () => {
    const files = [
      ...sources('e2e', /\.ts$/),
      ...sources('testing', /\.ts$/),
      'bench/bench.test.ts',
      'bench/firstVisitBench.ts',
    ];
    expect(files.flatMap(tooShortLimits)).toEqual([]);
    const benchTest = readFileSync(join(root, 'bench/bench.test.ts'), 'utf8');
    expect(benchTest).toContain('timeout: QUICK_BENCH_MS');
  });
});
