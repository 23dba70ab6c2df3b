import { describe, expect, it } from 'vitest';
import { QueryModel, type ModelSession, type ModelSource } from './modelSession';
import type { LoadProgress } from './searchApi';
import { fixtureModelSpec } from '../testing/modelSpecFixture';

const spec = fixtureModelSpec({
  input: { width: 2, height: 2, fit: 'stretch', mean: [0, 0, 0], std: [1, 1, 1] },
  output: { name: 'out', dim: 2 },
});

/** A build whose model file is `sha256`; counts how often the file is read. */
function source(sha256: string): ModelSource & { reads: number } {
  const s = {
    reads: 0,
    model: { id: spec.id, spec, file: { path: `model.${sha256}.onnx`, sha256, bytes: 3 } },
    async readModel(report: (p: LoadProgress) => void) {
      s.reads++;
      report({ stage: 'model', loadedBytes: 3, totalBytes: 3, fromCache: false, done: true });
      return new Uint8Array([1, 2, 3]).buffer;
    },
  };
  return s;
}

/** A session whose model maps every image to (3, 4), so its embedding is (0.6, 0.8). */
const session: ModelSession = {
  runner: { run: async () => new Float32Array([3, 4]) },
  executionProvider: 'wasm',
  threads: 2,
  webGpuError: 'no adapter',
};

/** A settable stand-in for openModelSession: each call waits for the test to resolve or reject it. */
function pendingOpens() {
  const calls: { resolve: (s: ModelSession) => void; reject: (e: Error) => void }[] = [];
  const open = () =>
    new Promise<ModelSession>((resolve, reject) => {
      calls.push({ resolve, reject });
    });
  return { calls, open };
}

const grey = { width: 2, height: 2, data: new Uint8ClampedArray(16).fill(128) };

describe('QueryModel', () => {
  it('loads once per model file and reports the session in status', async () => {
    const opens = pendingOpens();
    const model = new QueryModel(opens.open);
    expect(model.status()).toEqual({
      model: 'idle',
      modelError: null,
      executionProvider: null,
      webGpuError: null,
      threads: 0,
    });
    const build = source('a'.repeat(64));
    const stages: string[] = [];
    const first = model.ready(build, (p) => stages.push(`${p.stage}:${p.done}`));
    const second = model.ready(build, () => {});
    expect(model.status().model).toBe('loading');
    await expect.poll(() => opens.calls.length).toBe(1);
    opens.calls[0].resolve(session);
    expect(await first).toBe(session);
    expect(await second).toBe(session);
    expect(build.reads).toBe(1);
    expect(stages).toEqual(['model:true', 'runtime:false', 'runtime:true']);
    expect(model.isReady).toBe(true);
    expect(model.status()).toEqual({
      model: 'ready',
      modelError: null,
      executionProvider: 'wasm',
      webGpuError: 'no adapter',
      threads: 2,
    });
    expect(Array.from(await model.embed(build, grey, () => {}))).toEqual([
      expect.closeTo(0.6, 6),
      expect.closeTo(0.8, 6),
    ]);
    expect(opens.calls.length).toBe(1);
  });

  it('reports a failure and tries again on the next call', async () => {
    const opens = pendingOpens();
    const model = new QueryModel(opens.open);
    const build = source('b'.repeat(64));
    const failed = model.ready(build, () => {});
    await expect.poll(() => opens.calls.length).toBe(1);
    opens.calls[0].reject(new Error('no backend'));
    await expect(failed).rejects.toThrow('no backend');
    expect(model.status()).toMatchObject({ model: 'failed', modelError: 'no backend' });
    expect(model.isReady).toBe(false);
    const retried = model.ready(build, () => {});
    expect(model.status()).toMatchObject({ model: 'loading', modelError: null });
    await expect.poll(() => opens.calls.length).toBe(2);
    opens.calls[1].resolve(session);
    await retried;
    expect(model.status().model).toBe('ready');
  });

  it('starts from idle for a build with another model, and ignores the forgotten load', async () => {
    const opens = pendingOpens();
    const model = new QueryModel(opens.open);
    const old = source('c'.repeat(64));
    const oldLoad = model.ready(old, () => {});
    await expect.poll(() => opens.calls.length).toBe(1);
    model.keepOnly(old.model.file.sha256);
    expect(model.status().model).toBe('loading');
    model.keepOnly('d'.repeat(64));
    expect(model.status().model).toBe('idle');
    opens.calls[0].resolve(session);
    await oldLoad;
    expect(model.status()).toMatchObject({ model: 'idle', executionProvider: null, threads: 0 });
    const next = source('d'.repeat(64));
    const nextLoad = model.ready(next, () => {});
    await expect.poll(() => opens.calls.length).toBe(2);
    opens.calls[1].resolve({ ...session, executionProvider: 'webgpu', webGpuError: null });
    await nextLoad;
    expect(model.status()).toMatchObject({ model: 'ready', executionProvider: 'webgpu' });
    expect(old.reads).toBe(1);
    expect(next.reads).toBe(1);
  });
});
