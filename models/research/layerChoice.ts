import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import * as ort from 'onnxruntime-node';
import type { ModelSpec } from '../../core/modelSpec';
import { preprocessBatch } from '../../core/preprocess';
import type { RgbaImage } from '../../core/rgbaImage';
import { REPO_ROOT } from '../buildModel';
import { kerasToOnnx, type WeightEncoding } from '../kerasToOnnx';
import { NSFWJS_EMBEDDINGS } from '../nsfwjsEmbeddings';
import { loadNsfwjsModel, NSFWJS_MODELS, type NsfwjsModelName } from '../nsfwjsModel';
import { decodeRgba, EMOJI_VENDORS, emojiImages, type EmojiImage } from './emojiDataset';
import { normaliseRows, recallAtK } from './retrievalRecall';

/*
 * npx tsx models/research/layerChoice.ts [--model mobilenet_v2] [--subset N]
 * Measures which layer of an nsfwjs model retrieves best across emoji vendors: for each vendor's images
 * as queries against the other two vendors' images, recall@10 = fraction of queries with an image of the
 * same `unified` emoji in the top 10 by cosine. Prints a markdown table (docs/model.md) and writes JSON
 * to generated/layer-choice/.
 */

const CANDIDATES: Record<NsfwjsModelName, { layers: string[]; concats: string[][] }> = {
  mobilenet_v2: {
    layers: [
      'block_3_expand_relu',
      'block_6_expand_relu',
      'block_8_expand_relu',
      'block_10_expand_relu',
      'block_11_expand_relu',
      'block_12_expand_relu',
      'block_13_expand_relu',
      'block_12_depthwise_relu',
      'block_13_depthwise_relu',
      'block_13_project_BN',
      'block_14_expand_relu',
      'block_15_expand_relu',
      'block_16_expand_relu',
      'block_12_add',
      'block_16_project_BN',
      'out_relu',
      'dense_1',
      'dense_2',
    ],
    concats: [
      ['block_12_expand_relu', 'block_13_expand_relu'],
      ['block_11_expand_relu', 'block_13_expand_relu'],
      ['block_10_expand_relu', 'block_13_expand_relu'],
      ['block_13_expand_relu', 'block_14_expand_relu'],
      ['block_13_expand_relu', 'out_relu'],
      ['block_11_expand_relu', 'block_12_expand_relu', 'block_13_expand_relu'],
      ['block_10_expand_relu', 'block_13_depthwise_relu'],
      ['block_11_expand_relu', 'block_13_depthwise_relu'],
      ['block_12_add', 'block_13_depthwise_relu'],
      ['block_13_expand_relu', 'block_13_depthwise_relu'],
      ['block_8_expand_relu', 'block_13_depthwise_relu'],
    ],
  },
  inception_v3: {
    layers: ['mixed2', 'mixed4', 'mixed5', 'mixed6', 'mixed7', 'mixed8', 'mixed9', 'mixed10', 'dense_1'],
    concats: [['mixed6', 'mixed7']],
  },
};

const INPUT_RANGES: { label: string; mean: [number, number, number]; std: [number, number, number] }[] = [
  { label: '[-1, 1]', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  { label: '[0, 1]', mean: [0, 0, 0], std: [1, 1, 1] },
];

interface Row {
  what: string;
  input: string;
  weights: WeightEncoding;
  dim: number;
  recall: Record<string, number>;
  mean: number;
}

const BATCH = 32;

async function runPooled(
  onnx: Uint8Array,
  inputName: string,
  outputs: string[],
  images: RgbaImage[],
  input: ModelSpec['input'],
  dims: number[],
): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 2 });
  const result = dims.map((d) => new Float32Array(images.length * d));
  for (let i = 0; i < images.length; i += BATCH) {
    const batch = images.slice(i, i + BATCH);
    const x = preprocessBatch(batch, input);
    const out = await session.run({
      [inputName]: new ort.Tensor('float32', x, [batch.length, 3, input.height, input.width]),
    });
    outputs.forEach((name, k) => result[k].set(out[name].data as Float32Array, i * dims[k]));
    if ((i / BATCH) % 20 === 19) console.log(`  ${i + BATCH}/${images.length}`);
  }
  await session.release();
  return result;
}

function concatRows(
  parts: { vectors: Float32Array; dim: number }[],
  n: number,
): { vectors: Float32Array; dim: number } {
  const dim = parts.reduce((s, p) => s + p.dim, 0);
  const vectors = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let at = r * dim;
    for (const p of parts) {
      vectors.set(p.vectors.subarray(r * p.dim, (r + 1) * p.dim), at);
      at += p.dim;
    }
  }
  return { vectors: normaliseRows(vectors, dim), dim };
}

async function crossVendorRecall(items: EmojiImage[], unitVectors: Float32Array, dim: number) {
  const recall: Record<string, number> = {};
  for (const vendor of EMOJI_VENDORS) {
    const pick = (keep: (v: string) => boolean) => {
      const rows = items.flatMap((it, i) => (keep(it.vendor) ? [i] : []));
      const vectors = new Float32Array(rows.length * dim);
      rows.forEach((r, j) => vectors.set(unitVectors.subarray(r * dim, (r + 1) * dim), j * dim));
      return { vectors, labels: rows.map((r) => items[r].unified) };
    };
    recall[vendor] = await recallAtK(
      pick((v) => v === vendor),
      pick((v) => v !== vendor),
      dim,
      10,
    );
  }
  const mean = EMOJI_VENDORS.reduce((s, v) => s + recall[v], 0) / EMOJI_VENDORS.length;
  return { recall, mean };
}

function subset(all: EmojiImage[], count: number | undefined): EmojiImage[] {
  if (count === undefined) return all;
  // The first `count` emoji that every vendor draws, so each query has a true match in the gallery.
  const byVendor = EMOJI_VENDORS.map((v) => new Set(all.filter((i) => i.vendor === v).map((i) => i.unified)));
  const shared = [...byVendor[0]].filter((u) => byVendor.every((s) => s.has(u))).slice(0, count);
  const keep = new Set(shared);
  return all.filter((i) => keep.has(i.unified));
}

async function measureLayers(
  model: NsfwjsModelName,
  subsetSize: number | undefined,
  ranges: typeof INPUT_RANGES,
  parts: { candidates: boolean; shipped: boolean },
): Promise<Row[]> {
  const keras = loadNsfwjsModel(model);
  const { layers, concats } = CANDIDATES[model];
  const choice = NSFWJS_EMBEDDINGS[model];
  const items = subset(
    EMOJI_VENDORS.flatMap((v) => emojiImages(v)),
    subsetSize,
  );
  console.log(`${model}: decoding ${items.length} emoji images…`);
  const images: RgbaImage[] = [];
  for (const it of items) images.push(await decodeRgba(it.file));

  const rows: Row[] = [];
  for (const range of parts.candidates ? ranges : []) {
    const input = { ...choice.input, mean: range.mean, std: range.std };
    const converted = kerasToOnnx(keras.topology, keras.weights, {
      layers,
      output: 'pooled',
      weights: 'float32',
    });
    console.log(`input ${range.label}: featurizing ${layers.length} candidate layers…`);
    const pooled = await runPooled(
      converted.onnx,
      converted.inputName,
      converted.outputs.map((o) => o.name),
      images,
      input,
      converted.outputs.map((o) => o.dim),
    );
    const unit = new Map(
      layers.map((l, k) => [
        l,
        { vectors: normaliseRows(pooled[k], converted.outputs[k].dim), dim: converted.outputs[k].dim },
      ]),
    );
    const sets = [...layers.map((l) => [l]), ...concats];
    for (const set of sets) {
      const { vectors, dim } =
        set.length === 1
          ? unit.get(set[0])!
          : concatRows(
              set.map((l) => unit.get(l)!),
              items.length,
            );
      const { recall, mean } = await crossVendorRecall(items, vectors, dim);
      const row = {
        what: set.join(' + '),
        input: range.label,
        weights: 'float32' as const,
        dim,
        recall,
        mean,
      };
      rows.push(row);
      console.log(`  ${row.what.padEnd(60)} ${String(dim).padStart(5)}  ${(mean * 100).toFixed(1)}%`);
    }
  }

  // The shipped graph (embedding output) under each weight encoding, with the spec's preprocessing.
  for (const weights of parts.shipped ? (['float32', 'float16', 'int8'] as const) : []) {
    const converted = kerasToOnnx(keras.topology, keras.weights, {
      layers: choice.layers,
      output: 'embedding',
      weights,
    });
    const out = converted.outputs[0];
    const [vectors] = await runPooled(converted.onnx, converted.inputName, [out.name], images, choice.input, [
      out.dim,
    ]);
    const { recall, mean } = await crossVendorRecall(items, vectors, out.dim);
    const row = {
      what: `shipped: ${choice.layers.join(' + ')} (${(converted.onnx.length / 1e6).toFixed(2)} MB)`,
      input: '[-1, 1]',
      weights,
      dim: out.dim,
      recall,
      mean,
    };
    rows.push(row);
    console.log(`  ${row.what} ${weights} ${(mean * 100).toFixed(1)}%`);
  }
  return rows;
}

function markdown(rows: Row[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}`;
  const lines = [
    '| layer(s) | input | weights | dim | apple→others | google→others | twitter→others | mean |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.what} | ${r.input} | ${r.weights} | ${r.dim} | ${pct(r.recall.apple)} | ${pct(r.recall.google)} | ${pct(r.recall.twitter)} | **${pct(r.mean)}** |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .addOption(new Option('--model <name>').choices(NSFWJS_MODELS).default('mobilenet_v2'))
    .option('--subset <n>', 'only the first n emoji drawn by all three vendors', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--keras-range-only', 'skip the [0, 1] input range (the models were trained on [-1, 1])')
    .option('--no-candidates', 'only measure the shipped embedding under each weight encoding')
    .option('--no-shipped', 'only measure the candidate layers')
    .parse(process.argv);
  const o = program.opts<{
    model: NsfwjsModelName;
    subset?: number;
    kerasRangeOnly?: boolean;
    candidates: boolean;
    shipped: boolean;
  }>();
  const started = Date.now();
  const ranges = o.kerasRangeOnly ? INPUT_RANGES.slice(0, 1) : INPUT_RANGES;
  const rows = await measureLayers(o.model, o.subset, ranges, {
    candidates: o.candidates,
    shipped: o.shipped,
  });
  const table = markdown(rows);
  const dir = path.join(REPO_ROOT, 'generated', 'layer-choice');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${o.model}${o.subset ? `.subset${o.subset}` : ''}${o.candidates ? '' : '.shipped'}.json`),
    JSON.stringify(rows, null, 2),
  );
  console.log(`\n${table}\n\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
