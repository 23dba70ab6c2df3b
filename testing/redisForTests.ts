import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { connectRedis } from '../index-builder/distributed/buildQueue';

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
}

/** A redis-server of the test's own, which it may kill and bring back (empty) on the same port. */
export interface PrivateRedis extends RunningRedis {
  /** SIGKILL: no shutdown, nothing saved (there is no persistence anyway). */
  crash(): Promise<void>;
  /** A new, empty redis-server on the same port. */
  restart(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output()}`);
    try {
      (await connectRedis(url)).disconnect();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * The Redis for a test: LOOKALIKE_REDIS_URL when set (CI starts one), otherwise a private
 * redis-server on a free 127.0.0.1 port, without persistence, stopped by stop(). Tests on a shared
 * Redis stay apart because every build has a queue of its own; `allowShared: false` always starts a
 * private one (the bench starts workers that would serve any build on the shared Redis).
 */
export async function startRedisForTests(options: { allowShared?: boolean } = {}): Promise<RunningRedis> {
  const shared = process.env.LOOKALIKE_REDIS_URL;
  if ((options.allowShared ?? true) && shared !== undefined && shared !== '')
    return { url: shared, stop: async () => {} };
  return startPrivateRedis();
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new Error(`cannot start redis-server (apt-get install redis-server): ${err.message}`)),
    );
  });
  await spawned;
  await waitUntilUp(`redis://127.0.0.1:${port}`, child, () => output);
  return child;
}

function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Always a redis-server of its own (never LOOKALIKE_REDIS_URL), without persistence. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child = await spawnRedis(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => ended(child, 'SIGTERM'),
    crash: () => ended(child, 'SIGKILL'),
    async restart() {
      await ended(child, 'SIGKILL');
      child = await spawnRedis(port);
    },
  };
}
