/*
 * What the CLIs that print results share about their output: what they do when its reader goes away, and
 * how they print a score.
 */

/** The errors a write gives once the other end of the pipe is closed (`| head -1`). */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/**
 * Node ignores SIGPIPE, so a write to a pipe whose reader has exited (`npm run -s query … | head -1`)
 * fails with EPIPE, emitted on the stream; unhandled, that crashed the CLI with a stack trace. Any other
 * error stays what it was: thrown.
 */
function onReaderGone(then: () => void): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!READER_GONE.has(err.code ?? '')) throw err;
      then();
    });
  }
}

/**
 * For a CLI that only reads and prints (query, duplicates): when the reader of its output goes away it
 * stops at once, quietly, with the exit code decided so far (0 unless already failed), as `cat`, `grep`
 * or `ls` piped into `head` end without a word. Call first thing in main.
 */
export function exitWhenOutputCloses(): void {
  onReaderGone(() => process.exit());
}

/**
 * For a CLI that changes something (a data dir, a bucket, a queue) or serves: when the reader of its
 * output goes away it carries on, printing nothing more, so no build, deploy or job is left half done by
 * a closed pipe. Call first thing in main.
 */
export function keepWorkingWhenOutputCloses(): void {
  onReaderGone(() => {});
}

/**
 * A cosine score as a CLI prints it: within [-1, 1]. A search computes a self-match's cosine as
 * dot × (1/‖a‖) × (1/‖b‖), which can land a rounding step above 1 (1.0000000000000002); the search keeps
 * its arithmetic, the printout shows what a cosine can be.
 */
export function printedScore(score: number): number {
  return Math.min(1, Math.max(-1, score));
}
