import type { CalibratedGroupsResult, DuplicateBenchResult } from './duplicateBench';
import type { PairQuality } from './pairMetrics';
import type { Section } from './results';

/*
 * The duplicates area's part of docs/benchmarks.md (bench/report.ts puts it in place): the build's
 * groups per strictness, the oracle sweep next to the baselines, region-search hit@1.
 */

const f3 = (x: number | null) => (x === null ? '–' : x.toFixed(3));
const short = {
  pipeline: 'Lookalike (int8 index)',
  float: 'float32 exact scan',
  histogram: 'colour histogram',
};

function qualityCells(q: PairQuality): string {
  return `${q.groups} | ${q.groupedImages} | ${q.predictedPairs} | ${f3(q.precision)} | ${f3(q.recall)} | ${f3(q.f1)}`;
}

/** Groups at each build's own calibration: what the Duplicates page shows in collections large enough for one. */
function calibratedTable(rows: DuplicateBenchResult['calibrated'], minImages: number): string[] {
  if (rows === undefined || rows.length === 0) return [];
  const out = [
    '',
    `Calibrated collections (${minImages} images or more): the same reader, at the thresholds each build measured ` +
      '(`docs/index-format.md#similarity-calibration-calibration-version-1-corecalibrationts`). ' +
      rows
        .map((x) => `**${x.name}**: ${x.description}, ${x.images} images, ${x.truePairs} true pairs`)
        .join('; ') +
      '. Where there are no planted copies every grouped pair is of two different files. "Shipped": the build\'s ' +
      'thresholds; "edits alone": the same rows grouped at the thresholds the edited copies alone give, the ' +
      'calibration before it bounded how many near-identical or very similar others (5) an average image has.',
    '',
    '| collection | strictness | thresholds | threshold | groups | images in groups | predicted pairs | pair precision | pair recall | F1 |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const row = (c: CalibratedGroupsResult, rule: string, x: CalibratedGroupsResult['strictness'][number]) =>
    `| ${c.name} | ${x.strictness} | ${rule} | ${x.threshold} | ${x.groups} | ${x.groupedImages} (${((100 * x.groupedImages) / c.images).toFixed(0)} %) | ` +
    `${x.predictedPairs} | ${c.truePairs > 0 ? f3(x.precision) : '–'} | ${c.truePairs > 0 ? f3(x.recall) : '–'} | ${c.truePairs > 0 ? f3(x.f1) : '–'} |`;
  for (const c of rows)
    c.strictness.forEach((x, i) => {
      out.push(row(c, 'shipped', x));
      const before = c.editsAlone?.[i];
      if (before !== undefined) out.push(row(c, 'edits alone (before)', before));
    });
  return out;
}

export function duplicatesSection(s: Section<DuplicateBenchResult> | undefined): string[] {
  const out = ['## 9. Near-duplicates and region search', ''];
  if (s === undefined) return [...out, '_Not in this results file._'];
  if (!s.ok) return [...out, `_Not measured in this run: ${s.error.split('\n')[0]}_`];
  const d = s.data;
  const edits = Object.entries(d.editCounts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const source =
    d.thresholdSource === 'calibration'
      ? "from the build's own calibration"
      : `the builder's documented defaults (\`DEFAULT_DUPLICATE_THRESHOLDS\`, index-builder/duplicateDetection.ts): ` +
        `collections under ${d.minCalibratedImages} images are not calibrated`;
  out.push(
    `One collection: ${d.description}, plus ${d.copiesPerOriginal} edited copies of each ` +
      `(bench/duplicateCopies.ts: 1–3 seeded edits per copy from crop 50–90 % of the area, long side 200–800 px, ` +
      `JPEG q20–60, brightness/contrast ±25 %, rotation ≤ 10°, a caption; copies with each edit: ${edits}). ` +
      `${d.images} images, ${d.truePairs} true pairs (any two images derived from the same original). ` +
      `Built with \`buildIndex\` at default settings (${d.modelId}; ${(d.buildMs / 1000).toFixed(1)} s, ` +
      `${d.featurized} images featurized, the rest from the embedding cache); groups read with the reader ` +
      '`npm run duplicates` uses. A predicted pair is two images in one group.',
    '',
    `Thresholds: ${source}. Variant pairs grouped: predicted pairs of images derived from two different ` +
      `originals that are variants of one scene (light and dark versions of one wallpaper: ${d.variantPairs} such ` +
      `pairs of originals, ${d.variantPairs * (1 + d.copiesPerOriginal) ** 2} image pairs), which must not group.`,
    '',
    '| strictness | threshold | groups | images in groups | predicted pairs | pair precision | pair recall | F1 | variant pairs grouped |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const x of d.strictness)
    out.push(`| ${x.strictness} | ${x.threshold} | ${qualityCells(x)} | ${x.variantPairsGrouped} |`);
  const kinds = Object.keys(d.editCounts);
  out.push(
    '',
    'Copies grouped with their own original, by edit (a copy has 1–3 edits, so it counts under each of them):',
    '',
    `| edit | copies | ${d.strictness.map((x) => x.strictness).join(' | ')} |`,
    `|---|---:|${d.strictness.map(() => '---:').join('|')}|`,
  );
  for (const k of kinds)
    out.push(
      `| ${k} | ${d.editCounts[k]} | ${d.strictness.map((x) => f3(x.copyRecallByEdit[k] ?? null)).join(' | ')} |`,
    );
  out.push(
    '',
    `Side by side, each method grouped by the same complete link (core/duplicateGroups.ts) over all pairs of its ` +
      `own cosines, at the threshold with the best F1 among ${d.sweep.from}–${d.sweep.to} in steps of ${d.sweep.step}. ` +
      '**An oracle**: the threshold is chosen with the ground truth, which no real collection has; the baselines ' +
      'have no calibration, and the Lookalike row (int8 cosines of the index rows, what the builder groups) shows ' +
      'what the same oracle gives its scores.',
    '',
    '| method (oracle threshold) | threshold | groups | images in groups | predicted pairs | pair precision | pair recall | F1 | variant pairs grouped |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const x of d.sweep.rows)
    out.push(
      `| ${short[x.kind]} | ${x.best.threshold} | ${qualityCells(x.best)} | ${x.best.variantPairsGrouped} |`,
    );
  out.push(...calibratedTable(d.calibrated, d.minCalibratedImages));
  const r = d.region;
  out.push(
    '',
    `Region search: ${r.cropsPerOriginal} seeded boxes per original covering ${100 * r.minArea}–${100 * r.maxArea} % of ` +
      `its area (${r.queries} queries), searched as \`npm run query -- --region\` does (the box cropped from the ` +
      'full-resolution file, featurized, searched in the index); the baselines search the same crop exactly. ' +
      'hit@1 = the top result is the original or one of its copies.',
    '',
    '| method | region hit@1 |',
    '|---|---:|',
  );
  for (const x of r.rows) out.push(`| ${short[x.kind]} | ${f3(x.hitAt1)} |`);
  return out;
}
