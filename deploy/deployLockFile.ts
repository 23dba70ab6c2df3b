import { objectKey } from './sitePrefix';

/**
 * Where a prefix's deploy lock lives (deployLock.ts). On its own so that what finds other deploys by
 * their lock (nestedDeploys.ts) need not load the lock, which itself asks it before it is written.
 */
export const DEPLOY_LOCK_FILE = '.lookalike-deploy.lock';

export function deployLockKey(prefix: string): string {
  return objectKey(prefix, DEPLOY_LOCK_FILE);
}
