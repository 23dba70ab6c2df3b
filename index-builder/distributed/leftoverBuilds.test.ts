import { describe, expect, it } from 'vitest';
import { queueNameFor } from './buildQueue';
import type { BuildRegistry } from './buildRegistry';
import { removeLeftoverBuilds } from './leftoverBuilds';
import type { WorkStore } from './workStore';

const HOUR = 3_600_000;
const NOW = 100 * HOUR;

function fakes(builds: Record<string, { keys: string[]; newestMs: number }>, live: string[]) {
  const deleted: string[] = [];
  const store = {
    listBuilds: async () => new Map(Object.entries(builds)),
    deleteUnder: async (prefix: string) => {
      deleted.push(prefix);
      return builds[prefix.split('/')[1]].keys.length;
    },
  } as unknown as WorkStore;
  const registry = {
    list: async () => ({ live: live.map(queueNameFor), abandoned: [] }),
  } as unknown as BuildRegistry;
  return { store, registry, deleted };
}

describe('removeLeftoverBuilds', () => {
  it('removes old builds not registered as live, and only what builds write, as they name it', async () => {
    const shard = 'shards/job-00003.lkshard';
    const { store, registry, deleted } = fakes(
      {
        'a1b2c3d4-mx1abc-0a0b0c': { keys: [shard, 'media/thumbs/0123.webp'], newestMs: NOW - 7 * HOUR },
        // Live (its coordinator beats), though nothing was written for long.
        'a1b2c3d4-mx1abd-0a0b0c': { keys: [shard], newestMs: NOW - 50 * HOUR },
        // Written to an hour ago: a live build Redis may have forgotten for now.
        'a1b2c3d4-mx1abe-0a0b0c': { keys: [shard], newestMs: NOW - HOUR },
        // Not a build's name, or a key no build writes: the user's own.
        'my-photos': { keys: ['shards/job-00000.lkshard'], newestMs: 0 },
        'a1b2c3d4-mx1abf-0a0b0c': { keys: [shard, 'notes.txt'], newestMs: 0 },
        '': { keys: ['readme.txt'], newestMs: 0 },
      },
      ['a1b2c3d4-mx1abd-0a0b0c'],
    );
    const removed = await removeLeftoverBuilds(store, registry, { olderThanMs: 6 * HOUR, nowMs: NOW });
    expect(removed).toEqual({ builds: ['a1b2c3d4-mx1abc-0a0b0c'], objects: 2 });
    expect(deleted).toEqual(['builds/a1b2c3d4-mx1abc-0a0b0c/']);
  });
});
