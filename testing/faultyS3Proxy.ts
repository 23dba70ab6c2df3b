import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardRequest } from './httpForward';

/**
 * An HTTP proxy in front of a real S3 endpoint that lets the first `okWrites` object writes
 * through and then breaks every further one: either answering 503 (a deploy whose uploads fail),
 * holding the request open forever (a deploy that is then killed mid-upload), or holding it until
 * `release()` and then passing it and every later one on (a deploy paused midway). Reads pass through.
 */
interface FaultyS3Proxy {
  endpoint: string;
  /** Object writes that were let through to S3. */
  readonly forwardedWrites: number;
  /** Every request seen, in arrival order. */
  readonly requests: { method: string; path: string; query: string[] }[];
  /** Resolves when the first write has been broken. */
  readonly firstFault: Promise<void>;
  /** `hold` mode: forwards the held writes, and lets every later one through. */
  release(): void;
  stop(): Promise<void>;
}

function isObjectWrite(req: IncomingMessage): boolean {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  // /bucket/key… ; bucket-level PUTs (website, cors, policy) have no key part.
  const hasKey = path.split('/').filter(Boolean).length >= 2;
  return hasKey && (req.method === 'PUT' || req.method === 'POST');
}

export async function startFaultyS3Proxy(
  target: string,
  okWrites: number,
  mode: 'fail' | 'hang' | 'hold',
): Promise<FaultyS3Proxy> {
  const upstream = new URL(target);
  let forwarded = 0;
  let signalFault = () => {};
  const firstFault = new Promise<void>((resolve) => (signalFault = resolve));
  const held: ServerResponse[] = [];
  let released = false;
  const waiting: (() => void)[] = [];
  const requests: { method: string; path: string; query: string[] }[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({
      method: req.method ?? '',
      path: decodeURIComponent(url.pathname),
      query: [...url.searchParams.keys()],
    });
    if (isObjectWrite(req) && !released) {
      if (forwarded >= okWrites) {
        signalFault();
        if (mode === 'hold') {
          waiting.push(() => forward(req, res));
          return;
        }
        if (mode === 'hang') {
          req.resume();
          held.push(res);
          return;
        }
        req.resume();
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>',
        );
        return;
      }
      forwarded++;
    }
    forward(req, res);
  });

  function forward(req: IncomingMessage, res: ServerResponse): void {
    forwardRequest(req, res, { host: upstream.hostname, port: upstream.port });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get forwardedWrites() {
      return forwarded;
    },
    requests,
    firstFault,
    release() {
      released = true;
      for (const go of waiting.splice(0)) go();
    },
    async stop() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
