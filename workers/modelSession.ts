import type { InferenceSession } from 'onnxruntime-web';
import { featurize, type ModelRunner } from '../core/featurize';
import type { ModelSpec } from '../core/modelSpec';
import { loadOrtRuntime, webGpuAvailable, type ExecutionProvider, type OrtRuntime } from './ortRuntime';

/** A ready onnxruntime-web session for the index's model, wrapped as core's ModelRunner. */
export interface ModelSession {
  runner: ModelRunner;
  executionProvider: ExecutionProvider;
  threads: number;
  /** Why the model runs on WASM although the browser offered WebGPU; null otherwise. */
  webGpuError: string | null;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function runnerFor(runtime: OrtRuntime, session: InferenceSession, spec: ModelSpec): ModelRunner {
  const { ort } = runtime;
  return {
    async run(input: Float32Array, dims: readonly number[]): Promise<Float32Array> {
      const feeds = { [spec.input.name]: new ort.Tensor('float32', input, dims) };
      const outputs = await session.run(feeds, [spec.output.name]);
      const output = outputs[spec.output.name];
      if (!output) throw new Error(`model '${spec.id}' has no output named '${spec.output.name}'`);
      if (output.type !== 'float32')
        throw new Error(`model '${spec.id}' output is ${output.type}, expected float32`);
      // Copy out of the runtime's memory before the tensor is released.
      const data = Float32Array.from(output.data as Float32Array);
      output.dispose();
      return data;
    },
  };
}

async function createSession(provider: ExecutionProvider, modelBytes: Uint8Array, spec: ModelSpec) {
  const runtime = await loadOrtRuntime(provider);
  const session = await runtime.ort.InferenceSession.create(modelBytes, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
  });
  return { runner: runnerFor(runtime, session, spec), executionProvider: provider, threads: runtime.threads };
}

/** One embedding of a grey image: a provider that cannot run the model fails here, not on a user's query. */
async function smokeTest(runner: ModelRunner, spec: ModelSpec): Promise<void> {
  const grey = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 4).fill(128) };
  const [out] = await featurize(runner, spec, [grey]);
  if (out.length === 0 || !out.every(Number.isFinite))
    throw new Error('the model gives no finite embedding on this provider');
}

/**
 * Starts the model on WebGPU when the browser has an adapter, else on WASM. A WebGPU failure (driver,
 * unsupported operator) falls back to WASM rather than leaving own-image search broken.
 */
export async function openModelSession(modelBytes: Uint8Array, spec: ModelSpec): Promise<ModelSession> {
  let webGpuError: string | null = null;
  if (await webGpuAvailable()) {
    try {
      const session = await createSession('webgpu', modelBytes, spec);
      await smokeTest(session.runner, spec);
      return { ...session, webGpuError };
    } catch (err) {
      webGpuError = describe(err);
      console.warn(`WebGPU session failed, using WASM: ${webGpuError}`);
    }
  }
  return { ...(await createSession('wasm', modelBytes, spec)), webGpuError };
}
