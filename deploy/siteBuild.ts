import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

async function hasPage(siteDir: string): Promise<boolean> {
  return access(join(siteDir, 'index.html')).then(
    () => true,
    () => false,
  );
}

function runBuild(cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`npm run build failed (${signal ?? `exit ${code}`})`)),
    );
  });
}

/**
 * Makes sure the site is built. Only the project's own `dist/` is built on demand: a site dir given
 * with --site is somebody else's output, and guessing how to build it would be wrong.
 * Returns false in a dry run when the site would first have to be built.
 */
export async function ensureSiteBuilt(opts: {
  siteDir: string;
  buildable: boolean;
  projectDir: string;
  dryRun: boolean;
  log: (line: string) => void;
}): Promise<boolean> {
  if (await hasPage(opts.siteDir)) return true;
  if (!opts.buildable) {
    throw new Error(`${opts.siteDir} has no index.html: build the site first (npm run build writes dist/)`);
  }
  if (opts.dryRun) {
    opts.log(`would run npm run build (${opts.siteDir} has no index.html); site files are not listed`);
    return false;
  }
  opts.log(`${opts.siteDir} has no index.html: running npm run build`);
  await runBuild(opts.projectDir);
  if (!(await hasPage(opts.siteDir))) {
    throw new Error(`npm run build finished but ${opts.siteDir} still has no index.html`);
  }
  return true;
}
