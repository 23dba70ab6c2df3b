import { describe, expect, it } from 'vitest';
import { DEFAULT_FILE_RETRY, fileRetryWith, withRetry } from './retry';

describe('deploy --retries', () => {
  it('counts the tries after the first: 0 tries a file once, the default 2 keeps the 3 attempts', async () => {
    const tries = async (retries: number): Promise<number> => {
      let calls = 0;
      const policy = { ...fileRetryWith(retries), baseDelayMs: 0 };
      await expect(
        withRetry(policy, () => {
          calls++;
          return Promise.reject(new Error('reset'));
        }),
      ).rejects.toThrow('reset');
      return calls;
    };
    expect(await tries(0)).toBe(1);
    expect(await tries(1)).toBe(2);
    expect(await tries(2)).toBe(3);
    expect(fileRetryWith(2)).toEqual(DEFAULT_FILE_RETRY);
  });
});
