export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles each time, with up to 50 % random jitter added. */
  baseDelayMs: number;
}

export const DEFAULT_FILE_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1000 };

/** The file retry policy of `deploy --retries <n>`: n times again after the first attempt. */
export function fileRetryWith(retries: number): RetryPolicy {
  return { ...DEFAULT_FILE_RETRY, attempts: 1 + retries };
}

/**
 * The SDK already retries each request; this retries a whole file (a multipart upload restarts from
 * scratch) so that a connection reset in the middle of a large body does not fail the deploy.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  task: () => Promise<T>,
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (err) {
      if (attempt >= policy.attempts) throw err;
      onRetry?.(err, attempt);
      const delay = policy.baseDelayMs * 2 ** (attempt - 1) * (1 + Math.random() * 0.5);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
