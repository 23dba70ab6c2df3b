import { queueNameFor } from './buildQueue';
import type { BuildRegistry } from './buildRegistry';
import { WorkStore } from './workStore';

/**
 * How long nothing may have been written under a build's prefix before a later coordinator removes it
 * as left over. Hours, not minutes: a live build drops out of the registry while Redis comes back
 * empty (until its coordinator registers it again), and clocks differ between machines.
 */
export const LEFTOVER_BUILD_MS = 6 * 60 * 60_000;

/** As coordinator.ts names builds: the fingerprint's hash, the time in base 36, 3 random bytes. */
const BUILD_ID = /^[0-9a-f]{8}-[0-9a-z]+-[0-9a-f]{6}$/;
/** What a build's workers write under its prefix (workStore.ts). */
const BUILD_KEY = /^(shards\/job-\d+\.lkshard|media\/(thumbs|originals)\/.+)$/;

/**
 * Removes the prefixes of builds that ended without cleaning up: a coordinator killed with SIGKILL
 * (or its machine lost), or a worker that was stopped (SIGSTOP, a suspended laptop) through the end
 * of its build and, woken, wrote its shard and media under a prefix already deleted. Their objects
 * stayed in the work prefix for good. A build counts as left over when it is not registered as live
 * and nothing was written under it for `olderThanMs`.
 */
export async function removeLeftoverBuilds(
  store: WorkStore,
  registry: BuildRegistry,
  o: { olderThanMs: number; nowMs: number },
): Promise<{ builds: string[]; objects: number }> {
  const { live } = await registry.list();
  const builds: string[] = [];
  let objects = 0;
  for (const [buildId, found] of await store.listBuilds()) {
    // The work prefix is the user's choice: only what a build writes, as it names it, is touched.
    if (!BUILD_ID.test(buildId) || !found.keys.every((k) => BUILD_KEY.test(k))) continue;
    if (live.includes(queueNameFor(buildId)) || o.nowMs - found.newestMs < o.olderThanMs) continue;
    objects += await store.deleteUnder(WorkStore.buildPrefix(buildId));
    builds.push(buildId);
  }
  return { builds, objects };
}
