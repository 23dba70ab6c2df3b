import { Worker } from 'node:worker_threads';
import type { ModelSpec } from '../core/modelSpec';
import type { OnnxModelRunner } from './onnxModelRunner';
import type { WorkerReply, WorkerRequest } from './onnxWorker';

// The worker is a .ts file: register tsx's loader inside it first (execArgv loaders do not reach
// workers on Node 20). The bootstrap is CommonJS eval code, so it gets absolute URLs only.
function startWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./onnxWorker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true });
}

/**
 * A ModelRunner whose inference runs on a worker thread, so the caller can preprocess the next batch
 * while this one runs. Calls are answered in order; release() ends the worker.
 */
export async function createWorkerModelRunner(
  onnxPath: string,
  spec: ModelSpec,
  threads?: number,
): Promise<OnnxModelRunner> {
  const worker = startWorker();
  const waiting = new Map<number, { resolve: (o: Float32Array) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let lifecycle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  let dead: Error | undefined;

  const failAll = (err: Error) => {
    dead = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
    lifecycle?.reject(err);
    lifecycle = undefined;
  };
  worker.on('message', (msg: WorkerReply) => {
    if (msg.kind === 'output') {
      waiting.get(msg.id)?.resolve(msg.output);
      waiting.delete(msg.id);
    } else if (msg.kind === 'error' && msg.id !== undefined) {
      waiting.get(msg.id)?.reject(new Error(msg.message));
      waiting.delete(msg.id);
    } else if (msg.kind === 'error') {
      lifecycle?.reject(new Error(msg.message));
      lifecycle = undefined;
    } else {
      lifecycle?.resolve();
      lifecycle = undefined;
    }
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`inference worker exited (code ${code})`)));

  const lifecycleCall = (req: WorkerRequest) =>
    new Promise<void>((resolve, reject) => {
      if (dead) return reject(dead);
      lifecycle = { resolve, reject };
      worker.postMessage(req);
    });

  try {
    await lifecycleCall({ kind: 'init', onnxPath, spec, threads });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  return {
    run(input: Float32Array, dims: readonly number[]): Promise<Float32Array> {
      return new Promise((resolve, reject) => {
        if (dead) return reject(dead);
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        // Transfer, not copy: the batch is tens of MB and the caller is done with it.
        const owned =
          input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input : input.slice();
        worker.postMessage({ kind: 'run', id, input: owned, dims: [...dims] } satisfies WorkerRequest, [
          owned.buffer as ArrayBuffer,
        ]);
      });
    },
    async release(): Promise<void> {
      if (!dead) await lifecycleCall({ kind: 'release' }).catch(() => undefined);
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
