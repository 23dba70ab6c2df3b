import { matchEach, SlowMatchError } from './boundedMatch';
import type { SourceMeta } from './sourceMeta';

/*
 * Labels a collection gives its images. Images with one label show the same thing — the same emoji
 * drawn by two vendors, the photos of one product — and the transform learns that what varies between
 * them must not matter (fitTransform.ts). Two sources, the first that applies:
 *  - the names: `--label-pattern`, a regular expression matched against each image's key
 *    (`album/path`); its first capture group (the whole match when it has none) is the label
 *    (`^[^/]+/(SKU\d+)_` on `shoes/SKU12_front.jpg`);
 *  - the metadata: the `label` field of the image's entry in lookalike-meta.json at the source's root
 *    (the demo writes each emoji's code there).
 * An image without a label, or whose label no other image has, teaches nothing.
 *
 * Sources (`--source-pattern`, captured the same way) say less: where an image comes from, not what
 * it shows; the fit pairs images across them (sourcePairs.ts).
 */

/** The metadata field that labels an image. */
export const LABEL_FIELD = 'label';

/**
 * Where a build's labels come from — the pattern when there is one, else the metadata when any image
 * has a label there — as a short text for the fit's key; undefined when it has none.
 */
export function labelSource(pattern: string | undefined, meta: SourceMeta): string | undefined {
  if (pattern !== undefined) return `pattern ${pattern}`;
  for (const fields of meta.values()) if (fields[LABEL_FIELD]) return `metadata ${LABEL_FIELD}`;
  return undefined;
}

/** Each key's label from the pattern, or else from the metadata; undefined when the build has none. */
export function buildLabels(
  keys: readonly string[],
  pattern: string | undefined,
  meta: SourceMeta,
): (string | undefined)[] | undefined {
  if (pattern !== undefined) return imageLabels(keys, pattern);
  if (labelSource(undefined, meta) === undefined) return undefined;
  return keys.map((key) => meta.get(key)?.[LABEL_FIELD] || undefined);
}

/** The pattern as a RegExp; a clear error, naming the `flag` it came from, when it is not one. */
export function compileLabelPattern(pattern: string, flag = '--label-pattern'): RegExp {
  if (pattern.length === 0) throw new Error(`${flag} must not be empty`);
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch (err) {
    throw new Error(
      `${flag} ${JSON.stringify(pattern)} is not a regular expression: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (re.test(''))
    throw new Error(`${flag} ${JSON.stringify(pattern)} matches every name (it matches an empty one)`);
  return re;
}

/**
 * Each key's source under `--source-pattern` (captured like a label), or undefined without a pattern.
 * A source is where an image comes from when every source shows many of the same things in its own
 * style — `^[^/]+/(apple|google|twitter)_` on the demo's names, a shop's folder — and the fit pairs
 * images across sources (sourcePairs.ts).
 */
export function buildSources(
  keys: readonly string[],
  pattern: string | undefined,
): (string | undefined)[] | undefined {
  return pattern === undefined ? undefined : imageLabels(keys, pattern, '--source-pattern');
}

/**
 * How many images have a source, in how many sources, and the cross-source pairs the fit learned from
 * (absent when it was kept); none without sources.
 */
export function sourced(
  sources: readonly (string | undefined)[] | undefined,
  pairs: number | undefined,
): { images: number; sources: number; pairs?: number } | undefined {
  if (sources === undefined) return undefined;
  const found = sources.filter((s) => s !== undefined);
  return { images: found.length, sources: new Set(found).size, ...(pairs !== undefined ? { pairs } : {}) };
}

/**
 * The labels two or more images share, and how many images carry them (what the transform learns
 * from: fitTransform.ts); none without labels.
 */
export function sharedLabels(
  labels: readonly (string | undefined)[] | undefined,
): { images: number; labels: number } | undefined {
  if (labels === undefined) return undefined;
  const counts = new Map<string, number>();
  for (const l of labels) if (l !== undefined) counts.set(l, (counts.get(l) ?? 0) + 1);
  const shared = [...counts.values()].filter((c) => c >= 2);
  return { images: shared.reduce((a, c) => a + c, 0), labels: shared.length };
}

/**
 * Each key's label under `pattern` (undefined where it does not match or captures nothing). A pattern
 * that backtracks catastrophically on a key fails, naming it, instead of matching it without end.
 */
export function imageLabels(
  keys: readonly string[],
  pattern: string,
  flag = '--label-pattern',
): (string | undefined)[] {
  const re = compileLabelPattern(pattern, flag);
  try {
    return matchEach(re, keys, captured);
  } catch (err) {
    if (!(err instanceof SlowMatchError)) throw err;
    throw new Error(
      `${flag} ${JSON.stringify(pattern)} backtracks catastrophically: ${err.message} ` +
        '(a repeat inside a repeat, like (a+)+, or of alternatives that match the same text, like ' +
        '(a|a)+, tries exponentially many ways on a name it nearly matches); write it without them',
      { cause: err },
    );
  }
}

/** A match's first group, or the whole match when the pattern has no group; undefined when empty. */
function captured(m: RegExpExecArray | null): string | undefined {
  if (m === null) return undefined;
  const label = m.length > 1 ? m[1] : m[0];
  return label === undefined || label === '' ? undefined : label;
}

/**
 * Runs `--label-pattern` and `--source-pattern` over the listed keys, so that a pattern that is no
 * regular expression, or that backtracks catastrophically on a name, fails the build before any image
 * is featurized rather than at the fit after all of them were.
 */
export function checkNamePatterns(
  keys: readonly string[],
  labelPattern: string | undefined,
  sourcePattern: string | undefined,
): void {
  if (labelPattern !== undefined) imageLabels(keys, labelPattern);
  buildSources(keys, sourcePattern);
}
