import type { ModelSpec } from '../core/modelSpec';
import type { ColourBlockOptions, ModelWeights, Pooling } from './convertShared';
import type { NsfwjsAnyModelName } from './nsfwjsModel';

/** Which layers of an nsfwjs model make the embedding, how they are pooled, and how its input is prepared. */
interface NsfwjsEmbedding {
  model: NsfwjsAnyModelName;
  id: string;
  /** The taps: Keras layer names, or graph node names (the part after `predict/` for TF-Hub graphs). */
  layers: string[];
  /** Pooling per tap; taps not listed are average-pooled. */
  pooling?: Record<string, Pooling>;
  /** Convert at this input size instead of the model's own (fully convolutional up to the taps). */
  inputSize?: { height: number; width: number };
  weights: ModelWeights;
  input: ModelSpec['input'];
  /** Append a colour histogram block (convertShared.ts); its pixel mapping follows `input`. */
  colour?: ModelColourBlock;
  /** Square input sides (px) of further passes over the resized input (graphToOnnx's `scales`). */
  scales?: number[];
  /** A second network joined to this one on the same input (models/joinModels.ts). */
  companion?: ModelCompanion;
  /**
   * The index builder learns from the model's style pairs (models/stylePairs.ts), embedded once when
   * the model is ensured in its own weights.
   */
  stylePairs?: boolean;
}

/**
 * A second network whose embedding is appended to a choice's: which network (its taps come from
 * COMPANION_TAPS), the square side it sees (the choice's input resized in the graph), its share of
 * the embedding, and whether its input is standardised per image (brightness and contrast removed).
 */
interface ModelCompanion {
  model: NsfwjsAnyModelName;
  side: number;
  weight: number;
  standardise: boolean;
}

/** The taps and pooling of each network that can be a companion. */
export const COMPANION_TAPS: Partial<
  Record<NsfwjsAnyModelName, { layers: string[]; pooling: Record<string, Pooling> }>
> = {
  // The Keras network's ImageNet blocks (10) and one beyond (13), GeM as for the main taps.
  mobilenet_v2: {
    layers: ['block_10_expand_relu', 'block_13_expand_relu'],
    pooling: {
      block_10_expand_relu: { type: 'gem', p: 3 },
      block_13_expand_relu: { type: 'gem', p: 3 },
    },
  },
};

/** What a build may add to or change in a model choice; each part also names the built files. */
export interface ModelVariant {
  colour?: ModelColourBlock;
  scales?: number[];
  /** A companion network, or null for none (overriding a choice's). */
  companion?: ModelCompanion | null;
}

/**
 * "rgb6w0.1.s128": names a variant's parts in file names ('.') and model ids ('-'); `scales: []` (only
 * the input's own pass, overriding a choice's further passes) is "single-scale".
 */
export function variantTags(v: ModelVariant): string[] {
  const scales = v.scales === undefined ? [] : [v.scales.length ? `s${v.scales.join('s')}` : 'single-scale'];
  const companion =
    v.companion === undefined ? [] : [v.companion === null ? 'alone' : companionTag(v.companion)];
  return [...(v.colour ? [colourTag(v.colour)] : []), ...scales, ...companion];
}

/** "with-mobilenet_v2s128w0.5std": names a companion in file names and model ids. */
function companionTag(c: ModelCompanion): string {
  return `with-${c.model}s${c.side}w${c.weight}${c.standardise ? 'std' : ''}`;
}

/** The colour block of a model choice: bins and weight (the pixel mapping comes from the input spec). */
type ModelColourBlock = Pick<ColourBlockOptions, 'bins' | 'weight'>;

/** "rgb4w0.3": names a colour block in file names and model ids. */
function colourTag(c: ModelColourBlock): string {
  return `rgb${c.bins}w${c.weight}`;
}

// Keras MobileNetV2 / InceptionV3 preprocessing: x/127.5 - 1, i.e. (v/255 - 0.5)/0.5.
// The layer choice and the [-1, 1] input range are measured in models/research/layerChoice.ts (docs/model.md).
const KERAS_RANGE = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } as const;
// [0, 1] pixels, for graphs that map them to [-1, 1] themselves (TF-Hub's hub_input/Mul and Sub: x*2 - 1).
const UNIT_RANGE = { mean: [0, 0, 0], std: [1, 1, 1] } as const;

function input(size: number, range: typeof KERAS_RANGE | typeof UNIT_RANGE): ModelSpec['input'] {
  return {
    name: 'input',
    layout: 'NCHW',
    width: size,
    height: size,
    fit: 'center-crop',
    cropFraction: 1,
    resize: 'bilinear-antialias',
    scale: 1 / 255,
    mean: [...range.mean],
    std: [...range.std],
  };
}

// Block 12's expansion (816 channels) carries what an image shows; block 6's (288 channels, twice the
// resolution) its texture and local pattern. Chosen on the development sets (docs/model.md).
const MID_TAPS = ['MobilenetV2/expanded_conv_6/expand/Relu6', 'MobilenetV2/expanded_conv_12/expand/Relu6'];

export const NSFWJS_EMBEDDINGS: Record<NsfwjsAnyModelName, NsfwjsEmbedding> = {
  mobilenet_v2: {
    model: 'mobilenet_v2',
    id: 'mobilenet_v2-nsfwjs-b10b13',
    layers: ['block_10_expand_relu', 'block_13_expand_relu'],
    weights: 'float16',
    input: input(224, KERAS_RANGE),
  },
  inception_v3: {
    model: 'inception_v3',
    id: 'inception_v3-nsfwjs-mixed7',
    layers: ['mixed7'],
    weights: 'float16',
    input: input(299, KERAS_RANGE),
  },
  // TF-Hub MobileNetV2 1.4× (graph model): blocks 6 and 12's expansions, GeM p = 3, at 160 and 96 px.
  mobilenet_v2_mid: {
    model: 'mobilenet_v2_mid',
    id: 'mobilenet_v2_mid-nsfwjs-ec6ec12expand-gem3',
    layers: MID_TAPS,
    pooling: Object.fromEntries(MID_TAPS.map((tap) => [tap, { type: 'gem', p: 3 }])),
    inputSize: { height: 160, width: 160 },
    weights: 'float16',
    // Emoji and icons come with margins of every size (emoji-datasource's art fills 0.97–1.0 of the
    // side, OpenMoji's 0.78, Fluent 3D's 0.88): an image with transparent margins is cropped so its
    // subject fills 0.97 of the side, as the demo's art does (docs/model.md#framing-the-subject); so is
    // one saved on a uniform opaque colour (within 24 levels), as art flattened into a JPEG is.
    input: {
      ...input(160, UNIT_RANGE),
      frameSubject: { alphaAbove: 16, coverage: 0.97, uniformMargin: { tolerance: 24 } },
    },
    // A 6×6×6 soft RGB histogram at weight 0.1 next to the two unit-length taps: chosen on all three
    // development sets (docs/model.md#the-colour-block); heavier weights lose harsh photo edits.
    colour: { bins: 6, weight: 0.1 },
    // A second pass at 96 px, each tap's two GeM vectors summed: the same drawing at a coarser grain.
    // Chosen on the development sets against 64–224 px and three passes (docs/model.md#multi-scale).
    scales: [96],
    // The Keras MobileNetV2 at 128 px, its input standardised per image, at half the share: another
    // network's view of the drawing, blind to brightness and contrast. Chosen on all four development
    // sets against 160 px and weights 0.3–0.7 (docs/model.md#a-second-network-the-companion).
    companion: { model: 'mobilenet_v2', side: 128, weight: 0.5, standardise: true },
    // Two more vendors' drawings of the same emoji teach every collection's fit what a drawing style
    // changes. Measured on all development sets (docs/model.md#shipped-style-pairs).
    stylePairs: true,
  },
};
