import { relative } from 'node:path';
import type { BuildReport } from './buildReport';
import { MIN_SHARED_LABELS } from './fitTransform';
import { MAX_LABELLED_ROWS } from './labelScatter';

const MAX_SKIPPED_SHOWN = 20;

/** What `npm run build-index` prints after a build: counts, the transform, labels, duplicates, skips. */
export function buildSummary(report: BuildReport, dataDir: string): string[] {
  const { counts, timings } = report;
  const lines = [
    `indexed ${counts.indexed} images (${counts.featurized} featurized, ${counts.cached} cached), ` +
      `${counts.skipped} skipped, into ${relative(process.cwd(), dataDir) || '.'} in ${(timings.totalMs / 1000).toFixed(1)} s` +
      (counts.featurized > 0 ? ` (${report.featurizedPerSecond} images/s)` : '') +
      `; index ${report.bytes.index} bytes (${report.bytes.indexPerImage} per image)`,
  ];
  if (report.transform) lines.push(`  transform ${report.transform.reason}`);
  if (counts.labelled !== undefined)
    lines.push(
      (counts.labels ?? 0) >= MIN_SHARED_LABELS
        ? `  labels: ${counts.labelled} images share ${counts.labels} labels; the transform learned from ` +
            (counts.labelled > MAX_LABELLED_ROWS
              ? `up to ${MAX_LABELLED_ROWS} of them (whole labels)`
              : 'them')
        : `  labels: ${counts.labels ? 'one label is' : 'no label is'} shared by two or more images, which teaches the transform nothing`,
    );
  if (report.duplicates) {
    const d = report.duplicates;
    lines.push(
      `  duplicates: ${d.groups['near-identical']} near-identical / ${d.groups['very-similar']} very similar / ` +
        `${d.groups.similar} similar groups (thresholds from ${d.thresholdSource}; ${(d.ms / 1000).toFixed(1)} s)`,
    );
  }
  for (const s of report.skipped.slice(0, MAX_SKIPPED_SHOWN))
    lines.push(`  skipped ${s.key}: ${s.reason}: ${s.message}`);
  if (report.skipped.length > MAX_SKIPPED_SHOWN) {
    lines.push(`  … and ${report.skipped.length - MAX_SKIPPED_SHOWN} more, see build-report.json`);
  }
  return lines;
}
