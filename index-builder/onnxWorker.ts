import { parentPort } from 'node:worker_threads';
import type { ModelSpec } from '../core/modelSpec';
import { createOnnxModelRunner, type OnnxModelRunner } from './onnxModelRunner';

/*
 * Worker-thread side of WorkerModelRunner. onnxruntime-node runs a session synchronously on the
 * calling thread, so inference lives here and the main thread stays free to decode and preprocess
 * the next batch meanwhile. Messages are handled one at a time, in order.
 */

export type WorkerRequest =
  | { kind: 'init'; onnxPath: string; spec: ModelSpec; threads?: number }
  | { kind: 'run'; id: number; input: Float32Array; dims: number[] }
  | { kind: 'release' };

export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'output'; id: number; output: Float32Array }
  | { kind: 'error'; id?: number; message: string }
  | { kind: 'released' };

const port = parentPort;
if (port === null) throw new Error('onnxWorker must run in a worker thread');

let runner: OnnxModelRunner | undefined;
let queue = Promise.resolve();

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function handle(req: WorkerRequest): Promise<void> {
  try {
    if (req.kind === 'init') {
      runner = await createOnnxModelRunner(req.onnxPath, req.spec, req.threads);
      reply({ kind: 'ready' });
    } else if (req.kind === 'run') {
      if (runner === undefined) throw new Error('model not loaded');
      const output = await runner.run(req.input, req.dims);
      // The output may be a view into memory ORT reuses: send a copy the main thread owns.
      const owned = Float32Array.from(output);
      reply({ kind: 'output', id: req.id, output: owned }, [owned.buffer]);
    } else {
      await runner?.release();
      runner = undefined;
      reply({ kind: 'released' });
    }
  } catch (err) {
    reply({ kind: 'error', id: req.kind === 'run' ? req.id : undefined, message: (err as Error).message });
  }
}

port.on('message', (req: WorkerRequest) => {
  queue = queue.then(() => handle(req));
});
