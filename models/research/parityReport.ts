import { preprocessBatch } from '../../core/preprocess';
import { kerasToOnnx, type WeightEncoding } from '../kerasToOnnx';
import { NSFWJS_EMBEDDINGS } from '../nsfwjsEmbeddings';
import { loadNsfwjsModel, NSFWJS_MODELS, type NsfwjsModelName } from '../nsfwjsModel';
import { cosine, embeddingFromPooled, emojiFixtures, minRowCosine, onnxPooled } from './parity';
import { loadTfjsModel, tfjsPooled } from './tfjsReference';

/*
 * npx tsx models/research/parityReport.ts [mobilenet_v2|inception_v3]
 * Prints, per layer and weight encoding, the worst cosine between our ONNX conversion and TF.js over
 * emoji fixture images, plus the size of the embedding model under each encoding (docs/model.md).
 */

const ENCODINGS: WeightEncoding[] = ['float32', 'float16', 'int8'];

const REPORT: Record<
  NsfwjsModelName,
  { extraLayers: string[]; fixtures: ['apple' | 'google' | 'twitter', string][] }
> = {
  mobilenet_v2: {
    extraLayers: ['block_12_add', 'out_relu', 'dense_3'],
    fixtures: [
      ['apple', '1F600'],
      ['google', '1F436'],
      ['twitter', '1F34E'],
      ['apple', '1F697'],
      ['google', '2764-FE0F'],
      ['twitter', '1F44D-1F3FD'],
    ],
  },
  inception_v3: { extraLayers: ['dense_3'], fixtures: [['google', '1F355']] },
};

async function report(name: NsfwjsModelName): Promise<void> {
  const choice = NSFWJS_EMBEDDINGS[name];
  const keras = loadNsfwjsModel(name);
  const { extraLayers, fixtures } = REPORT[name];
  const images = await emojiFixtures(fixtures);
  const x = preprocessBatch(images, choice.input);
  const dims = [images.length, 3, choice.input.height, choice.input.width];
  const layers = [...choice.layers, ...extraLayers];
  const reference = tfjsPooled(await loadTfjsModel(keras), layers, x, dims);
  console.log(`\n${name}: min cosine vs TF.js over ${images.length} emoji image(s)\n`);
  console.log(`| layer | ${ENCODINGS.join(' | ')} |\n| --- | ${ENCODINGS.map(() => '---:').join(' | ')} |`);
  const embeddingRow = `embedding (${choice.layers.join(' + ')})`;
  const table = new Map<string, string[]>([embeddingRow, ...layers].map((l) => [l, []]));
  const n = choice.layers.length;
  const refEmbedding = embeddingFromPooled(reference.slice(0, n), images.length);
  for (const weights of ENCODINGS) {
    const ours = await onnxPooled(keras, layers, weights, x, dims);
    layers.forEach((l, k) =>
      table.get(l)!.push(minRowCosine(ours[k], reference[k], images.length).toFixed(6)),
    );
    const embedding = embeddingFromPooled(ours.slice(0, n), images.length);
    table
      .get(embeddingRow)!
      .push(Math.min(...embedding.map((e, i) => cosine(e, refEmbedding[i]))).toFixed(6));
  }
  for (const [l, cells] of table) console.log(`| ${l} | ${cells.join(' | ')} |`);
  const sizes = ENCODINGS.map((weights) => {
    const { onnx } = kerasToOnnx(keras.topology, keras.weights, {
      layers: choice.layers,
      output: 'embedding',
      weights,
    });
    return `${weights} ${(onnx.length / 1e6).toFixed(2)} MB`;
  });
  console.log(`\nembedding model (${choice.layers.join(' + ')}) size: ${sizes.join(', ')}`);
}

const names = process.argv.slice(2).length ? process.argv.slice(2) : ['mobilenet_v2'];
for (const n of names) {
  if (!NSFWJS_MODELS.includes(n as NsfwjsModelName)) throw new Error(`unknown model ${n}`);
  await report(n as NsfwjsModelName);
}
