import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{core,models,index-builder,workers,src,scripts,deploy,bench}/**/*.test.ts'],
    globalSetup: ['scripts/testGlobalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // 2-core machines: tests that run ONNX models or servers compete for the same cores.
    maxWorkers: 2,
  },
});
