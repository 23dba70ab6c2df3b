import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { portOption, startServer } from './serve';

/*
 * `npm start`: build whatever is missing or stale (model, demo images, demo index, site), then serve.
 * Each step is its own npm script and is incremental, so a second start only checks and serves.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SITE_SOURCES = [
  'src',
  'workers',
  'core',
  'public',
  'index.html',
  'vite.config.ts',
  'package-lock.json',
];

function run(script: string): void {
  console.log(`\n> npm run ${script}`);
  const result = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`npm run ${script} failed (exit ${result.status ?? result.signal})`);
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function siteIsStale(distDir: string): boolean {
  const built = join(distDir, 'index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(...SITE_SOURCES.map((p) => newestMtime(join(ROOT, p))));
  return sources > statSync(built).mtimeMs;
}

async function main(argv: string[]): Promise<void> {
  const opts = new Command('start')
    .description('Build the demo (model, data, index, site) where missing, then serve it')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    // Parsed here, before the build: a bad port used to fail only after minutes of building the demo.
    .option('--port <port>', 'port to listen on (0 = any free port)', portOption, 4173)
    .parse(argv)
    .opts<{ host: string; port: number }>();

  // demo-data builds the default model first when it is missing, then the images and the index.
  run('demo-data');
  const distDir = join(ROOT, 'dist');
  if (siteIsStale(distDir)) run('build');
  else console.log('\nsite up to date: dist/');

  const server = await startServer({
    distDir,
    dataDir: join(ROOT, 'generated', 'demo-data'),
    host: opts.host,
    port: opts.port,
  });
  console.log(`\nLookalike is running at ${server.url}  (Ctrl+C stops it)`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main(process.argv).catch((err: unknown) => {
  console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
