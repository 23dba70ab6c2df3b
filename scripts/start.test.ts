import { describe, expect, it } from 'vitest';
import { runScript } from '../testing/builderCli';

describe('npm start', () => {
  it('refuses a bad --port before building anything', async () => {
    // Without npm on the PATH a build that began would fail at once, instead of running for minutes.
    for (const port of ['abc', '1e3', '']) {
      const run = await runScript('scripts/start.ts', ['--port', port], { PATH: '' });
      expect(run.code, port).toBe(1);
      expect(run.stderr, port).toBe(
        `error: option '--port <port>' argument '${port}' is invalid. expected a whole number, got '${port}'\n`,
      );
      expect(run.stdout, port).not.toContain('npm run');
    }
  });

  it('lists --host and --port in --help', async () => {
    const help = await runScript('scripts/start.ts', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--host <host>\s+address to bind \(default: "127\.0\.0\.1"\)\n/);
    expect(help.stdout).toMatch(
      /--port <port>\s+port to listen on \(0 = any free port\) \(default: 4173\)\n/,
    );
  });
});
