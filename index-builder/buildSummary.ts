import { shownPath } from '../storage/cliOptions';
import type { BuildReport } from './buildReport';
import { MIN_SHARED_LABELS } from './fitTransform';
import { META_FILE_NAME } from './imageSource';
import { MAX_LABELLED_ROWS } from './labelScatter';

const MAX_SKIPPED_SHOWN = 20;
/** Keys of lookalike-meta.json that name no image, shown in the summary (all are in build-report.json). */
const MAX_META_KEYS_SHOWN = 3;

/** `--dims` as the user gave it, and the dims of the model's embeddings (one of its caps). */
export interface RequestedDims {
  requested: number;
  modelDims: number;
}

/**
 * What `npm run build-index` prints after a build: counts, the transform, labels, duplicates, keys of
 * lookalike-meta.json that name no image, skips;
 * with `dims`, whether the transform gave fewer dims than `--dims` asked for, and why.
 */
export function buildSummary(report: BuildReport, dataDir: string, dims?: RequestedDims): string[] {
  const { counts, timings } = report;
  const lines = [
    `indexed ${counts.indexed} images (${counts.featurized} featurized, ${counts.cached} cached), ` +
      `${counts.skipped} skipped, into ${shownPath(dataDir)} in ${(timings.totalMs / 1000).toFixed(1)} s` +
      (counts.featurized > 0 ? ` (featurized at ${report.featurizedPerSecond} images/s)` : '') +
      // The dims say what a row holds (a small collection gets fewer); the bytes per image count the
      // transform too, which a small collection's rows do not outweigh: said apart, or a 76-image
      // build's 9,198 bytes per image read as if each image cost that.
      `; index ${report.bytes.index} bytes: ${report.dims} dims per image, ${report.bytes.indexPerImage} bytes per image with the transform` +
      (report.bytes.transform === undefined
        ? ''
        : ` (${report.bytes.transform} bytes of it, the same for any number of images; own-image searches download it once)`),
  ];
  const capped = dimsCapLine(report, dims);
  if (capped !== undefined) lines.push(capped);
  // Why a build of an unchanged source was not up to date: what it mended.
  if (counts.repaired !== undefined) {
    const { thumbnails, originals } = counts.repaired;
    const what = [
      ...(thumbnails > 0 ? [`${thumbnails} thumbnail${thumbnails === 1 ? '' : 's'}`] : []),
      ...(originals > 0 ? [`${originals} original${originals === 1 ? '' : 's'}`] : []),
    ];
    lines.push(`  repaired ${what.join(' and ')} damaged in the data dir, made again from the source`);
  }
  if (report.transform) lines.push(`  transform ${report.transform.reason}`);
  if (counts.labelled !== undefined)
    lines.push(
      (counts.labels ?? 0) >= MIN_SHARED_LABELS
        ? `  labels: ${counts.labelled} images share ${counts.labels} labels; ` +
            // A kept transform learned from the labels of the build that fitted it, not from these.
            (report.transform?.reused
              ? 'the kept transform learned from those of the build that fitted it (--refit learns from these)'
              : 'the transform learned from ' +
                (counts.labelled > MAX_LABELLED_ROWS
                  ? `up to ${MAX_LABELLED_ROWS} of them (whole labels)`
                  : 'them'))
        : `  labels: ${counts.labels ? 'one label is' : 'no label is'} shared by two or more images, which teaches the transform nothing`,
    );
  if (counts.sourced !== undefined) lines.push(sourcesLine(counts, report.transform?.reused === true));
  if (report.duplicates) {
    const d = report.duplicates;
    lines.push(
      `  duplicates: ${d.groups['near-identical']} near-identical / ${d.groups['very-similar']} very similar / ` +
        `${d.groups.similar} similar groups (thresholds from ${d.thresholdSource}; ${(d.ms / 1000).toFixed(1)} s)`,
    );
  }
  const lost = report.metaKeysWithoutImage ?? [];
  if (lost.length > 0) {
    const shown = lost.slice(0, MAX_META_KEYS_SHOWN).map((k) => JSON.stringify(k));
    lines.push(
      `  ${META_FILE_NAME}: ${lost.length === 1 ? '1 key names' : `${lost.length} keys name`} no image in the source, ` +
        `so ${lost.length === 1 ? 'its fields are' : 'their fields are'} shown nowhere` +
        ` (${lost.length > shown.length ? `e.g. ${shown.join(', ')}; all in build-report.json` : shown.join(', ')})`,
    );
  }
  for (const s of report.skipped.slice(0, MAX_SKIPPED_SHOWN))
    lines.push(`  skipped ${s.key}: ${s.reason}: ${s.message}`);
  if (report.skipped.length > MAX_SKIPPED_SHOWN) {
    lines.push(`  … and ${report.skipped.length - MAX_SKIPPED_SHOWN} more, see build-report.json`);
  }
  return lines;
}

/**
 * `--dims` above what the fit can give is capped, not refused (fitTransform.ts: at the fitted images − 1
 * and at the model's dims; components without variance are dropped too): said, or `--dims 4096` on a
 * small collection read as 4096 dims.
 */
function dimsCapLine(report: BuildReport, dims: RequestedDims | undefined): string | undefined {
  if (dims === undefined || report.dims >= dims.requested) return undefined;
  const { indexed } = report.counts;
  const why = report.transform?.reused
    ? "as the kept transform was fitted on an earlier build's images; --refit fits a new one"
    : report.dims === indexed - 1
      ? `${indexed} images`
      : report.dims === dims.modelDims
        ? `the model's ${dims.modelDims} dims`
        : `the images vary along no more directions`;
  return `  --dims ${dims.requested}: capped at ${report.dims} (${why})`;
}

/** What the sources (sourcePairs.ts) taught the transform. */
function sourcesLine(counts: BuildReport['counts'], kept: boolean): string {
  const head = `  sources: ${counts.sourced} images in ${counts.sources} source${counts.sources === 1 ? '' : 's'}; `;
  if ((counts.sources ?? 0) < 2) return `${head}fewer than two sources teach the transform nothing`;
  if (kept || counts.sourcePairs === undefined)
    return `${head}the kept transform learned from the pairs of the build that fitted it (--refit pairs these)`;
  return counts.sourcePairs >= MIN_SHARED_LABELS
    ? `${head}the transform learned from ${counts.sourcePairs} pairs, each the other's nearest image in another source`
    : `${head}${counts.sourcePairs} pair${counts.sourcePairs === 1 ? '' : 's'} of images each the other's nearest in another source, too few to teach the transform` +
        // The labels' images are not paired (fitTransform.ts): a fully labelled collection finds none.
        (counts.labelled ? ' (images with a shared label are not paired)' : '');
}
