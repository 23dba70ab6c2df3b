import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './repoRoot';

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one of the builder's CLIs (a .ts file under index-builder/) through tsx, as `npm run` would. */
export function runCli(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runScript(join('index-builder', script), args, env);
}

/** Runs any of the repo's CLIs (a .ts file, relative to the repo root) through tsx, as `npm run` would. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return run(script, args, env, false);
}

/**
 * Runs one of the builder's CLIs with its stdout closed before it can print, as `| head -1` leaves it:
 * every line it prints meets a pipe without a reader.
 */
export function runCliIntoClosedPipe(script: string, args: string[]): Promise<CliRun> {
  return run(join('index-builder', script), args, {}, true);
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv, closeStdout: boolean): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, script), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (closeStdout) child.stdout.destroy();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
