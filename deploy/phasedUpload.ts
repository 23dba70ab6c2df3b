import type { S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { PlannedFile } from './deployPlan';
import { uploadObject } from './objectUpload';
import { prepareBody } from './preparedBody';
import { PHASE_NAMES, UploadPhase } from './publishRules';
import { withRetry, type RetryPolicy } from './retry';
import type { UploadProgress } from './uploadProgress';
import { formatBytes } from '../core/formatBytes';

interface UploadSettings {
  client: S3Client;
  bucket: string;
  concurrency: number;
  retry: RetryPolicy;
  partSize: number;
  progress: UploadProgress;
  /** Runs before each phase; throwing stops the deploy there (the deploy lock's check). */
  beforePhase?: () => Promise<void>;
}

export class DeployInterruptedError extends Error {
  constructor(
    readonly phase: UploadPhase,
    readonly failures: { key: string; error: unknown }[],
  ) {
    const first = failures[0];
    super(
      `upload of ${failures.length} file(s) in phase '${PHASE_NAMES[phase]}' failed ` +
        `(first: ${first.key}: ${first.error instanceof Error ? first.error.message : String(first.error)}); ` +
        'later phases were not started, so visitors still get the previous site. Run the deploy again.',
    );
    this.name = 'DeployInterruptedError';
  }
}

async function uploadOne(s: UploadSettings, f: PlannedFile): Promise<number> {
  // Read again rather than kept from planning: a data dir can be gigabytes of originals.
  const body = await prepareBody(f.file.localPath, f.rule.compressible);
  if (body.sha256 !== f.sha256) {
    throw new Error(`${f.file.localPath} changed while deploying; run the deploy again once it is stable`);
  }
  await withRetry(
    s.retry,
    () =>
      uploadObject(
        s.client,
        {
          bucket: s.bucket,
          key: f.key,
          body: body.body,
          contentType: f.rule.contentType,
          contentEncoding: body.contentEncoding,
          cacheControl: f.rule.cacheControl,
          sha256: body.sha256,
        },
        s.partSize,
      ),
    (err, attempt) =>
      s.progress.log(
        `retrying ${f.key} after attempt ${attempt}: ${err instanceof Error ? err.message : err}`,
      ),
  );
  return body.body.length;
}

/**
 * Uploads phase by phase: a phase starts only when every file of the earlier phases is stored, and
 * the first failure stops the deploy at the end of its phase, before anything that would make
 * visitors see the new files (see UploadPhase).
 */
export async function uploadInPhases(s: UploadSettings, uploads: PlannedFile[]): Promise<void> {
  const phases = [...new Set(uploads.map((f) => f.rule.phase))].sort((a, b) => a - b);
  const limit = pLimit(s.concurrency);
  for (const phase of phases) {
    await s.beforePhase?.();
    const count = uploads.filter((f) => f.rule.phase === phase).length;
    s.progress.log(`phase ${phase + 1}/6, ${PHASE_NAMES[phase]}: ${count} file(s)`);
    const failures: { key: string; error: unknown }[] = [];
    await Promise.all(
      uploads
        .filter((f) => f.rule.phase === phase)
        .map((f) =>
          limit(async () => {
            if (failures.length > 0) return; // the phase is lost: do not spend time on the rest of it
            try {
              const stored = await uploadOne(s, f);
              const note = f.contentEncoding === 'gzip' ? `(gzip, ${formatBytes(f.size)} on disk)` : '';
              s.progress.fileDone(f.file.sitePath, stored, note);
            } catch (error) {
              failures.push({ key: f.key, error });
            }
          }),
        ),
    );
    if (failures.length > 0) throw new DeployInterruptedError(phase, failures);
  }
}
