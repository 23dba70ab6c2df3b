import type { QueryPixels } from '../../workers/searchApi';

/**
 * The user's last own image, held in memory only: never stored, never sent anywhere. A reload forgets it,
 * so `#/search/upload` then asks for the image again.
 */
export interface LastUpload {
  /** Bumped per upload, so the results page searches again when the same URL gets a new image. */
  serial: number;
  name: string;
  /**
   * Object URL of a PNG of `pixels`, for showing it (src/ownImage/shownImage.ts); revoked when the next
   * image replaces it.
   */
  url: string;
  /** Object URL of the file itself, typed as a download: what a region is cut from at full resolution. */
  fileUrl: string;
  pixels: QueryPixels;
}

let current: LastUpload | null = null;
let serial = 0;
const listeners = new Set<() => void>();

/** `shown`: what the page shows (pngOf the pixels); `file`: the file, kept inert (inertCopy). */
export function setLastUpload(file: Blob, shown: Blob, name: string, pixels: QueryPixels): void {
  if (current) {
    URL.revokeObjectURL(current.url);
    URL.revokeObjectURL(current.fileUrl);
  }
  serial += 1;
  current = { serial, name, url: URL.createObjectURL(shown), fileUrl: URL.createObjectURL(file), pixels };
  for (const listener of listeners) listener();
}

export function getLastUpload(): LastUpload | null {
  return current;
}

export function subscribeLastUpload(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The pixels are transferred to the worker (detached on this side), so every search sends a copy. */
export function copyPixels(pixels: QueryPixels): QueryPixels {
  return { width: pixels.width, height: pixels.height, data: new Uint8ClampedArray(pixels.data) };
}
