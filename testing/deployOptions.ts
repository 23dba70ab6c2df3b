import type { DeployOptions } from '../deploy/deploy';
import { REPO_ROOT } from './repoRoot';

/**
 * A deploy as the deploy tests run it against s3rver: the site already built, the bucket configured,
 * no deletes, four uploads at a time, and quick retries (s3rver answers at once or not at all).
 */
export function testDeployOptions(
  o: Pick<DeployOptions, 'bucket' | 'endpoint' | 'siteDir' | 'dataDir'> & Partial<DeployOptions>,
): DeployOptions {
  return {
    prefix: '',
    buildSiteIfMissing: false,
    projectDir: REPO_ROOT,
    dryRun: false,
    deleteStale: false,
    configure: true,
    concurrency: 4,
    sdkMaxAttempts: 2,
    fileRetry: { attempts: 2, baseDelayMs: 10 },
    log: () => {},
    ...o,
  };
}
