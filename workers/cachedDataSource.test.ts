import { describe, expect, it } from 'vitest';
import type { DataSource } from '../core/dataSource';
import { openCachedDataSource } from './cachedDataSource';
import { DataCache } from './dataCache';

/** A network source that records each request and whether it was asked to be fresh. */
function recordingNetwork() {
  const calls: string[] = [];
  const network: DataSource = {
    file: async (path, fresh) => {
      calls.push(`file ${path}${fresh === true ? ' fresh' : ''}`);
      return new Uint8Array([7]);
    },
    range: async (path, start, end, fresh) => {
      calls.push(`range ${path} ${start}-${end}${fresh === true ? ' fresh' : ''}`);
      return new Uint8Array(end - start);
    },
  };
  return { calls, network };
}

/** Parts are written to the cache in the background. */
const backgroundWrites = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('openCachedDataSource', () => {
  it('answers a part it stored from the cache, and a fresh read from the network, saying so', async () => {
    const { calls, network } = recordingNetwork();
    const source = await openCachedDataSource(network, await DataCache.open(), 'build-1');
    await source.file('catalog/shard-1.json');
    await backgroundWrites();
    await source.file('catalog/shard-1.json');
    expect(calls).toEqual(['file catalog/shard-1.json']);
    await source.file('catalog/shard-1.json', true);
    expect(calls).toEqual(['file catalog/shard-1.json', 'file catalog/shard-1.json fresh']);
  });

  it('passes a fresh range read on to the network, for the head and for cells', async () => {
    const { calls, network } = recordingNetwork();
    const source = await openCachedDataSource(network, await DataCache.open(), 'build-1');
    await source.range('index.bin', 0, 16, true);
    await source.range('index.bin', 16, 32, true);
    expect(calls).toEqual(['range index.bin 0-16 fresh', 'range index.bin 16-32 fresh']);
  });
});
