import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { connectRedis } from './buildQueue';

export interface RunningRedis {
  url: string;
  stop(): Promise<void>;
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
  const port = await freePort();
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
  const url = `redis://127.0.0.1:${port}`;
  await waitUntilUp(url, child, () => output);
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
