import type { InferenceSession } from 'onnxruntime-web';
import { errorMessage } from '../core/errorMessage';
import { featurize, type ModelRunner } from '../core/featurize';
import type { Manifest } from '../core/manifest';
import type { ModelSpec } from '../core/modelSpec';
import type { RgbaImage } from '../core/rgbaImage';
import { loadOrtRuntime, webGpuAvailable, type ExecutionProvider, type OrtRuntime } from './ortRuntime';
import type { ReportProgress } from './progressThrottle';
import type { WorkerStatus } from './searchApi';

/** A ready onnxruntime-web session for the index's model, wrapped as core's ModelRunner. */
export interface ModelSession {
  runner: ModelRunner;
  executionProvider: ExecutionProvider;
  threads: number;
  /** Why the model runs on WASM although the browser offered WebGPU; null otherwise. */
  webGpuError: string | null;
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
      webGpuError = errorMessage(err);
      console.warn(`WebGPU session failed, using WASM: ${webGpuError}`);
    }
  }
  return { ...(await createSession('wasm', modelBytes, spec)), webGpuError };
}

/** Where a build's model comes from: the manifest's entry for it and a reader of its verified bytes. */
export interface ModelSource {
  readonly model: Manifest['model'];
  readModel(report: ReportProgress): Promise<ArrayBuffer>;
}

/** What status() says about the model. */
export type ModelStatus = Pick<
  WorkerStatus,
  'model' | 'modelError' | 'executionProvider' | 'webGpuError' | 'threads'
>;

/**
 * The model own-image queries run through: model file + runtime loaded on first use, once per model file
 * (by its sha256); a failure is reported in status and retried on the next call.
 */
export class QueryModel {
  private loading: { sha256: string; promise: Promise<ModelSession> } | null = null;
  private session: ModelSession | null = null;
  private state: WorkerStatus['model'] = 'idle';
  private error: string | null = null;

  constructor(private readonly open: typeof openModelSession = openModelSession) {}

  /** The ready session for `source`'s model, loading it (reported as 'model' then 'runtime') if needed. */
  ready(source: ModelSource, report: ReportProgress): Promise<ModelSession> {
    const { file, spec } = source.model;
    if (this.loading && this.loading.sha256 === file.sha256) return this.loading.promise;
    this.state = 'loading';
    this.error = null;
    const promise = (async () => {
      const bytes = await source.readModel(report);
      report({ stage: 'runtime', loadedBytes: 0, totalBytes: null, fromCache: false, done: false });
      const session = await this.open(new Uint8Array(bytes), spec);
      report({ stage: 'runtime', loadedBytes: 0, totalBytes: null, fromCache: false, done: true });
      return session;
    })();
    const entry = { sha256: file.sha256, promise };
    this.loading = entry;
    promise.then(
      (session) => {
        if (this.loading !== entry) return;
        this.session = session;
        this.state = 'ready';
      },
      (err: unknown) => {
        if (this.loading !== entry) return;
        this.loading = null;
        this.state = 'failed';
        this.error = errorMessage(err);
      },
    );
    return promise;
  }

  /** The embedding of one image by `source`'s model (L2-normalised, as core's featurize gives it). */
  async embed(source: ModelSource, image: RgbaImage, report: ReportProgress): Promise<Float32Array> {
    const session = await this.ready(source, report);
    const [embedding] = await featurize(session.runner, source.model.spec, [image]);
    return embedding;
  }

  /** Forgets a session started for another model file: a build with another model starts from 'idle'. */
  keepOnly(sha256: string): void {
    if (this.loading === null || this.loading.sha256 === sha256) return;
    this.loading = null;
    this.session = null;
    this.state = 'idle';
    this.error = null;
  }

  /** Whether the model has loaded (its file is then one the browser should keep). */
  get isReady(): boolean {
    return this.state === 'ready';
  }

  status(): ModelStatus {
    return {
      model: this.state,
      modelError: this.error,
      executionProvider: this.session?.executionProvider ?? null,
      webGpuError: this.session?.webGpuError ?? null,
      threads: this.session?.threads ?? 0,
    };
  }
}
