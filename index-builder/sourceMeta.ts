import { META_FILE_NAME } from './imageSource';

/** Extra fields per image, from the source's lookalike-meta.json, keyed by `album/path`. */
export type SourceMeta = Map<string, Record<string, string>>;

/**
 * Validates the parsed metadata file: `{ "<album>/<path>": { "<field>": "<string>", … }, … }`.
 * Throws an Error naming the bad entry, so a typo does not silently drop metadata. A field named
 * `__proto__` is refused: JSON.parse keeps it as a field, but setting it on an object (here, and where
 * the page reads the catalog: core/catalog.ts) sets the object's prototype instead, and the field is gone.
 * Keys that name no image are not known here: keysNamingNoImage finds them once the build knows its images.
 */
export function parseSourceMeta(json: unknown): SourceMeta {
  const meta: SourceMeta = new Map();
  if (json === undefined) return meta;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${META_FILE_NAME} must be a JSON object mapping "album/path" to an object of strings`);
  }
  for (const [key, fields] of Object.entries(json)) {
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new Error(`${META_FILE_NAME}: "${key}" must map to an object of strings`);
    }
    const clean: Record<string, string> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (field === '__proto__') {
        throw new Error(
          `${META_FILE_NAME}: "${key}" has a field named "__proto__", which would be lost on its way to the page: rename it`,
        );
      }
      if (typeof value !== 'string') {
        throw new Error(
          `${META_FILE_NAME}: "${key}".${field} must be a string, got ${JSON.stringify(value)}`,
        );
      }
      clean[field] = value;
    }
    meta.set(key, clean);
  }
  return meta;
}

/**
 * The keys of `meta` that name no file of the source (`inSource`: the keys of the images a build
 * indexed and of the files it skipped), sorted: their fields reach no image, which the build reports
 * (build-report.json `metaKeysWithoutImage`) rather than leave unsaid, as a typo in `album/path` would be.
 */
export function keysNamingNoImage(meta: SourceMeta, inSource: ReadonlySet<string>): string[] {
  return [...meta.keys()].filter((key) => !inSource.has(key)).sort();
}
