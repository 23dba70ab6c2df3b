import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { skinToneFacet } from '../models/research/emojiDataset';
import {
  isSurfaceTexture,
  parseEmojiFileName,
  photoEdits,
  textureLabel,
  unifiedByImage,
} from '../scripts/devSets';
import { UNIT_TEST_MS } from '../testing/timeLimits';
import {
  DEMO_LABEL_PATTERN,
  DEMO_SOURCE_PATTERN,
  devSetBench,
  writeTinyEmojiDevSet,
  type DevSetBenchResult,
} from './devSetBench';
import { parseDevSetManifest, type DevSetManifest } from './devSetManifest';
import { sampleQueries, scoreQueries, topK, type RankedQuery } from './devSetMetrics';
import { evaluatePipeline, type DevSetReport } from './devSetQuality';
import { devSetSection } from './report';

/* The dev-set harness's pieces that can go wrong: metrics, sampling, manifest checks, and a tiny
 * end-to-end run through the real builder and query path (the bench's tiny emoji set; no apt, no photos). */

describe('metrics', () => {
  const q = (group: string, label: string, ranked: (string | undefined)[]): RankedQuery => ({
    group,
    label,
    ranked,
  });

  test('hit@1, recall@10 and P@4 per group and overall', () => {
    const s = scoreQueries([
      q('a', 'x', ['x', 'y', 'x', undefined]),
      q('a', 'y', [undefined, 'z', 'z', 'z', 'z', 'z', 'z', 'z', 'z', 'y']),
      q('b', 'z', ['y', 'y', 'y', 'y', 'y', 'y', 'y', 'y', 'y', 'y', 'z']),
    ]);
    expect(s.byGroup.a).toEqual({ queries: 2, hitAt1: 0.5, recallAt10: 1, precisionAt4: 0.25 });
    expect(s.byGroup.b).toEqual({ queries: 1, hitAt1: 0, recallAt10: 0, precisionAt4: 0 });
    expect(s.overall.hitAt1).toBeCloseTo(1 / 3);
    expect(s.overall.recallAt10).toBeCloseTo(2 / 3);
    expect(s.overallIsMeanOfGroups).toBe(false);
  });

  test('facets are scored pooled over the groups; without facets there is no breakdown', () => {
    const s = scoreQueries(
      [
        { ...q('a', 'x', ['x']), facet: 'skin tone' },
        { ...q('b', 'x', ['y']), facet: 'skin tone' },
        { ...q('b', 'x', ['x']), facet: 'no skin tone' },
      ],
      true,
    );
    expect(s.byFacet).toEqual({
      'no skin tone': { queries: 1, hitAt1: 1, recallAt10: 1, precisionAt4: 0.25 },
      'skin tone': { queries: 2, hitAt1: 0.5, recallAt10: 0.5, precisionAt4: 0.125 },
    });
    expect(s.overall.hitAt1).toBe(0.75);
    expect(scoreQueries([q('a', 'x', ['x'])]).byFacet).toBeUndefined();
  });

  test('mean over groups weighs each group equally; failed queries are misses', () => {
    const s = scoreQueries(
      [q('a', 'x', ['x']), q('a', 'x', ['x']), q('a', 'x', ['x']), { ...q('b', 'x', []), error: 'bad file' }],
      true,
    );
    expect(s.overall.hitAt1).toBe(0.5);
    expect(s.failed).toBe(1);
  });

  test('topK: best first, stable ties, the excluded row left out', () => {
    expect(topK([0.1, 0.9, 0.5, 0.9, 0.2], 3)).toEqual([1, 3, 2]);
    expect(topK([0.1, 0.9, 0.5, 0.9, 0.2], 3, 1)).toEqual([3, 2, 4]);
    expect(topK([0.3], 5)).toEqual([0]);
  });

  test('sampling is deterministic, spread over groups, and grows as a superset', () => {
    const items = Array.from({ length: 60 }, (_, i) => ({
      split: 's',
      query: { file: `f${i}.png`, label: `l${i}`, group: `g${i % 3}` },
    }));
    const a = sampleQueries(items, 9);
    expect(a).toEqual(sampleQueries(items, 9));
    expect(a).toHaveLength(9);
    for (const g of ['g0', 'g1', 'g2']) expect(a.filter((x) => x.query.group === g)).toHaveLength(3);
    const b = sampleQueries(items, 30);
    for (const x of a) expect(b).toContain(x);
    expect(sampleQueries(items)).toBe(items);
  });
});

describe('dev-set manifest', () => {
  const good = {
    version: 1,
    set: 'textures',
    description: 'd',
    splits: [
      {
        name: 'textures',
        gallery: 'textures/gallery',
        labels: { 'rock/crop0.png': 'rock', 'rock/crop1.png': 'rock' },
        queries: [{ key: 'rock/crop0.png', label: 'rock', group: 'crop' }],
      },
    ],
  };

  test('parses a valid manifest', () => {
    expect(parseDevSetManifest(good).splits[0].queries[0].key).toBe('rock/crop0.png');
  });

  test('rejects what the harness cannot use, naming the field', () => {
    const bad = (patch: (m: typeof good) => unknown, message: RegExp) =>
      expect(() => parseDevSetManifest(patch(structuredClone(good)))).toThrow(message);
    bad((m) => ({ ...m, version: 2 }), /version 2/);
    bad((m) => ({ ...m, set: 'faces' }), /set must be one of/);
    bad((m) => ((m.splits[0].gallery = '../elsewhere'), m), /gallery: must be relative/);
    bad((m) => ((m.splits[0].queries[0].key = 'rock/crop9.png'), m), /not a labelled gallery item/);
    bad(
      (m) => ((m.splits[0].queries = [{ label: 'rock', group: 'crop' } as never]), m),
      /exactly one of file and key/,
    );
    bad((m) => ({ ...m, splits: [m.splits[0], m.splits[0]] }), /duplicate split name/);
    bad(
      (m) => (
        (m.splits[0].queries = [{ key: 'rock/crop0.png', label: 'rock', group: 'crop', facet: 3 } as never]),
        m
      ),
      /facet must be a non-empty string/,
    );
  });

  test('emoji file names and photo edits', () => {
    expect(parseEmojiFileName('apple_1F44B-1F3FB.png')).toEqual({ vendor: 'apple', unified: '1F44B-1F3FB' });
    expect(parseEmojiFileName('lookalike-meta.json')).toBeUndefined();
    expect(skinToneFacet('1F44B-1F3FB')).toBe('skin tone');
    expect(skinToneFacet('1F9D1-1F3FD-200D-1F91D-200D-1F9D1-1F3FF')).toBe('skin tone');
    expect(skinToneFacet('1F44B')).toBe('no skin tone');
    // A fourth vendor's images are named by emoji.json's `image`, which is not always the code.
    const byImage = unifiedByImage([
      { unified: '0023-FE0F-20E3', image: '0023-fe0f-20e3.png' },
      {
        unified: '1F44B',
        image: '1f44b.png',
        skin_variations: { '1F3FB': { unified: '1F44B-1F3FB', image: '1f44b-1f3fb.png' } },
      },
    ]);
    expect(byImage.get('1f44b-1f3fb.png')).toBe('1F44B-1F3FB');
    expect(byImage.get('0023-fe0f-20e3.png')).toBe('0023-FE0F-20E3');
    expect(byImage.size).toBe(3);
    const edits = photoEdits('Flow-dark');
    expect(edits).toEqual(photoEdits('Flow-dark'));
    for (const k of [
      'crop90',
      'rotate5',
      'crop50',
      'resize200',
      'jpeg10',
      'dark30',
      'desat',
      'harsh',
      'random',
    ])
      expect(edits[k].length, k).toBeGreaterThan(0);
    expect(edits.harsh.map((e) => e.kind)).toEqual(['colour', 'resize', 'jpeg']);
  });

  test("colobot's sprite sheets, atlases and terrain maps are not textures", () => {
    for (const name of ['mars001', 'cloud09', 'water12', 'roca2', 'dirty08', 'back22', 'terra002'])
      expect(isSurfaceTexture(name), name).toBe(true);
    for (const name of [
      'objects-ant',
      'AltTextures-objects-apollo',
      'interface-button1',
      'planets-planet-earth',
      'planet01',
      'effect02',
      'AltTextures-effect03',
      'lens1',
      'relief20',
      'res01',
      'resas',
    ])
      expect(isSurfaceTexture(name), name).toBe(false);
    expect(textureLabel('mars003')).toBe(textureLabel('mars008'));
    expect(textureLabel('desert6')).toBe(textureLabel('desert4'));
    expect(textureLabel('dirty09')).toBe(textureLabel('dirty06'));
    expect(textureLabel('dirty01')).not.toBe(textureLabel('dirty06'));
    expect(textureLabel('mars103')).not.toBe(textureLabel('mars001'));
  });
});

describe('evaluatePipeline on a tiny set', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'lookalike-devsets-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test(
    'builds, queries by file and by id, and reports the baselines',
    { timeout: UNIT_TEST_MS },
    async () => {
      // Six emoji every vendor draws; each vendor in turn queries the other two's.
      const emoji = writeTinyEmojiDevSet(root, 6);
      const { labels } = emoji.splits.find((x) => x.name === 'twitter')!;
      // The same gallery as a "texture" set queried by id: an item must never find itself.
      const textures: DevSetManifest = {
        version: 1,
        set: 'textures',
        description: 'tiny',
        splits: [
          {
            name: 'textures',
            gallery: 'emoji/twitter/gallery',
            labels,
            queries: Object.entries(labels).map(([key, label]) => ({ key, label, group: 'crop' })),
          },
        ],
      };
      mkdirSync(path.join(root, 'textures'), { recursive: true });
      writeFileSync(path.join(root, 'textures', 'manifest.json'), JSON.stringify(textures));

      const report = await evaluatePipeline(
        { label: 'test pipeline', settings: { cacheDir: path.join(root, 'embeddings') } },
        ['emoji', 'textures'],
        { root, log: () => {} },
      );
      expect(report.sets.map((s) => s.set)).toEqual(['emoji', 'textures']);
      for (const s of report.sets) {
        expect(s.methods.map((m) => m.method)).toEqual([
          'test pipeline',
          `${report.pipeline.modelId}, float32 exact scan`,
          'colour histogram 8×8×8',
        ]);
        expect(s.methods.map((m) => m.kind)).toEqual(['pipeline', 'float', 'histogram']);
        expect(s.build?.featurized).toBeGreaterThanOrEqual(0);
        expect(s.galleryImages).toEqual(
          s.set === 'emoji' ? { apple: 12, google: 12, twitter: 12 } : { textures: 12 },
        );
        for (const m of s.methods) {
          expect(m.scores.failed).toBe(0);
          for (const v of Object.values(m.scores.overall).slice(1)) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
          }
        }
      }
      const [e, t] = report.sets;
      expect(e.queries).toBe(18);
      expect(Object.keys(e.methods[0].scores.byGroup)).toEqual(['apple', 'google', 'twitter']);
      // Six emoji, two drawings of each: any sane image embedding finds most in its top 10 of 12.
      expect(e.methods[0].scores.overall.recallAt10).toBeGreaterThanOrEqual(0.5);
      expect(t.queries).toBe(12);
      // Each item's one sibling is the only same-label item left once the item itself is excluded.
      for (const m of t.methods) expect(m.scores.overall.precisionAt4).toBeLessThanOrEqual(0.25);
    },
  );
});

/** Every number in `value` that is not finite, by path. */
function nonFinite(value: unknown, at: string): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFinite(v, `${at}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => nonFinite(v, `${at}.${k}`));
  return [];
}

describe("the bench's dev-set part, quick mode", () => {
  const work = mkdtempSync(path.join(tmpdir(), 'lookalike-devset-bench-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // Shape and finiteness only: no figure and no time is judged (the limit only stops a hang).
  test(
    'previous and shipped pipelines side by side, rendered for docs/benchmarks.md',
    { timeout: UNIT_TEST_MS },
    async () => {
      const r = await devSetBench(true, work, () => {});
      expect(r.data).toBe('tiny');
      expect(Object.keys(r.unavailable).sort()).toEqual(['photos', 'photos-unseen', 'textures']);
      expect(nonFinite(r, 'devSets')).toEqual([]);
      expect(r.previous).toBeDefined();
      if (r.previous === undefined || 'error' in r.previous)
        throw new Error(`previous pipeline: ${JSON.stringify(r.previous)}`);
      const [shipped, previous]: DevSetReport[] = [r.report, r.previous];
      expect(shipped.pipeline.label).toMatch(/^shipped \(/);
      expect(previous.pipeline.label).toMatch(/^previous \(mobilenet_v2, views 0\)$/);
      expect(previous.pipeline.settings.views).toBe(0);
      expect(shipped.pipeline.settings.views).toBeUndefined();
      expect(path.basename(previous.pipeline.modelSpecPath!)).toBe('mobilenet_v2.json');
      const sameModel = shipped.pipeline.modelId === previous.pipeline.modelId;
      for (const [rep, kinds] of [
        [shipped, ['pipeline', 'float', 'histogram']],
        // The histogram once per run, the float scan once per model.
        [previous, sameModel ? ['pipeline'] : ['pipeline', 'float']],
      ] as const) {
        expect(rep.sets.map((s) => s.set)).toEqual(['emoji']);
        const [emoji] = rep.sets;
        expect(emoji.queries).toBe(120);
        expect(emoji.galleryImages).toEqual({ apple: 80, google: 80, twitter: 80 });
        expect(emoji.methods.map((m) => m.kind)).toEqual(kinds);
        expect(emoji.build).toBeDefined();
        for (const m of emoji.methods) {
          expect(m.scores.failed, m.method).toBe(0);
          expect(Object.keys(m.scores.byGroup)).toEqual(['apple', 'google', 'twitter']);
          for (const v of [m.scores.overall.hitAt1, m.scores.overall.recallAt10]) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
          }
        }
      }
      expect(previous.sets[0].build!.views).toBe(0);
      expect(shipped.sets[0].build!.labelled).toBeUndefined();

      // The shipped pipeline again with the demo's label pattern: the tiny set's gallery names are demo
      // names, so each split's 40 codes are labels its two vendors share.
      if (r.labelled === undefined || 'error' in r.labelled)
        throw new Error(`labelled pipeline: ${JSON.stringify(r.labelled)}`);
      expect(r.labelled.pipeline.label).toBe(`${shipped.pipeline.label} + labels from names`);
      expect(r.labelled.pipeline.settings.labelPattern).toBe(DEMO_LABEL_PATTERN);
      expect(r.labelled.sets.map((s) => s.set)).toEqual(['emoji']);
      expect(r.labelled.sets[0].build!.labelled).toBe(3 * 80);
      expect(r.labelled.sets[0].methods.map((m) => m.kind)).toEqual(['pipeline']);

      // …and with the vendor in each name as its source, without labels: the fit pairs each split's
      // two vendors (at most 40 pairs a split, one per emoji).
      if (r.sourced === undefined || 'error' in r.sourced)
        throw new Error(`sources pipeline: ${JSON.stringify(r.sourced)}`);
      expect(r.sourced.pipeline.label).toBe(`${shipped.pipeline.label} + sources from names`);
      expect(r.sourced.pipeline.settings.sourcePattern).toBe(DEMO_SOURCE_PATTERN);
      expect(r.sourced.pipeline.settings.labelPattern).toBeUndefined();
      const [sourcedEmoji] = r.sourced.sets;
      expect(sourcedEmoji.build!.labelled).toBeUndefined();
      expect(sourcedEmoji.build!.sourcePairs).toBeGreaterThan(0);
      expect(sourcedEmoji.build!.sourcePairs).toBeLessThanOrEqual(3 * 40);
      expect(shipped.sets[0].build!.sourcePairs).toBeUndefined();

      const md = devSetSection(r).join('\n');
      expect(md).toContain(
        `| ${previous.pipeline.label} | ${shipped.pipeline.label} | ${r.labelled.pipeline.label} | ${r.sourced.pipeline.label} |`,
      );
      expect(md).toContain(`pairs, summed over a set’s splits: emoji: ${sourcedEmoji.build!.sourcePairs}`);
      expect(md).toMatch(
        /\| emoji \| \*\*recall@10 mean\*\* \| \d\.\d{3} \| \d\.\d{3} \| \d\.\d{3} \| \d\.\d{3} \|/,
      );
      expect(md).toMatch(/hit@1 twitter held out/);
      const tableCells = md.split('\n').filter((l) => l.startsWith('| emoji') || l.startsWith('|  |'));
      expect(tableCells.length).toBeGreaterThan(8);
      for (const l of tableCells) expect(l).not.toMatch(/NaN|undefined|–/);

      // A results.json from before the previous pipeline was measured still renders: "–" and why.
      const old = structuredClone(r) as DevSetBenchResult;
      delete old.previous;
      delete old.labelled;
      delete old.sourced;
      for (const s of old.report.sets) {
        delete s.build;
        for (const m of s.methods) delete m.kind;
      }
      const oldMd = devSetSection(old).join('\n');
      expect(oldMd).toContain('not measured in this run');
      expect(oldMd).toMatch(/\| emoji \| \*\*recall@10 mean\*\* \| – \| \d\.\d{3} \|/);
      expect(devSetSection({ ...r, previous: { error: 'no model\nat …' } }).join('\n')).toContain(
        'not measured: no model.',
      );
      expect(devSetSection(undefined).join('\n')).toContain('Not measured in this run');
    },
  );
});
