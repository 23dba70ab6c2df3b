import type { Redis } from 'ioredis';

const BUILDS_KEY = 'lookalike:builds';
const aliveKey = (queueName: string) => `lookalike:build-alive:${queueName}`;

/** A coordinator refreshes its build's heartbeat this often; a build silent for ttlMs is abandoned. */
export interface Heartbeat {
  everyMs: number;
  ttlMs: number;
}

export const DEFAULT_HEARTBEAT: Heartbeat = { everyMs: 5_000, ttlMs: 60_000 };

/**
 * The build queues that exist, so that workers can serve any build without being told its name: a
 * sorted set (queue name by registration time) plus, per build, a key with a TTL that its coordinator
 * keeps refreshing. A coordinator that was killed stops refreshing, and workers drop its queue.
 */
export class BuildRegistry {
  constructor(private readonly redis: Redis) {}

  async register(queueName: string, heartbeat: Heartbeat): Promise<void> {
    await this.redis
      .multi()
      .set(aliveKey(queueName), '1', 'PX', heartbeat.ttlMs)
      .zadd(BUILDS_KEY, Date.now(), queueName)
      .exec();
  }

  async heartbeat(queueName: string, heartbeat: Heartbeat): Promise<void> {
    await this.redis.set(aliveKey(queueName), '1', 'PX', heartbeat.ttlMs);
  }

  async deregister(queueName: string): Promise<void> {
    await this.redis.multi().zrem(BUILDS_KEY, queueName).del(aliveKey(queueName)).exec();
  }

  /** Whether the build is in the registry: false once Redis lost its state (or workers dropped it). */
  async isRegistered(queueName: string): Promise<boolean> {
    return (await this.redis.zscore(BUILDS_KEY, queueName)) !== null;
  }

  /** Registered builds, oldest first: those whose coordinator is alive, and those abandoned. */
  async list(): Promise<{ live: string[]; abandoned: string[] }> {
    const names = await this.redis.zrange(BUILDS_KEY, '0', '-1');
    if (names.length === 0) return { live: [], abandoned: [] };
    const alive = await this.redis.mget(names.map(aliveKey));
    return {
      live: names.filter((_, i) => alive[i] !== null),
      abandoned: names.filter((_, i) => alive[i] === null),
    };
  }

  /** Refreshes the heartbeat until stop() is called; a failed refresh is retried on the next beat. */
  keepAlive(queueName: string, heartbeat: Heartbeat): { stop(): void } {
    const timer = setInterval(() => {
      this.heartbeat(queueName, heartbeat).catch(() => undefined);
    }, heartbeat.everyMs);
    return { stop: () => clearInterval(timer) };
  }
}
