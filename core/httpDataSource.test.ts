import { describe, expect, it } from 'vitest';
import { httpDataSource } from './httpDataSource';

/** A fetch that answers every GET with the same bytes and records what it was asked. */
function recordingFetch() {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    return new Response(new Uint8Array([1, 2, 3]), { status: 200 });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

describe('httpDataSource.file', () => {
  it('lets the HTTP cache answer a first read', async () => {
    const { calls, fetchImpl } = recordingFetch();
    const bytes = await httpDataSource('https://host/data/', fetchImpl).file('catalog/shard-1.json');
    expect([...bytes]).toEqual([1, 2, 3]);
    expect(calls).toEqual([{ url: 'https://host/data/catalog/shard-1.json', init: undefined }]);
  });

  it('skips the HTTP cache when the copy given before failed its checksum', async () => {
    // Content-addressed files are cached for a year: without `reload` a damaged cached copy would
    // come back on every retry.
    const { calls, fetchImpl } = recordingFetch();
    await httpDataSource('https://host/data', fetchImpl).file('catalog/shard-1.json', true);
    expect(calls).toHaveLength(1);
    expect(calls[0].init?.cache).toBe('reload');
  });
});
