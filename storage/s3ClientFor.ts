import { S3Client } from '@aws-sdk/client-s3';

interface S3Target {
  region: string | undefined;
  endpoint: string | undefined;
  /** Attempts per request, SDK-level (standard retry mode: exponential backoff with jitter). */
  maxAttempts: number;
  /** A connection silent this long is given up (and retried); DEFAULT_IDLE_TIMEOUT_MS when absent. */
  idleTimeoutMs?: number;
}

/**
 * Without it a store that accepts the connection and never answers (or stalls mid-answer) held a
 * build or deploy for ever, printing nothing. Idle time, not total: a large upload on a slow link
 * keeps its socket busy.
 */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** The standard credential chain (env, shared config/SSO, container or instance role) applies. */
export function s3ClientFor(t: S3Target): S3Client {
  return new S3Client({
    region: t.region ?? (t.endpoint ? 'us-east-1' : undefined),
    endpoint: t.endpoint,
    // S3-compatible servers rarely resolve <bucket>.<host>, and dotted bucket names break TLS there.
    forcePathStyle: Boolean(t.endpoint),
    followRegionRedirects: true,
    maxAttempts: t.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: t.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    },
    // Newer SDKs add CRC32 trailers by default, which S3-compatible servers often reject.
    ...(t.endpoint
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}
