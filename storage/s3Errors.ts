/** An S3 SDK error's name (`NoSuchKey`, `PreconditionFailed`, …), or its XML `Code` when it has no name. */
export function s3ErrorName(err: unknown): string {
  return (err as { name?: string; Code?: string }).name ?? (err as { Code?: string }).Code ?? '';
}

/** The HTTP status of the response an S3 SDK error came from, if there was one. */
export function s3ErrorStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * What to tell the user when the SDK found no credentials anywhere in its chain: its own "Could not load
 * credentials from any providers" names none of the places it looked. Undefined for any other error.
 * Shared by everything that reaches S3 (the build's source and work prefix, the deploy).
 */
export function missingCredentialsMessage(err: unknown): string | undefined {
  if (s3ErrorName(err) !== 'CredentialsProviderError') return undefined;
  const said = err instanceof Error ? err.message : String(err);
  return (
    `no AWS credentials found (${said}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and ` +
    'AWS_SECRET_ACCESS_KEY; see docs/deploy.md'
  );
}

/** An S3 SDK error as a message says it: `Name: message`, or where to put missing credentials. */
export function s3ErrorText(err: unknown): string {
  const missing = missingCredentialsMessage(err);
  if (missing !== undefined) return missing;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
