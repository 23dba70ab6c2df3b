import { S3Client } from '@aws-sdk/client-s3';

export interface S3Target {
  region: string | undefined;
  endpoint: string | undefined;
  /** Attempts per request, SDK-level (standard retry mode: exponential backoff with jitter). */
  maxAttempts: number;
}

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
    // Newer SDKs add CRC32 trailers by default, which S3-compatible servers often reject.
    ...(t.endpoint
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}
