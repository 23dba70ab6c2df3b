/**
 * How long a download may go without a byte before it is given up: first the answer's headers, then
 * each chunk of its body. A connection that stalls without failing (a captive portal, a network that
 * drops packets but keeps the socket, a host that hangs) would otherwise leave the page waiting for ever,
 * even when IndexedDB holds the whole build and the page could go on without the network. There is no
 * limit on a whole download: the model takes minutes on a slow link, and keeps arriving.
 */
export const STALL_MS = 20_000;

/**
 * The stall limit of one request: `signal` goes to fetch() and aborts once `ms` pass without a
 * `restart()` (call it when the headers and each chunk arrive); `stop()` once the request is over.
 */
export class StallTimer {
  private readonly controller = new AbortController();
  private timer: unknown;
  /** Whether the limit ran out (so the request's error is the stall, not whatever fetch says). */
  fired = false;

  constructor(readonly ms: number = STALL_MS) {
    this.restart();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new Error(`no data for ${this.ms / 1000} s`));
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** What went wrong, for a request that got `loadedBytes` of its body before it stalled. */
  message(url: string, loadedBytes: number): string {
    return loadedBytes === 0
      ? `no answer from ${url} for ${this.ms / 1000} s: the connection stalled (offline?)`
      : `download of ${url} stalled after ${loadedBytes} bytes (no data for ${this.ms / 1000} s)`;
  }
}
