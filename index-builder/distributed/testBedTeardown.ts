import { rm } from 'node:fs/promises';
import type { CliProcess } from './cliProcess';

/**
 * Stops what a distributed-build test started, whatever state it is in: CLI processes still running
 * (SIGKILL), the Redis and s3rver servers, environment overrides (restored from `savedEnv`), the temp dir.
 */
export async function tearDownTestBed(bed: {
  children: CliProcess[];
  redis?: { stop(): Promise<void> };
  s3?: { stop(): Promise<void> };
  savedEnv?: Record<string, string | undefined>;
  root?: string;
}): Promise<void> {
  for (const c of bed.children)
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await bed.redis?.stop();
  await bed.s3?.stop();
  for (const [k, v] of Object.entries(bed.savedEnv ?? {})) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (bed.root !== undefined) await rm(bed.root, { recursive: true, force: true });
}
