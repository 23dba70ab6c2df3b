import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * Passes a request on to `host:port` (at `path`, by default the request's own) and its answer back:
 * the proxies tests put in front of a server to break, hold or reroute some of its requests.
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  to: { host: string; port: number | string; path?: string },
): void {
  const out = request(
    { host: to.host, port: to.port, method: req.method, path: to.path ?? req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
}
