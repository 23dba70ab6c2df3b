import type { ModelSpec } from '../../core/modelSpec';
import type { OnnxModelRunner } from '../onnxModelRunner';
import { createWorkerModelRunner } from '../workerModelRunner';

/**
 * Loaded models of a worker process, by the model file's SHA-256. Loading costs a fraction of a
 * second per job otherwise; each runner serves one job at a time, so concurrent jobs never share one
 * and a job that failed can throw its runner away without hurting another.
 */
export class RunnerPool {
  private readonly idle = new Map<string, OnnxModelRunner[]>();

  constructor(private readonly threads?: number) {}

  /** An idle runner of that model, or a newly loaded one. */
  async take(sha256: string, onnxPath: string, spec: ModelSpec): Promise<OnnxModelRunner> {
    return this.idle.get(sha256)?.pop() ?? createWorkerModelRunner(onnxPath, spec, this.threads);
  }

  /** Back for the next job, after a job that went well. */
  give(sha256: string, runner: OnnxModelRunner): void {
    const list = this.idle.get(sha256) ?? [];
    list.push(runner);
    this.idle.set(sha256, list);
  }

  async releaseAll(): Promise<void> {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((r) => r.release()));
  }
}
