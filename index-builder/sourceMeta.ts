import { META_FILE_NAME } from './imageSource';

/** Extra fields per image, from the source's lookalike-meta.json, keyed by `album/path`. */
export type SourceMeta = Map<string, Record<string, string>>;

/**
 * Validates the parsed metadata file: `{ "<album>/<path>": { "<field>": "<string>", … }, … }`.
 * Throws an Error naming the bad entry, so a typo does not silently drop metadata.
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
