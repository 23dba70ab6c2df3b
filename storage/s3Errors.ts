/** An S3 SDK error's name (`NoSuchKey`, `PreconditionFailed`, …), or its XML `Code` when it has no name. */
export function s3ErrorName(err: unknown): string {
  return (err as { name?: string; Code?: string }).name ?? (err as { Code?: string }).Code ?? '';
}

/** The HTTP status of the response an S3 SDK error came from, if there was one. */
export function s3ErrorStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
