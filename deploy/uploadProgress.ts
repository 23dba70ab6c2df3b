import cliProgress from 'cli-progress';
import { formatBytes } from '../core/formatBytes';

/** Progress of the upload pass: a bar on a terminal, one line per file otherwise (CI logs, pipes). */
export interface UploadProgress {
  start(totalFiles: number, totalBytes: number): void;
  fileDone(sitePath: string, storedBytes: number, note: string): void;
  log(line: string): void;
  stop(): void;
}

class LineProgress implements UploadProgress {
  private done = 0;
  private total = 0;

  constructor(private readonly write: (line: string) => void) {}

  start(totalFiles: number, totalBytes: number): void {
    this.total = totalFiles;
    this.write(`uploading ${totalFiles} files, ${formatBytes(totalBytes)}`);
  }

  fileDone(sitePath: string, storedBytes: number, note: string): void {
    this.done++;
    this.write(
      `[${this.done}/${this.total}] ${sitePath} ${formatBytes(storedBytes)}${note ? ` ${note}` : ''}`,
    );
  }

  log(line: string): void {
    this.write(line);
  }

  stop(): void {}
}

class BarProgress implements UploadProgress {
  private readonly multi: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | undefined;
  private sentBytes = 0;
  private totalBytes = 0;

  constructor(stream: NodeJS.WriteStream) {
    this.multi = new cliProgress.MultiBar(
      {
        format: 'uploading {bar} {value}/{total} files | {sent} of {size}',
        hideCursor: true,
        clearOnComplete: false,
        stream,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(totalFiles: number, totalBytes: number): void {
    this.totalBytes = totalBytes;
    this.bar = this.multi.create(totalFiles, 0, { sent: formatBytes(0), size: formatBytes(totalBytes) });
  }

  fileDone(_sitePath: string, storedBytes: number): void {
    this.sentBytes += storedBytes;
    this.bar?.increment(1, { sent: formatBytes(this.sentBytes), size: formatBytes(this.totalBytes) });
  }

  log(line: string): void {
    this.multi.log(`${line}\n`);
  }

  stop(): void {
    this.multi.stop();
  }
}

export function createUploadProgress(
  stream: NodeJS.WriteStream | undefined,
  write: (line: string) => void,
): UploadProgress {
  return stream?.isTTY ? new BarProgress(stream) : new LineProgress(write);
}
