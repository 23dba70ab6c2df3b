import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentHash } from '../contentAddress';
import { WorkStore } from './workStore';

/**
 * Puts the model file into the work prefix under its SHA-256, so workers on any machine can fetch it
 * and check they run exactly the coordinator's model. Uploaded by every build, even when the name is
 * there: an object damaged earlier must not fail every later build too.
 */
export async function publishModel(
  store: WorkStore,
  modelBytes: Uint8Array,
  sha256: string,
): Promise<string> {
  const key = WorkStore.modelKey(sha256);
  await store.put(key, modelBytes);
  return key;
}

/**
 * A worker's local copies of build models, by SHA-256: downloaded once, verified, and reused by every
 * job of every build that names the same bytes.
 */
export class ModelCache {
  private readonly verified = new Map<string, Promise<string>>();

  constructor(private readonly dir: string) {}

  /** The local path of the model with that hash, fetched from the work prefix if need be. */
  path(store: WorkStore, sha256: string): Promise<string> {
    let p = this.verified.get(sha256);
    if (p === undefined) {
      p = this.fetch(store, sha256);
      this.verified.set(sha256, p);
      // A failed fetch (e.g. a corrupt upload, fixed later) must be tried again by the next job.
      p.catch(() => this.verified.delete(sha256));
    }
    return p;
  }

  private async fetch(store: WorkStore, sha256: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a model sha256: ${sha256}`);
    const local = join(this.dir, `${sha256}.onnx`);
    // A file left by an earlier run is trusted only once its bytes check out.
    const onDisk = await readFile(local).catch(() => undefined);
    if (onDisk !== undefined && contentHash(onDisk) === sha256) return local;
    const key = WorkStore.modelKey(sha256);
    const bytes = await store.get(key);
    const actual = contentHash(bytes);
    if (actual !== sha256) {
      throw new Error(
        `model ${store.describe(key)} does not match its name: its sha256 is ${actual} ` +
          `(a damaged upload; running the build again uploads it anew)`,
      );
    }
    const temp = join(this.dir, `.${sha256}.${randomBytes(4).toString('hex')}`);
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(temp, bytes);
      await rename(temp, local);
    } catch (err) {
      throw new Error(`cannot keep the model in ${this.dir}: ${(err as Error).message}`, { cause: err });
    } finally {
      // Only a leftover from a failed write; failing to remove it must not hide why the write failed.
      await rm(temp, { force: true }).catch(() => undefined);
    }
    return local;
  }
}
