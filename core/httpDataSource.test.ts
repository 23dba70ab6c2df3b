import { describe, expect, it } from 'vitest';
import { UnreachableError, httpDataSource } from './httpDataSource';

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
    expect(calls.map((c) => [c.url, c.init?.cache])).toEqual([
      ['https://host/data/catalog/shard-1.json', undefined],
    ]);
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

describe('httpDataSource.range', () => {
  it('gives up a response that stalls, with an error that names the file', async () => {
    // Headers come, the body never does: the page would otherwise search for ever.
    const stalling = (async (_: RequestInfo | URL, init?: RequestInit) => {
      const body = new ReadableStream({
        start(controller) {
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return new Response(body, { status: 206 });
    }) as typeof fetch;
    const source = httpDataSource('https://host/data/', stalling, 50);
    await expect(source.range('index.0123456789abcdef.bin', 100, 200)).rejects.toThrow(
      new UnreachableError(
        'no answer from https://host/data/index.0123456789abcdef.bin for 0.05 s: the connection stalled (offline?)',
      ),
    );
    // A request that never gets its headers.
    const silent = ((_: RequestInfo | URL, init?: RequestInit) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      )) as typeof fetch;
    await expect(httpDataSource('https://host/data/', silent, 50).file('catalog.json')).rejects.toThrow(
      'no answer from https://host/data/catalog.json for 0.05 s: the connection stalled',
    );
    // And a whole file whose body stops half way.
    const half = (async (_: RequestInfo | URL, init?: RequestInit) => {
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array(700));
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return new Response(body, { status: 200 });
    }) as typeof fetch;
    await expect(httpDataSource('https://host/data/', half, 50).file('catalog/shard-1.json')).rejects.toThrow(
      new UnreachableError(
        'download of https://host/data/catalog/shard-1.json stalled after 700 bytes (no data for 0.05 s)',
      ),
    );
  });

  it('lets an answer that keeps arriving take longer than the stall limit', async () => {
    // A chunk every 20 ms for 0.6 s, against a limit of 0.3 s: slow links are slow, not stalled.
    const steady = (async () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          controller.enqueue(new Uint8Array(10).fill(sent));
          if (++sent === 30) controller.close();
        },
      });
      return new Response(body, { status: 200 });
    }) as typeof fetch;
    const started = Date.now();
    const bytes = await httpDataSource('https://host/data/', steady, 300).file('catalog/shard-1.json');
    expect(bytes.length).toBe(300);
    expect(bytes[299]).toBe(29);
    expect(Date.now() - started).toBeGreaterThan(300);
  });

  it('says so when the host sends an index compressed, instead of calling it unreachable', async () => {
    const gzipped = (async () =>
      new Response(new Uint8Array(10), {
        status: 206,
        headers: { 'Content-Encoding': 'gzip' },
      })) as typeof fetch;
    await expect(httpDataSource('https://host/data/', gzipped).range('index.bin', 0, 10)).rejects.toThrow(
      'GET index.bin: the host sends it compressed (Content-Encoding: gzip); index files must be stored uncompressed',
    );
  });

  it('reads no further than the range asked for when the host sends more, and refuses another range', async () => {
    let pulled = 0;
    // 64 MB in 64 KB chunks, made as they are read: a host that answers a few KB asked with the whole file.
    const endless = (async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            pulled += 65_536;
            if (pulled > 64 * 2 ** 20) controller.close();
            else controller.enqueue(new Uint8Array(65_536));
          },
        }),
        { status: 206 },
      )) as typeof fetch;
    await expect(
      httpDataSource('https://host/data/', endless).range('index.bin', 1000, 5000),
    ).rejects.toThrow(
      'GET index.bin bytes 1000-4999: got more than 4000 bytes (is the object stored compressed?)',
    );
    expect(pulled).toBeLessThan(2 ** 20);

    const declared = (async () =>
      new Response(new Uint8Array(10), { status: 206, headers: { 'Content-Length': '10' } })) as typeof fetch;
    await expect(httpDataSource('https://host/data/', declared).range('index.bin', 0, 4)).rejects.toThrow(
      'GET index.bin bytes 0-3: got 10 bytes',
    );
    const elsewhere = (async () =>
      new Response(new Uint8Array(4), {
        status: 206,
        headers: { 'Content-Range': 'bytes 0-3/100' },
      })) as typeof fetch;
    await expect(httpDataSource('https://host/data/', elsewhere).range('index.bin', 8, 12)).rejects.toThrow(
      'GET index.bin bytes 8-11: the host answered bytes 0-3',
    );
    const right = (async () =>
      new Response(new Uint8Array([1, 2, 3, 4]), {
        status: 206,
        headers: { 'Content-Range': 'bytes 8-11/100', 'Content-Length': '4' },
      })) as typeof fetch;
    expect([...(await httpDataSource('https://host/data/', right).range('index.bin', 8, 12))]).toEqual([
      1, 2, 3, 4,
    ]);
  });
});
