/** Where a build's bytes come from (either layout): HTTP with Range requests, or local files. */
export interface DataSource {
  /**
   * A whole (small) file, relative to the manifest. `fresh`: the copy given before failed its
   * checksum, so skip any cache this source keeps.
   */
  file(path: string, fresh?: boolean): Promise<Uint8Array>;
  /** Bytes [start, end) of a file. */
  range(path: string, start: number, end: number, fresh?: boolean): Promise<Uint8Array>;
}
