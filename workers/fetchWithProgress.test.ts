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
