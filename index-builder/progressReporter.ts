import cliProgress from 'cli-progress';

/**
 * Counts processed images and shows count, rate and ETA. An image `reused` from an earlier build, the
 * embedding cache or an earlier run of a job needed no featurizing: it counts towards the total but not
 * the rate, or a rebuild that adds 100 images to 10,000 would show thousands of images a second and an
 * ETA of seconds while the new ones are featurized (and the rate would disagree with the summary's
 * "featurized at … images/s").
 */
export interface ProgressReporter {
  start(total: number): void;
  tick(reused?: boolean): void;
  stop(): void;
}

/** Images per second among those that took work, and the seconds left if the rest all do. */
function pace(done: number, reused: number, total: number, seconds: number): { rate: number; eta?: number } {
  const rate = seconds > 0 ? (done - reused) / seconds : 0;
  return { rate, eta: rate > 0 ? Math.round((total - done) / rate) : undefined };
}

function reusedNote(reused: number): string {
  return reused > 0 ? `, ${reused} already featurized` : '';
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
  private total = 0;
  private done = 0;
  private reused = 0;

  constructor(label: string, stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} | {rate}/s | ETA {left}{reused}`,
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(total: number): void {
    this.total = total;
    this.startedAt = performance.now();
    this.bar.start(total, 0, { rate: '0.0', left: '?', reused: '' });
  }

  tick(reused = false): void {
    this.done++;
    if (reused) this.reused++;
    const { rate, eta } = pace(
      this.done,
      this.reused,
      this.total,
      (performance.now() - this.startedAt) / 1000,
    );
    this.bar.update(this.done, {
      rate: rate.toFixed(1),
      left: eta === undefined ? '?' : `${eta}s`,
      reused: reusedNote(this.reused),
    });
  }

  stop(): void {
    this.bar.stop();
  }
}

class LineReporter implements ProgressReporter {
  private total = 0;
  private done = 0;
  private reused = 0;
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

  tick(reused = false): void {
    this.done++;
    if (reused) this.reused++;
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
    const { rate, eta } = pace(this.done, this.reused, this.total, (now - this.startedAt) / 1000);
    const pct = this.total > 0 ? ((100 * this.done) / this.total).toFixed(0) : '100';
    this.stream.write(
      `${this.label}: ${this.done}/${this.total} (${pct}%) ${rate.toFixed(1)}/s` +
        (eta !== undefined && this.done < this.total ? ` ETA ${eta}s` : '') +
        reusedNote(this.reused) +
        '\n',
    );
  }
}
