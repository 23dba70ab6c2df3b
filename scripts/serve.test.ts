import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from '../testing/builderCli';
import { dataDirFlagProblems } from '../testing/dataDirFlag';
import { APP_CSP, DATA_CSP } from './securityHeaders';
import { startServer, type RunningServer } from './serve';

describe('startServer', () => {
  let root: string;
  let server: RunningServer;
  const wasm = new Uint8Array(1000).map((_, i) => i % 251);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lookalike-serve-'));
    mkdirSync(join(root, 'dist/assets'), { recursive: true });
    mkdirSync(join(root, 'data/thumbs'), { recursive: true });
    writeFileSync(join(root, 'dist/index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'dist/assets/ort-abc.wasm'), wasm);
    writeFileSync(join(root, 'data/manifest.json'), '{"a":1}');
    writeFileSync(join(root, 'data/index.0123456789abcdef.bin'), 'index');
    writeFileSync(join(root, 'data/thumbs/0123456789abcdef.webp'), 'thumb');
    writeFileSync(
      join(root, 'data/stray.svg'),
      '<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
    );
    server = await startServer({ distDir: join(root, 'dist'), dataDir: join(root, 'data'), port: 0 });
  });

  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the site at / and the data dir at /data/', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const manifest = await fetch(new URL('data/manifest.json', server.url));
    expect(await manifest.text()).toBe('{"a":1}');
    expect(manifest.headers.get('cache-control')).toBe('no-cache');
  });

  it('marks content-addressed files immutable and wasm as application/wasm', async () => {
    // Thumbnails and originals too, when a build names them (scripts/currentBuildMedia.test.ts).
    const index = await fetch(new URL('data/index.0123456789abcdef.bin', server.url));
    expect(index.headers.get('cache-control')).toContain('immutable');
    const res = await fetch(new URL('assets/ort-abc.wasm', server.url));
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(wasm);
  });

  it('sends compressible files gzip-encoded to clients that take gzip, with a stable ETag', async () => {
    const url = new URL('assets/ort-abc.wasm', server.url);
    const res = await fetch(url, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(wasm);
    const etag = res.headers.get('etag')!;
    const again = await fetch(url, { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    const manifest = await fetch(new URL('data/manifest.json', server.url), {
      headers: { 'Accept-Encoding': 'gzip;q=1, br' },
    });
    expect(manifest.headers.get('content-encoding')).toBe('gzip');
    expect(manifest.headers.get('content-security-policy')).toBe(DATA_CSP);
    expect(await manifest.text()).toBe('{"a":1}');
  });

  it('sends files as they are without gzip in Accept-Encoding, for ranges and for indexes', async () => {
    const identity = await fetch(new URL('data/manifest.json', server.url), {
      headers: { 'Accept-Encoding': 'identity' },
    });
    expect(identity.headers.get('content-encoding')).toBeNull();
    const refused = await fetch(new URL('data/manifest.json', server.url), {
      headers: { 'Accept-Encoding': 'gzip;q=0' },
    });
    expect(refused.headers.get('content-encoding')).toBeNull();
    const range = await fetch(new URL('assets/ort-abc.wasm', server.url), {
      headers: { 'Accept-Encoding': 'gzip', Range: 'bytes=0-9' },
    });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-encoding')).toBeNull();
    const index = await fetch(new URL('data/index.0123456789abcdef.bin', server.url), {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    expect(index.headers.get('content-encoding')).toBeNull();
    const escape = await fetch(new URL('data/..%2f..%2fdist%2findex.html', server.url), {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    expect(escape.status).toBe(404);
  });

  it('answers byte ranges', async () => {
    const res = await fetch(new URL('assets/ort-abc.wasm', server.url), {
      headers: { Range: 'bytes=10-19' },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(wasm.slice(10, 20));
  });

  it('answers one byte range as RFC 9110 reads it, and a malformed one with the whole file', async () => {
    const url = new URL('assets/ort-abc.wasm', server.url);
    const get = (range: string) => fetch(url, { headers: { Range: range } });
    const first = await get('bytes=0-0');
    expect([first.status, first.headers.get('content-range')]).toEqual([206, 'bytes 0-0/1000']);
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(wasm.slice(0, 1));
    const suffix = await get('bytes=-10');
    expect([suffix.status, suffix.headers.get('content-range')]).toEqual([206, 'bytes 990-999/1000']);
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(wasm.slice(990));
    const open = await get('bytes=995-');
    expect(new Uint8Array(await open.arrayBuffer())).toEqual(wasm.slice(995));
    const past = await get('bytes=1000-1001');
    expect([past.status, past.headers.get('content-range')]).toEqual([416, 'bytes */1000']);
    // Backwards (which crashed the server once), other units and several ranges: the whole file.
    for (const range of ['bytes=50-10', 'items=5-9', 'bytes=0-1,5-6', 'bytes=x-y']) {
      const res = await get(range);
      expect(res.status, range).toBe(200);
      expect((await res.arrayBuffer()).byteLength, range).toBe(1000);
    }
    expect((await fetch(server.url)).status).toBe(200);
  });

  it('answers a revalidation with 304 and the same cache and security headers', async () => {
    const url = new URL('data/index.0123456789abcdef.bin', server.url);
    const etag = (await fetch(url)).headers.get('etag')!;
    const again = await fetch(url, { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('cache-control')).toContain('immutable');
    expect(again.headers.get('content-security-policy')).toBe(DATA_CSP);
  });

  it('does not follow a symlink out of the folder, and sends a .gz file as bytes', async () => {
    writeFileSync(join(root, 'secret.txt'), 'secret');
    symlinkSync(join(root, 'secret.txt'), join(root, 'data/link.txt'));
    expect((await fetch(new URL('data/link.txt', server.url))).status).toBe(404);
    writeFileSync(join(root, 'dist/notes.jpg.gz'), 'not really gzip');
    const gz = await fetch(new URL('notes.jpg.gz', server.url));
    expect(gz.headers.get('content-encoding')).toBeNull();
    expect(gz.headers.get('content-type')).toBe('application/gzip');
    expect(await gz.text()).toBe('not really gzip');
  });

  it('keeps serving when a file goes while it is being sent', async () => {
    const big = new Uint8Array(8 << 20);
    const name = 'data/index.fedcba9876543210.bin';
    writeFileSync(join(root, name), big);
    const res = await fetch(new URL(name, server.url));
    unlinkSync(join(root, name));
    // The open handle still reads the file; what is gone is gone for the next request.
    expect((await res.arrayBuffer()).byteLength).toBe(big.length);
    expect((await fetch(new URL(name, server.url))).status).toBe(404);
    expect((await fetch(server.url)).status).toBe(200);
  });

  it('serves from the data dir only what deploy would publish', async () => {
    const files: Record<string, string> = {
      'build-report.json': '{"source":"/home/me/Photos"}',
      'source-files.json': '{}',
      'retained-files.json': '{}',
      'projections.bin': 'p',
      '.build.lock': '123',
      '.lookalike-data-dir': '',
      'notes.json': '{}',
      'thumbs/mine.webp': "a person's own file in a folder the builder uses",
      'shards.0123456789abcdef/0.json': '[]',
      'shards.0123456789abcdef/notes.txt': 'x',
    };
    mkdirSync(join(root, 'data/shards.0123456789abcdef'), { recursive: true });
    for (const [path, text] of Object.entries(files)) writeFileSync(join(root, 'data', path), text);
    for (const path of Object.keys(files).filter((p) => p !== 'shards.0123456789abcdef/0.json')) {
      const res = await fetch(new URL(`data/${path}`, server.url));
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toBe('not found\n');
    }
    // A thumbnail under the builder's name that no build names (this manifest is no build's): not served
    // either (scripts/currentBuildMedia.test.ts serves a build's).
    expect((await fetch(new URL('data/thumbs/0123456789abcdef.webp', server.url))).status).toBe(404);
    // Encoded names are decoded before the check, as the file lookup decodes them.
    expect((await fetch(new URL('data/build%2Dreport.json', server.url))).status).toBe(404);
    expect((await fetch(new URL('data/shards.0123456789abcdef/0.json', server.url))).status).toBe(200);
    expect((await fetch(new URL('data/shards.0123456789abcdef%2F0.json', server.url))).status).toBe(200);
  });

  it('answers 404 for missing files and sends no isolation headers unless asked', async () => {
    const res = await fetch(new URL('data/nothing.json', server.url));
    expect(res.status).toBe(404);
    expect(res.headers.get('cross-origin-embedder-policy')).toBeNull();
  });

  it('sends COOP/COEP when asked', async () => {
    const isolated = await startServer({
      distDir: join(root, 'dist'),
      dataDir: join(root, 'data'),
      port: 0,
      isolationHeaders: true,
    });
    try {
      const res = await fetch(isolated.url);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    } finally {
      await isolated.close();
    }
  });

  it('refuses a site dir without index.html', async () => {
    await expect(startServer({ distDir: join(root, 'data'), dataDir: join(root, 'data') })).rejects.toThrow(
      /no index.html/,
    );
  });

  it('sends nosniff on every response, the app CSP on the site and an inert sandbox CSP on data', async () => {
    for (const path of [
      '',
      'assets/ort-abc.wasm',
      'data/manifest.json',
      'data/stray.svg',
      'data/nothing.json',
    ]) {
      const res = await fetch(new URL(path, server.url));
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    for (const path of ['', 'assets/ort-abc.wasm']) {
      const res = await fetch(new URL(path, server.url));
      expect(res.headers.get('content-security-policy'), path).toBe(APP_CSP);
    }
    expect(APP_CSP).toContain("'wasm-unsafe-eval'");
    expect(APP_CSP).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
    for (const path of ['data/manifest.json', 'data/thumbs/0123456789abcdef.webp', 'data/stray.svg']) {
      const res = await fetch(new URL(path, server.url));
      expect(res.headers.get('content-security-policy'), path).toBe(DATA_CSP);
    }
    expect(DATA_CSP).toMatch(/default-src 'none'.*sandbox/);
  });
});

describe('npm run serve', () => {
  it('serves the site --site, or the old --dist, names and the data dir that --data-dir, or the old --data, names', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lookalike-serve-cli-'));
    try {
      mkdirSync(join(root, 'dist'));
      mkdirSync(join(root, 'data'));
      writeFileSync(join(root, 'dist/index.html'), '<!doctype html><title>t</title>');
      for (const [site, name] of [
        ['--site', '--data-dir'],
        ['--dist', '--data'],
      ]) {
        // It says what it serves once listening, and stops by itself a second later.
        const args = [site, join(root, 'dist'), name, join(root, 'data'), '--port', '0', '--exit-after', '1'];
        const run = await runScript('scripts/serve.ts', args);
        expect(run.code, name).toBe(0);
        expect(run.stdout, name).toContain(`(data: ${join(root, 'data')})`);
        // An empty folder is served (a build may write into it), and named as holding no build yet.
        expect(run.stdout, name).toContain(`note: ${join(root, 'data')} holds no manifest.json yet`);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes relative --site and --data-dir from the folder npm was run in (INIT_CWD)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lookalike-serve-cli-'));
    try {
      mkdirSync(join(root, 'site'));
      mkdirSync(join(root, 'mydata'));
      writeFileSync(join(root, 'site/index.html'), '<!doctype html><title>t</title>');
      // npm run starts the CLI in the package root (the child's cwd here), and says in INIT_CWD where
      // the user was; the package root has neither folder.
      const args = ['--site', 'site', '--data-dir', './mydata', '--port', '0', '--exit-after', '1'];
      const run = await runScript('scripts/serve.ts', args, { INIT_CWD: root });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`(data: ${join(root, 'mydata')})`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a --port of anything but decimal digits up to 65535 when parsing it', async () => {
    // Number() took 1e3 as port 1000 and '' as 0, any free port. Were one taken, --exit-after ends it.
    for (const [port, why] of [
      ['1e3', "expected a whole number, got '1e3'"],
      ['', "expected a whole number, got ''"],
      ['abc', "expected a whole number, got 'abc'"],
      ['65536', 'must be between 0 and 65535, got 65536'],
    ]) {
      const run = await runScript('scripts/serve.ts', ['--port', port, '--exit-after', '1']);
      expect(run.code, port).toBe(1);
      expect(run.stderr, port).toBe(`error: option '--port <port>' argument '${port}' is invalid. ${why}\n`);
      expect(run.stdout, port).toBe('');
    }
  });

  it('refuses an --exit-after longer than a Node timer holds, which stopped it at once', async () => {
    const run = await runScript('scripts/serve.ts', ['--port', '0', '--exit-after', '3000000']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--exit-after can be at most 2147483 seconds/);
  });

  it('calls the data dir --data-dir in --help, and refuses it with --data for another folder', async () => {
    // Were the two names taken, it would serve one: bounded, on a port of its own.
    const args = ['--port', '0', '--exit-after', '120'];
    expect(await dataDirFlagProblems('scripts/serve.ts', '--data', args)).toEqual([]);
  });
});
