import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

// BullMQ's stalled-job check writes the queue's `meta` hash (and an expiring `stalled-check`) even
// when the queue is gone. A worker still serving a build when its coordinator removed the queue
// therefore left `bull:<queue>:meta` in Redis for good, one per finished or stopped build.
// Atomic, so a queue that has any job or event left keeps it.
const SCRIPT = `
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return 0 end
end
return redis.call('DEL', KEYS[1], KEYS[2])
`;

/** What a queue that ever held a job keeps until it is removed; none of them is written by a stalled check. */
const CONTENTS = [
  'events',
  'wait',
  'paused',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
  'stalled',
];

/**
 * Removes what a stalled check wrote into a build queue that was removed while this process served
 * it. Call it once this process's BullMQ worker on the queue is closed, and only for a queue that
 * held jobs: one whose coordinator has not added them yet looks the same. A queue that still holds
 * anything is left alone.
 */
export async function removeStrayQueueMeta(redis: Redis, queue: Pick<Queue, 'toKey'>): Promise<boolean> {
  const keys = ['meta', 'stalled-check', ...CONTENTS].map((k) => queue.toKey(k));
  return Number(await redis.eval(SCRIPT, keys.length, ...keys)) > 0;
}
