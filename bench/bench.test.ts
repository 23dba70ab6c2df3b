import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { QUICK_BENCH_MS } from '../scripts/testTimeLimits';
import { BENCH_SECTIONS } from './results';

/*
 * `bench/runBench.ts --quick` end to end: small synthetic and fixture data, real Chromium. Checks the
 * shape of results.json (every area present, every number finite), not the figures themselves. The
 * time limit only stops a hung run: how long the bench takes never fails the test.
 */

const out = mkdtempSync(path.join(tmpdir(), 'lookalike-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function nonFinite(value: unknown, at: string): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFinite(v, `${at}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => nonFinite(v, `${at}.${k}`));
  return [];
}

test('bench --quick writes well-formed results with every area', { timeout: QUICK_BENCH_MS }, () => {
  const tsx = path.join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');
  const run = spawnSync(tsx, ['bench/runBench.ts', '--quick', '--out', out], {
    cwd: path.join(import.meta.dirname, '..'),
    encoding: 'utf8',
    // Below the test's own limit, so that a hung run still reports its output.
    timeout: QUICK_BENCH_MS - 60_000,
  });
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Record<string, unknown>;
  expect(results.mode).toBe('quick');
  const machine = results.machine as Record<string, unknown>;
  expect(machine.cores).toBeGreaterThan(0);
  for (const key of ['cpuModel', 'node', 'chromium']) expect(typeof machine[key]).toBe('string');
  for (const name of BENCH_SECTIONS) {
    const s = results[name] as { ok: boolean; error?: string; data?: unknown };
    expect(s, name).toBeDefined();
    expect(s.ok, `${name}: ${s.error}`).toBe(true);
    expect(s.data, name).toBeDefined();
  }
  expect(nonFinite(results, 'results')).toEqual([]);
});
