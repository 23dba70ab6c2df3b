import * as tf from '@tensorflow/tfjs';
import type { NsfwjsGraphModel, NsfwjsModel } from '../nsfwjsModel';

/*
 * The same model run by TF.js (CPU backend), as the reference the ONNX conversion must match.
 * TF.js gets the weights our loader decoded, through an in-memory IOHandler (a Keras model here; the
 * graph converter's test loads its graph models from decodedWeightArtifacts).
 */

export async function loadTfjsModel(model: NsfwjsModel): Promise<tf.LayersModel> {
  await tf.setBackend('cpu');
  const specs = model.weightSpecs.map((s) => ({ name: s.name, shape: s.shape, dtype: 'float32' as const }));
  const total = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const data = new Float32Array(total);
  let at = 0;
  for (const s of specs) {
    const values = model.weights.get(s.name)!.values;
    data.set(values, at);
    at += values.length;
  }
  const handler: tf.io.IOHandler = {
    load: async () => ({ modelTopology: model.modelTopology, weightSpecs: specs, weightData: data.buffer }),
  };
  return tf.loadLayersModel(handler);
}

/**
 * The decoded weights as TF.js weight artifacts — unquantized specs and one buffer (float32, int32 for
 * int32 constants) in manifest order — so TF.js can run a model on exactly the values our converters read.
 */
export function decodedWeightArtifacts(model: Pick<NsfwjsGraphModel, 'weightSpecs' | 'weights'>): {
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[];
  weightData: ArrayBuffer;
} {
  const weightSpecs = model.weightSpecs.map((s) => ({ name: s.name, shape: s.shape, dtype: s.dtype }));
  const total = weightSpecs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const weightData = new ArrayBuffer(total * 4);
  let at = 0;
  for (const s of weightSpecs) {
    const values = model.weights.get(s.name)!.values;
    if (s.dtype === 'int32') new Int32Array(weightData, at * 4, values.length).set(values);
    else new Float32Array(weightData, at * 4, values.length).set(values);
    at += values.length;
  }
  return { weightSpecs, weightData };
}

/**
 * Global-average-pooled activations of `layers` (rank-2 outputs as they are) for NCHW float input.
 * Returns one Float32Array of N×dim per layer.
 */
export function tfjsPooled(
  model: tf.LayersModel,
  layers: string[],
  nchw: Float32Array,
  dims: number[],
): Float32Array[] {
  return tf.tidy(() => {
    const probe = tf.model({
      inputs: model.inputs,
      outputs: layers.map((l) => model.getLayer(l).output as tf.SymbolicTensor),
    });
    const input = tf.tensor4d(nchw, dims as [number, number, number, number]).transpose([0, 2, 3, 1]);
    const raw = probe.predict(input);
    const outs = Array.isArray(raw) ? raw : [raw];
    return outs
      .map((t) => (t.rank === 4 ? t.mean([1, 2]) : t).dataSync() as Float32Array)
      .map((a) => Float32Array.from(a));
  });
}
