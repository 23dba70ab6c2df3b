import cliProgress from 'cli-progress';

/** Counts processed images and shows count, rate and ETA. */
export interface ProgressReporter {
  start(total: number): void;
  tick(): void;
  stop(): void;
}

/** A redrawn bar on a terminal; plain lines every `intervalMs` otherwise (CI logs, pipes). */
export function createProgressReporter(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 5000,
): ProgressReporter {
  if (stream.isTTY) return new BarReporter(label, stream);
  return new LineReporter(label, stream, intervalMs);
}

/** For library callers and tests that want no output. */
export const silentProgress: ProgressReporter = { start() {}, tick() {}, stop() {} };

class BarReporter implements ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private startedAt = 0;
  private done = 0;

  constructor(label: string, stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted}`,
        stream,
        etaBuffer: 200,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(total: number): void {
    this.startedAt = performance.now();
    this.bar.start(total, 0, { rate: '0.0' });
  }

  tick(): void {
    this.done++;
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.bar.update(this.done, { rate: seconds > 0 ? (this.done / seconds).toFixed(1) : '0.0' });
  }

  stop(): void {
    this.bar.stop();
  }
}

class LineReporter implements ProgressReporter {
  private total = 0;
  private done = 0;
  private startedAt = 0;
  private lastLineAt = 0;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WritableStream,
    private readonly intervalMs: number,
  ) {}

  start(total: number): void {
    this.total = total;
    this.startedAt = this.lastLineAt = performance.now();
  }

  tick(): void {
    this.done++;
    const now = performance.now();
    if (now - this.lastLineAt >= this.intervalMs) {
      this.lastLineAt = now;
      this.line(now);
    }
  }

  stop(): void {
    if (this.total > 0) this.line(performance.now());
  }

  private line(now: number): void {
    const seconds = (now - this.startedAt) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const eta = rate > 0 ? Math.round((this.total - this.done) / rate) : undefined;
    const pct = this.total > 0 ? ((100 * this.done) / this.total).toFixed(0) : '100';
    this.stream.write(
      `${this.label}: ${this.done}/${this.total} (${pct}%) ${rate.toFixed(1)}/s` +
        (eta !== undefined ? ` ETA ${eta}s` : '') +
        '\n',
    );
  }
}
