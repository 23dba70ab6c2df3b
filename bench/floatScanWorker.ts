/*
 * The baseline a client-side exact search uses (e.g. transformers.js's in-browser image search): every
 * float32 embedding in one flat array, a full cosine scan per query. It runs in its own Web Worker so
 * its timings include a postMessage round trip like Lookalike's worker. The source is a string because
 * it is started from a Blob URL inside the page, independent of the site's bundle.
 */
export const FLOAT_SCAN_WORKER_SOURCE = `
let data = null;
let dim = 0;
let count = 0;
onmessage = (event) => {
  const m = event.data;
  if (m.type === 'load') {
    data = new Float32Array(m.buffer);
    dim = m.dim;
    count = data.length / dim;
    postMessage({ type: 'loaded', count });
    return;
  }
  const k = m.k;
  const q = m.row * dim;
  const bestScore = new Float64Array(k).fill(-Infinity);
  const bestRow = new Int32Array(k).fill(-1);
  for (let r = 0; r < count; r++) {
    if (r === m.row) continue;
    const o = r * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[q + j] * data[o + j];
    if (s > bestScore[k - 1]) {
      let i = k - 1;
      while (i > 0 && bestScore[i - 1] < s) {
        bestScore[i] = bestScore[i - 1];
        bestRow[i] = bestRow[i - 1];
        i--;
      }
      bestScore[i] = s;
      bestRow[i] = r;
    }
  }
  postMessage({ type: 'result', rows: Array.from(bestRow) });
};
`;
