import type { DataSource } from './dataSource';
import { errorInFile } from './formatVersion';
import type { FileRef } from './manifest';
import { sha256Hex } from './sha256';

/** Requests and bytes a reader asked its source for (the sharded reader's FetchStats count these). */
export interface ReadCounter {
  requests: number;
  bytes: number;
}

/**
 * A manifest file: one whose size or sha256 is not the manifest's is read once more past any cache,
 * then refused. `sourceVerifies`: the source checked it already (the worker's loader).
 */
export async function readVerified(
  source: DataSource,
  ref: FileRef,
  counter?: ReadCounter,
  sourceVerifies = false,
): Promise<Uint8Array> {
  for (const fresh of sourceVerifies ? [false] : [false, true]) {
    const bytes = await source.file(ref.path, fresh);
    if (counter !== undefined) {
      counter.requests++;
      counter.bytes += bytes.length;
    }
    if (sourceVerifies || (bytes.length === ref.bytes && sha256Hex(bytes) === ref.sha256)) return bytes;
  }
  throw new Error(`${ref.path} does not match its manifest entry (size or SHA-256)`);
}

/** Decoding errors name the file they are about. */
export function withPath<T>(path: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw errorInFile(path, err);
  }
}
