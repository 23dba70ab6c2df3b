/*
 * Labels a collection gives its images through their names: `--label-pattern` is a regular expression
 * matched against each image's key (`album/path`); its first capture group (the whole match when it
 * has none) is the image's label. Images with one label show the same thing — the same emoji drawn by
 * two vendors (`_([0-9A-F-]+)\.png$` on the demo's `Smileys/apple_1F600.png`), the photos of one
 * product (`^[^/]+/(SKU\d+)_`) — and the transform learns that what varies between them must not
 * matter (fitTransform.ts). An image the pattern does not match, or whose label no other image has,
 * teaches nothing.
 */

/** The pattern as a RegExp; a clear error when it is not one. */
export function compileLabelPattern(pattern: string): RegExp {
  if (pattern.length === 0) throw new Error('--label-pattern must not be empty');
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch (err) {
    throw new Error(
      `--label-pattern ${JSON.stringify(pattern)} is not a regular expression: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (re.test(''))
    throw new Error(
      `--label-pattern ${JSON.stringify(pattern)} matches every name (it matches an empty one)`,
    );
  return re;
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

/** Each key's label under `pattern` (undefined where it does not match or captures nothing). */
export function imageLabels(keys: readonly string[], pattern: string): (string | undefined)[] {
  const re = compileLabelPattern(pattern);
  return keys.map((key) => {
    const m = re.exec(key);
    if (m === null) return undefined;
    const label = m.length > 1 ? m[1] : m[0];
    return label === undefined || label === '' ? undefined : label;
  });
}
