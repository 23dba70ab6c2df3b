import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One rendering asked of the child. */
export interface RenderRequest {
  id: number;
  bytes: Uint8Array;
  maxPixels: number;
  side: number;
}

export type RenderReply = { id: number; png: Uint8Array } | { id: number; error: string };

/** The child's first message, once it has loaded. */
export interface ChildReady {
  ready: true;
}

/**
 * How long a new child may take to load (tsx, sharp) before its first rendering: not part of a
 * rendering's `seconds`, which on a loaded machine the start alone used to use up (a 1 s limit failed
 * the first, quick drawing of a new child), but bounded, so a child that never loads fails the image.
 */
const START_SECONDS = 120;

/** A rendering that took longer than it may. */
export class RenderTimeoutError extends Error {
  override name = 'RenderTimeoutError';
}

/**
 * Renders vector images (SVG, PDF) to PNG in a child process, one at a time. librsvg draws an image in
 * one call that sharp's timeout cannot stop: a few kB of SVG with stacked filters drew for minutes in
 * the build's own process, holding one of the decoder's four threads (audit, December 2026). A rendering
 * that takes longer than `seconds` gets its child killed, and the next one starts a new child.
 */
export class VectorRenderer {
  private child: { process: ChildProcess; ready: Promise<void> } | undefined;
  private nextId = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly seconds: number) {}

  /** PNG of the image at most `side` px on its long side. Throws RenderTimeoutError, or the renderer's error. */
  render(bytes: Uint8Array, maxPixels: number, side: number): Promise<Uint8Array> {
    const turn = this.queue.then(() => this.renderNow(bytes, maxPixels, side));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Ends the child (a build calls this once its images are done). */
  close(): void {
    this.child?.process.kill();
    this.child = undefined;
  }

  private start(): { process: ChildProcess; ready: Promise<void> } {
    const child = fork(fileURLToPath(new URL('./vectorRendererChild.ts', import.meta.url)), [], {
      // tsx, resolved from here: the build may run from any folder.
      execArgv: ['--import', import.meta.resolve('tsx')],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    child.unref();
    child.channel?.unref();
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the renderer did not start within ${START_SECONDS} s`));
      }, START_SECONDS * 1000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the renderer stopped as it started (${signal ?? `code ${code}`})`));
      });
    });
    // A start that fails is reported by the rendering that waits for it.
    ready.catch(() => undefined);
    return { process: child, ready };
  }

  private async renderNow(bytes: Uint8Array, maxPixels: number, side: number): Promise<Uint8Array> {
    const started = (this.child ??= this.start());
    try {
      await started.ready;
    } catch (err) {
      if (this.child === started) this.child = undefined;
      throw err;
    }
    const child = started.process;
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (reply: RenderReply) => {
        if (reply.id !== id) return;
        done();
        if ('png' in reply) resolve(reply.png);
        else reject(new Error(reply.error));
      };
      const onExit = (code: number | null, signal: string | null) => {
        done();
        if (this.child === started) this.child = undefined;
        reject(new Error(`the renderer stopped (${signal ?? `code ${code}`})`));
      };
      const timer = setTimeout(() => {
        done();
        child.kill('SIGKILL');
        if (this.child === started) this.child = undefined;
        reject(new RenderTimeoutError(`rendering it took longer than ${this.seconds} s`));
      }, this.seconds * 1000);
      child.on('message', onMessage);
      child.on('exit', onExit);
      const request: RenderRequest = { id, bytes, maxPixels, side };
      child.send(request);
    });
  }
}
