/*
 * The in-page approximate-search peer of the album-query benchmark: hnswlib compiled to WebAssembly
 * (npm `hnswlib-wasm`, Apache-2.0), the HNSW index a client-side app would build over the same float32
 * embeddings. It runs in its own module Web Worker so its timings include a postMessage round trip like
 * Lookalike's worker. The source is a string because it is started from a Blob URL inside the page,
 * independent of the site's bundle; it imports the library's Emscripten glue (its .wasm inlined as base64)
 * from the URL the page passes, a file of the page's own origin.
 *
 * Messages: `load` builds the index (L2-normalised rows, inner product = cosine) and, when asked,
 * reports the serialized index size; `batch` answers every query row at one ef (the recall sweep); `query` answers
 * one row (the timed queries). Labels are flat-file rows; the query row itself is left out of its
 * results, as the float scan and Lookalike leave it out.
 */
export const HNSW_WASM_WORKER_SOURCE = `
let index = null;
let data = null;
let dim = 0;

// The serialized index: writeIndex saves into the library's IDBFS mount and a sync copies it into
// IndexedDB, where its byte length can be read (the glue does not export Emscripten's FS to stat it).
async function savedIndexBytes(lib, name) {
  await index.writeIndex(name);
  await new Promise((resolve) => lib.EmscriptenFileSystemManager.syncFS(false, resolve));
  for (let waited = 0; !lib.EmscriptenFileSystemManager.isSynced(); waited += 50) {
    if (waited > 60000) throw new Error('hnswlib-wasm: IDBFS sync did not finish');
    await new Promise((r) => setTimeout(r, 50));
  }
  const dbs = await indexedDB.databases();
  for (const { name: dbName } of dbs) {
    const db = await new Promise((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    if (!db.objectStoreNames.contains('FILE_DATA')) { db.close(); continue; }
    const entries = await new Promise((resolve, reject) => {
      const req = db.transaction('FILE_DATA').objectStore('FILE_DATA').openCursor();
      const found = [];
      req.onsuccess = () => {
        const c = req.result;
        if (!c) return resolve(found);
        found.push({ key: String(c.key), bytes: c.value.contents ? c.value.contents.byteLength : -1 });
        c.continue();
      };
      req.onerror = () => reject(req.error);
    });
    db.close();
    const file = entries.find((e) => e.key.endsWith('/' + name));
    if (file && file.bytes > 0) return file.bytes;
  }
  throw new Error('hnswlib-wasm: the written index ' + name + ' is not in IndexedDB');
}

function search(row, k) {
  const r = index.searchKnn(data.subarray(row * dim, (row + 1) * dim), k + 1, undefined);
  return r.neighbors.filter((n) => n !== row).slice(0, k);
}

onmessage = async (event) => {
  const m = event.data;
  try {
    if (m.type === 'load') {
      const t0 = performance.now();
      const factory = (await import(m.glueUrl)).default;
      const lib = await factory();
      // What the package's loadHnswlib does after instantiating: mount IDBFS for writeIndex.
      lib.EmscriptenFileSystemManager.initializeFileSystem('IDBFS');
      const startMs = performance.now() - t0;
      dim = m.dim;
      data = new Float32Array(m.buffer);
      const count = data.length / dim;
      for (let r = 0; r < count; r++) {
        let n2 = 0;
        for (let j = r * dim; j < (r + 1) * dim; j++) n2 += data[j] * data[j];
        const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
        for (let j = r * dim; j < (r + 1) * dim; j++) data[j] *= inv;
      }
      const t1 = performance.now();
      index = new lib.HierarchicalNSW('ip', dim, '');
      index.initIndex(count, m.m, m.efConstruction, 100);
      for (let r = 0; r < count; r++) index.addPoint(data.subarray(r * dim, (r + 1) * dim), r, false);
      const buildMs = performance.now() - t1;
      const indexBytes = m.saveIndex ? await savedIndexBytes(lib, 'album-bench.hnsw') : null;
      postMessage({ type: 'loaded', count, startMs, buildMs, indexBytes });
      return;
    }
    if (m.type === 'batch') {
      index.setEfSearch(m.ef);
      postMessage({ type: 'batch', results: m.rows.map((row) => search(row, m.k)) });
      return;
    }
    postMessage({ type: 'result', rows: search(m.row, m.k) });
  } catch (err) {
    postMessage({ type: 'error', message: String(err && err.stack ? err.stack : err) });
  }
};
`;
