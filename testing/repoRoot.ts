import { resolve } from 'node:path';

/** The repository's root, for tests, e2e and the bench that run CLIs or read generated/ from any cwd. */
export const REPO_ROOT = resolve(import.meta.dirname, '..');
