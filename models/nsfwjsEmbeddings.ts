import type { ModelSpec } from '../core/modelSpec';
import type { WeightEncoding } from './kerasToOnnx';
import type { NsfwjsModelName } from './nsfwjsModel';

/** Which layers of an nsfwjs model make the embedding, and how its input is prepared. */
export interface NsfwjsEmbedding {
  model: NsfwjsModelName;
  id: string;
  layers: string[];
  weights: WeightEncoding;
  input: ModelSpec['input'];
}

// Keras MobileNetV2 / InceptionV3 preprocessing: x/127.5 - 1, i.e. (v/255 - 0.5)/0.5.
// The layer choice and the [-1, 1] input range are measured in models/layerChoice.ts (docs/model.md).
function input(size: number): ModelSpec['input'] {
  return {
    name: 'input',
    layout: 'NCHW',
    width: size,
    height: size,
    fit: 'center-crop',
    cropFraction: 1,
    resize: 'bilinear-antialias',
    scale: 1 / 255,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
  };
}

export const NSFWJS_EMBEDDINGS: Record<NsfwjsModelName, NsfwjsEmbedding> = {
  mobilenet_v2: {
    model: 'mobilenet_v2',
    id: 'mobilenet_v2-nsfwjs-b10b13',
    layers: ['block_10_expand_relu', 'block_13_expand_relu'],
    weights: 'float16',
    input: input(224),
  },
  inception_v3: {
    model: 'inception_v3',
    id: 'inception_v3-nsfwjs-mixed7',
    layers: ['mixed7'],
    weights: 'float16',
    input: input(299),
  },
};
