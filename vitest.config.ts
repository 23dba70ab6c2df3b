import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,models,index-builder,workers,src,scripts,deploy,storage,testing,bench}/**/*.test.ts'],
    globalSetup: ['testing/vitestGlobalSetup.ts'],
    // Limits catch hangs, not slowness: UNIT_TEST_MS and UNIT_HOOK_MS in testing/timeLimits.ts
    // (written out here: Vite's config loader warns about extensionless imports).
    testTimeout: 10 * 60_000,
    hookTimeout: 15 * 60_000,
    // 2-core machines: tests that run ONNX models or servers compete for the same cores.
    maxWorkers: 2,
  },
});
