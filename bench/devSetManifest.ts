import { readFileSync } from 'node:fs';
import path from 'node:path';

/*
 * The development sets' manifests (written by scripts/devSets.ts into generated/devsets/<set>/manifest.json,
 * read by bench/devSetQuality.ts). A set has one or more splits; each split is a gallery folder (built
 * into an index as it is) plus queries with their ground-truth labels:
 *
 *  - emoji: one split per held-out vendor; queries are files, label = the emoji's `unified` code;
 *  - emoji-facebook: one split; a fourth vendor's files query the whole demo, label as for emoji;
 *  - emoji-sources: one split; emoji art from other sources (group = the source) queries the whole demo;
 *  - photos: one split; queries are edited files, label = the original's name, group = the edit;
 *  - photos-unseen: the photos gallery, queried by edits the builder's views never make (scripts/unseenEdits.ts);
 *  - textures: one split; queries are gallery items (by key), label = the texture.
 *
 * Gallery items are named by their source key `<album>/<path>` (what the builder's catalog holds as
 * album + name); items without a label (distractors) never count as a match.
 */

/** Where `npm run dev-sets` writes the sets and the harness reads them (gitignored). */
export const DEV_SETS_DIR = path.join(path.resolve(import.meta.dirname, '..'), 'generated', 'devsets');

export const DEV_SET_NAMES = [
  'emoji',
  'emoji-facebook',
  'emoji-sources',
  'photos',
  'photos-unseen',
  'textures',
] as const;
export type DevSetName = (typeof DEV_SET_NAMES)[number];

export const DEV_SET_MANIFEST_VERSION = 1;

export interface DevSetQuery {
  /** A query image file, relative to the dev-sets root (queried like `npm run query <file>`). */
  file?: string;
  /** Or a gallery item's key `<album>/<path>` (queried like `npm run query --id`; itself excluded). */
  key?: string;
  /** Ground truth: a result matches when its gallery label equals this. */
  label: string;
  /** What the query is reported under: the held-out vendor, the edit, … */
  group: string;
  /**
   * A second breakdown across the groups, pooled over them (emoji: whether the emoji carries a
   * skin-tone modifier, whose variants differ only in skin colour).
   */
  facet?: string;
}

export interface DevSetSplit {
  name: string;
  /** Gallery folder relative to the dev-sets root; its sub-folders are albums. */
  gallery: string;
  /** Gallery key `<album>/<path>` → label. Keys missing here are distractors. */
  labels: Record<string, string>;
  queries: DevSetQuery[];
}

export interface DevSetManifest {
  version: typeof DEV_SET_MANIFEST_VERSION;
  set: DevSetName;
  /** How the set was made, for reports. */
  description: string;
  splits: DevSetSplit[];
}

function fail(where: string, what: string): never {
  throw new Error(`dev-set manifest ${where}: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function relPath(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(where, 'must be a non-empty string');
  if (path.isAbsolute(v) || v.split('/').includes('..'))
    fail(where, `must be relative and stay inside: ${v}`);
  return v;
}

/** Validates a parsed manifest; throws an Error naming the first bad field. */
export function parseDevSetManifest(json: unknown, where = 'manifest'): DevSetManifest {
  if (!isRecord(json)) fail(where, 'is not an object');
  if (json.version !== DEV_SET_MANIFEST_VERSION)
    fail(where, `version ${String(json.version)} is not ${DEV_SET_MANIFEST_VERSION}; rerun npm run dev-sets`);
  if (!DEV_SET_NAMES.includes(json.set as DevSetName))
    fail(where, `set must be one of ${DEV_SET_NAMES.join(', ')}`);
  if (typeof json.description !== 'string') fail(where, 'description must be a string');
  if (!Array.isArray(json.splits) || json.splits.length === 0)
    fail(where, 'splits must be a non-empty array');
  const names = new Set<string>();
  const splits = json.splits.map((s: unknown, i: number): DevSetSplit => {
    const at = `${where} splits[${i}]`;
    if (!isRecord(s)) fail(at, 'is not an object');
    if (typeof s.name !== 'string' || s.name.length === 0) fail(at, 'name must be a non-empty string');
    if (names.has(s.name)) fail(at, `duplicate split name ${s.name}`);
    names.add(s.name);
    const gallery = relPath(s.gallery, `${at}.gallery`);
    if (!isRecord(s.labels)) fail(at, 'labels must be an object');
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.labels)) {
      if (typeof v !== 'string' || !k.includes('/')) fail(`${at}.labels`, `bad entry ${k}`);
      labels[k] = v;
    }
    if (!Array.isArray(s.queries) || s.queries.length === 0) fail(at, 'queries must be a non-empty array');
    const queries = s.queries.map((q: unknown, j: number): DevSetQuery => {
      const qa = `${at}.queries[${j}]`;
      if (!isRecord(q)) fail(qa, 'is not an object');
      if ((q.file === undefined) === (q.key === undefined)) fail(qa, 'needs exactly one of file and key');
      if (typeof q.label !== 'string' || q.label.length === 0) fail(qa, 'label must be a non-empty string');
      if (typeof q.group !== 'string' || q.group.length === 0) fail(qa, 'group must be a non-empty string');
      if (q.facet !== undefined && (typeof q.facet !== 'string' || q.facet.length === 0))
        fail(qa, 'facet must be a non-empty string when present');
      const out: DevSetQuery = { label: q.label, group: q.group };
      if (q.facet !== undefined) out.facet = q.facet;
      if (q.file !== undefined) out.file = relPath(q.file, `${qa}.file`);
      else {
        if (typeof q.key !== 'string' || !(q.key in labels))
          fail(qa, `key ${String(q.key)} is not a labelled gallery item`);
        out.key = q.key;
      }
      return out;
    });
    return { name: s.name, gallery, labels, queries };
  });
  return {
    version: DEV_SET_MANIFEST_VERSION,
    set: json.set as DevSetName,
    description: json.description,
    splits,
  };
}

export function manifestPath(root: string, set: DevSetName): string {
  return path.join(root, set, 'manifest.json');
}

/** Reads generated/devsets/<set>/manifest.json (or says how to make it). */
export function readDevSetManifest(root: string, set: DevSetName): DevSetManifest {
  const file = manifestPath(root, set);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run npm run dev-sets first`);
  }
  return parseDevSetManifest(JSON.parse(text), file);
}
