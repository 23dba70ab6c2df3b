import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchError, fetchWithProgress, type FetchProgress } from './fetchWithProgress';

describe('fetchWithProgress', () => {
  const body = new Uint8Array(300_000).map((_, i) => i % 253);
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/file') {
        res.writeHead(200, { 'Content-Length': body.length });
        // Several chunks, so progress is reported more than once.
        for (let i = 0; i < body.length; i += 65_536) res.write(body.subarray(i, i + 65_536));
        res.end();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('returns the whole body and reports growing progress against the expected size', async () => {
    const seen: FetchProgress[] = [];
    const buffer = await fetchWithProgress(`${base}/file`, {}, body.length, (p) => seen.push(p));
    expect(new Uint8Array(buffer)).toEqual(body);
    expect(seen[0]).toEqual({ loadedBytes: 0, totalBytes: body.length });
    expect(seen.at(-1)).toEqual({ loadedBytes: body.length, totalBytes: body.length });
    for (let i = 1; i < seen.length; i++)
      expect(seen[i].loadedBytes).toBeGreaterThanOrEqual(seen[i - 1].loadedBytes);
  });

  it('uses Content-Length when no size is expected', async () => {
    const seen: FetchProgress[] = [];
    await fetchWithProgress(`${base}/file`, {}, null, (p) => seen.push(p));
    expect(seen.at(-1)?.totalBytes).toBe(body.length);
  });

  it('reports HTTP errors with their status, not as offline', async () => {
    const err = await fetchWithProgress(`${base}/missing`, {}, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err).toMatchObject({ status: 404, offline: false });
  });

  it('reports an unreachable host as offline', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const err = await fetchWithProgress(`http://127.0.0.1:${port}/file`, {}, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err).toMatchObject({ offline: true, status: null });
  });
});

describe('fetchWithProgress on a connection that stalls', () => {
  const STALL_MS = 300;
  const STEADY_STALL_MS = 1500;
  let server: Server;
  let base: string;
  const timers: ReturnType<typeof setInterval>[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/no-answer') return; // headers never come
      if (req.url === '/half') {
        res.writeHead(200, { 'Content-Length': 2000 });
        res.write(new Uint8Array(1000)); // and the rest never comes
        return;
      }
      // Slow but steady: a chunk every 100 ms, far within STEADY_STALL_MS, for twice as long as it.
      res.writeHead(200, { 'Content-Length': 3000 });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(new Uint8Array(100));
        if (++sent === 30) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
      timers.push(timer);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    for (const t of timers) clearInterval(t);
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });

  it('gives up on a host that never answers, as offline', async () => {
    const err = await fetchWithProgress(`${base}/no-answer`, {}, null, undefined, STALL_MS).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FetchError);
    expect(err).toMatchObject({ offline: true, status: null });
    expect((err as Error).message).toMatch(/no answer from .*\/no-answer for 0\.3 s: the connection stalled/);
  });

  it('gives up on a download that stops half way, saying how far it got', async () => {
    const seen: FetchProgress[] = [];
    const err = await fetchWithProgress(`${base}/half`, {}, 2000, (p) => seen.push(p), STALL_MS).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FetchError);
    expect(err).toMatchObject({ offline: true });
    expect((err as Error).message).toMatch(/stalled after 1000 bytes/);
    expect(seen.at(-1)?.loadedBytes).toBe(1000);
  });

  it('lets a slow download that keeps arriving take longer than the stall limit', async () => {
    const started = Date.now();
    const buffer = await fetchWithProgress(`${base}/steady`, {}, 3000, undefined, STEADY_STALL_MS);
    expect(buffer.byteLength).toBe(3000);
    expect(Date.now() - started).toBeGreaterThan(STEADY_STALL_MS);
  });

  it('still honours the caller’s own abort signal', async () => {
    const controller = new AbortController();
    const pending = fetchWithProgress(
      `${base}/no-answer`,
      { signal: controller.signal },
      null,
      undefined,
      60_000,
    );
    controller.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as Error).message).toMatch(/cannot reach/);
  });
});
