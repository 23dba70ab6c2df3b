import { describe, expect, it } from 'vitest';
import { untilAborted } from './untilAborted';

describe('untilAborted', () => {
  it('settles as the promise does while the signal is not aborted', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('read failed')), controller.signal)).rejects.toThrow(
      'read failed',
    );
    await expect(untilAborted(Promise.resolve(8), undefined)).resolves.toBe(8);
  });

  it("rejects with the signal's reason at once, whether aborted before or while it waits", async () => {
    const never = new Promise<number>(() => {});
    const stopped = new Error('stopped by SIGTERM');
    await expect(untilAborted(never, AbortSignal.abort(stopped))).rejects.toBe(stopped);
    const controller = new AbortController();
    const waiting = untilAborted(never, controller.signal);
    controller.abort(stopped);
    await expect(waiting).rejects.toBe(stopped);
  });

  it('leaves a promise it stopped waiting for to fail unobserved, not as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let fail = (_: Error) => {};
      const read = new Promise<number>((_, reject) => (fail = reject));
      const controller = new AbortController();
      const waiting = untilAborted(read, controller.signal);
      controller.abort(new Error('stopped'));
      await expect(waiting).rejects.toThrow('stopped');
      fail(new Error('the read failed after the stop'));
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
