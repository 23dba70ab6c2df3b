import { describe, expect, it } from 'vitest';
import type { BuildReport } from './buildReport';
import { buildSummary } from './buildSummary';
import { MAX_LABELLED_ROWS } from './labelScatter';

function report(counts: Partial<BuildReport['counts']>, skipped = 0): BuildReport {
  return {
    reportVersion: 1,
    source: '/photos',
    fingerprint: 'f',
    manifestSha256: 'm',
    startedAt: '2026-12-06T00:00:00.000Z',
    finishedAt: '2026-12-06T00:00:01.000Z',
    modelId: 'model',
    dims: 128,
    bits: 0,
    counts: {
      listed: 10,
      indexed: 10,
      featurized: 4,
      cached: 6,
      skipped,
      thumbnailsWritten: 4,
      originalsWritten: 0,
      filesDeleted: 0,
      views: 16,
      ...counts,
    },
    skipped: Array.from({ length: skipped }, (_, i) => ({
      key: `a/broken-${i}.png`,
      reason: 'featurize-failed' as const,
      message: 'not an image',
    })),
    timings: {
      listMs: 1,
      processMs: 500,
      modelLoadMs: 0,
      modelWaitMs: 0,
      assembleMs: 100,
      writeMs: 1,
      totalMs: 1234,
    },
    featurizedPerSecond: 8,
    transform: { reused: false, drift: null, reason: 'fitted: no earlier fit with these settings to keep' },
    bytes: { index: 1280, catalog: 900, model: 3, indexPerImage: 128 },
  };
}

describe('buildSummary', () => {
  it('says what was indexed, how the transform came about, and nothing of labels when the build has none', () => {
    const lines = buildSummary(report({}), '/tmp/lookalike-summary/data');
    expect(lines[0]).toMatch(
      /^indexed 10 images \(4 featurized, 6 cached\), 0 skipped, into .*data in 1\.2 s \(featurized at 8 images\/s\); index 1280 bytes: 128 dims per image, 128 bytes per image with the transform$/,
    );
    expect(lines).toContain('  transform fitted: no earlier fit with these settings to keep');
    expect(lines.some((l) => l.includes('labels'))).toBe(false);
  });

  it('says which damaged thumbnails and originals it made again, and nothing when there were none', () => {
    const summary = (repaired?: { thumbnails: number; originals: number }) =>
      buildSummary(report(repaired ? { repaired } : {}), '/data').filter((l) => l.includes('repaired'));
    expect(summary()).toEqual([]);
    expect(summary({ thumbnails: 1, originals: 2 })).toEqual([
      '  repaired 1 thumbnail and 2 originals damaged in the data dir, made again from the source',
    ]);
    expect(summary({ thumbnails: 0, originals: 1 })).toEqual([
      '  repaired 1 original damaged in the data dir, made again from the source',
    ]);
  });

  it("says how much of a small collection's index is the transform, which does not grow with it", () => {
    const small = report({});
    small.bytes = { index: 699080, catalog: 900, model: 3, transform: 693120, indexPerImage: 9198.4 };
    expect(buildSummary(small, 'd')[0]).toMatch(
      /index 699080 bytes: 128 dims per image, 9198\.4 bytes per image with the transform \(693120 bytes of it, the same for any number of images; own-image searches download it once\)$/,
    );
  });

  it('says whether the labels taught the transform, and how many of them when a collection has more than it takes', () => {
    expect(buildSummary(report({ labelled: 6, labels: 3 }), 'd')).toContain(
      '  labels: 6 images share 3 labels; the transform learned from them',
    );
    expect(buildSummary(report({ labelled: 0, labels: 0 }), 'd')).toContain(
      '  labels: no label is shared by two or more images, which teaches the transform nothing',
    );
    expect(buildSummary(report({ labelled: 9, labels: 1 }), 'd')).toContain(
      '  labels: one label is shared by two or more images, which teaches the transform nothing',
    );
    const many = MAX_LABELLED_ROWS + 2_000;
    expect(buildSummary(report({ labelled: many, labels: 20_000 }), 'd')).toContain(
      `  labels: ${many} images share 20000 labels; the transform learned from up to ${MAX_LABELLED_ROWS} of them (whole labels)`,
    );
  });

  it('does not credit these labels to a transform kept from an earlier build', () => {
    const kept = report({ labelled: 6, labels: 3 });
    kept.transform = {
      reused: true,
      drift: 0.001,
      reason: 'kept: 1 added and 0 removed (of a 9-image sample) moved it by 0.10 %',
    };
    const lines = buildSummary(kept, 'd');
    expect(lines).toContain(
      '  labels: 6 images share 3 labels; the kept transform learned from those of the build that fitted it (--refit learns from these)',
    );
    expect(lines.some((l) => l.includes('the transform learned from'))).toBe(false);
  });

  it('says whether the sources taught the transform: pairs, too few sources or pairs, or a kept transform', () => {
    const line = (counts: Partial<BuildReport['counts']>, reused = false) => {
      const r = report(counts);
      r.transform = { ...r.transform!, reused };
      return buildSummary(r, 'd').find((l) => l.startsWith('  sources: '));
    };
    expect(line({})).toBeUndefined();
    expect(line({ sourced: 10, sources: 3, sourcePairs: 4 })).toBe(
      "  sources: 10 images in 3 sources; the transform learned from 4 pairs, each the other's nearest image in another source",
    );
    expect(line({ sourced: 10, sources: 1, sourcePairs: 0 })).toBe(
      '  sources: 10 images in 1 source; fewer than two sources teach the transform nothing',
    );
    expect(line({ sourced: 10, sources: 2, sourcePairs: 1 })).toBe(
      "  sources: 10 images in 2 sources; 1 pair of images each the other's nearest in another source, too few to teach the transform",
    );
    expect(line({ sourced: 10, sources: 2, sourcePairs: 0, labelled: 10, labels: 5 })).toBe(
      "  sources: 10 images in 2 sources; 0 pairs of images each the other's nearest in another source, too few to teach the transform (images with a shared label are not paired)",
    );
    expect(line({ sourced: 10, sources: 2 }, true)).toBe(
      '  sources: 10 images in 2 sources; the kept transform learned from the pairs of the build that fitted it (--refit pairs these)',
    );
  });

  it('says in one line when --dims asked for more than the fit gives, and why; nothing otherwise', () => {
    const capLines = (
      dims: number,
      counts: Partial<BuildReport['counts']>,
      requested?: number,
      reused = false,
    ) => {
      const r = report(counts);
      r.dims = dims;
      r.transform = { ...r.transform!, reused };
      const given = requested === undefined ? undefined : { requested, modelDims: 960 };
      return buildSummary(r, 'd', given).filter((l) => l.includes('--dims'));
    };
    expect(capLines(8, { indexed: 9 }, 4096)).toEqual(['  --dims 4096: capped at 8 (9 images)']);
    expect(capLines(960, { indexed: 5000 }, 1024)).toEqual([
      "  --dims 1024: capped at 960 (the model's 960 dims)",
    ]);
    expect(capLines(3, { indexed: 9 }, 64)).toEqual([
      '  --dims 64: capped at 3 (the images vary along no more directions)',
    ]);
    expect(capLines(8, { indexed: 20 }, 64, true)).toEqual([
      "  --dims 64: capped at 8 (as the kept transform was fitted on an earlier build's images; --refit fits a new one)",
    ]);
    // As asked, or not asked: the first line's dims say it all.
    expect(capLines(128, { indexed: 9000 }, 128)).toEqual([]);
    expect(capLines(8, { indexed: 9 })).toEqual([]);
  });

  it('says how many keys of lookalike-meta.json name no image, and which', () => {
    const summary = (keys: string[]) =>
      buildSummary({ ...report({}), metaKeysWithoutImage: keys }, 'd').filter((l) =>
        l.includes('lookalike-meta'),
      );
    expect(summary([])).toEqual([]);
    expect(summary(['faces/typo.png'])).toEqual([
      '  lookalike-meta.json: 1 key names no image in the source, so its fields are shown nowhere ("faces/typo.png")',
    ]);
    expect(summary(['a/1.png', 'a/2.png', 'a/3.png', 'b/"4".png'])).toEqual([
      '  lookalike-meta.json: 4 keys name no image in the source, so their fields are shown nowhere ' +
        '(e.g. "a/1.png", "a/2.png", "a/3.png"; all in build-report.json)',
    ]);
  });

  it('names the first 20 skipped files and counts the rest', () => {
    const lines = buildSummary(report({}, 23), 'd');
    expect(lines.filter((l) => l.startsWith('  skipped '))).toHaveLength(20);
    expect(lines).toContain('  skipped a/broken-0.png: featurize-failed: not an image');
    expect(lines.at(-1)).toBe('  … and 3 more, see build-report.json');
  });
});
