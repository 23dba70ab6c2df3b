import { describe, expect, it } from 'vitest';
import { runScript } from '../../testing/builderCli';

const CLI = 'index-builder/distributed/buildWorkerCli.ts';

describe('npm run build-worker options', () => {
  it('refuses an --endpoint that is no http(s) URL when parsing it, as build-index and deploy do', async () => {
    // Nothing listens on port 9: a worker that got as far as Redis would fail there, saying so.
    const queue = ['--queue', 'redis://127.0.0.1:9'];
    for (const [endpoint, why] of [
      ['notaurl', 'must be a URL such as http://127.0.0.1:4568'],
      ['ftp://127.0.0.1:4568', 'must be http(s)'],
    ]) {
      const run = await runScript(CLI, [...queue, '--endpoint', endpoint]);
      expect(run.code, endpoint).toBe(1);
      expect(run.stderr, endpoint).toBe(
        `error: option '--endpoint <url>' argument '${endpoint}' is invalid. ${why}\n`,
      );
    }
  });

  it('marks --queue required in --help and says what its exit status means', async () => {
    const help = await runScript(CLI, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--queue <redis-url>\s+the Redis .*\(required\)\n/s);
    expect(help.stdout).toMatch(/\nExit status: 0 when stopped .* 1 when it failed; 130 when/s);
  });
});
