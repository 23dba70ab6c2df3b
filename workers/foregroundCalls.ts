import type { WhenIdle } from '../core/collection';

/**
 * How long background reads stay held after the page's last call ended: the calls that follow a result
 * (the next query, an album page) come sooner, and a read started between them would delay them.
 */
export const QUIET_MS = 250;

/**
 * The calls the page waits on, so that the background preload gives way to them. Measured on 2 cores
 * (December 2026): own-image queries made while the demo's catalog was being preloaded took 46 ms at
 * the median against 30 ms once it had finished, the preload's fetches, checksums and IndexedDB
 * writes competing with the model's threads.
 */
export class ForegroundCalls {
  private active = 0;
  private lastEnded = -Infinity;
  private waiting: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly quietMs = QUIET_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs a call the page waits on; background reads wait until it and the quiet time after it are over. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await call();
    } finally {
      this.active--;
      this.lastEnded = this.now();
      this.releaseWhenQuiet();
    }
  }

  /** Resolves once no call runs and none ended within the quiet time. */
  readonly whenIdle: WhenIdle = () => {
    if (this.quietFor() <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.releaseWhenQuiet();
    });
  };

  /** Milliseconds until background reads may go on (Infinity while a call runs). */
  private quietFor(): number {
    return this.active > 0 ? Infinity : this.lastEnded + this.quietMs - this.now();
  }

  private releaseWhenQuiet(): void {
    if (this.waiting.length === 0 || this.active > 0 || this.timer !== null) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (this.quietFor() > 0) {
          this.releaseWhenQuiet();
          return;
        }
        const release = this.waiting;
        this.waiting = [];
        for (const resolve of release) resolve();
      },
      Math.max(0, this.quietFor()),
    );
  }
}
