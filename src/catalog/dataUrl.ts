/**
 * The published data dir sits next to index.html (docs/architecture.md). Relative, so the site works under
 * any prefix of any static host.
 */
export const DATA_URL = './data/';

/** URL of a thumbnail or original: catalog paths are relative to the data dir. */
export function dataFileUrl(path: string): string {
  return DATA_URL + path;
}
