/**
 * How the sharded layout's buckets were chosen: `npx tsx bench/shardedTradeoff.ts [--count N]`
 * writes docs/sharded-tradeoff.md. For the real emoji demo (when built) and a calibrated synthetic
 * collection it measures recall@10 against the exact int8 scan as a function of the rows a query
 * reads, for random-hyperplane buckets (query-directed multi-probe over the first B code bits) and
 * for k-means cells of several sizes (nearest centroids first), plus the Range requests that takes.
 */
import { queryRows } from './queryRows';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import type { CellIndexHead, CellRows } from '../core/cellIndexFormat';
import { probeCells, searchCells } from '../core/cellSearch';
import { decodeIndexData } from '../core/indexFormat';
import { lshPlanes } from '../core/lsh';
import { parseManifest } from '../core/manifest';
import { compactVector } from '../core/vectorTransform';
import { DEFAULT_SEED, SHARDED_DIMS } from '../index-builder/assembleIndex';
import { borderCopies } from '../index-builder/cellCopies';
import { clusterCells } from '../index-builder/cellClustering';
import { fitTransform } from '../index-builder/fitTransform';
import { DEMO_DATA_DIR } from './demoDataDir';
import { calibratedEmbeddings } from './shardedDataDir';

const K = 10;
const QUERIES = 60;
const args = process.argv.slice(2);
const countArg = args.indexOf('--count');
const syntheticCount = countArg >= 0 ? Number(args[countArg + 1]) : 200_000;

interface Row {
  method: string;
  /** Fraction of the collection read. */
  fraction: number;
  recall: number;
  /** Range requests per query (runs of adjacent cells or buckets). */
  requests: number;
}

function cellsOf(vectors: Int8Array, dims: number, rows: Uint32Array, cellRows: Uint32Array): CellRows[] {
  const cells: CellRows[] = [];
  for (let c = 0; c + 1 < cellRows.length; c++) {
    const a = cellRows[c];
    const b = cellRows[c + 1];
    const v = new Int8Array((b - a) * dims);
    for (let r = a; r < b; r++) v.set(vectors.subarray(rows[r] * dims, (rows[r] + 1) * dims), (r - a) * dims);
    cells.push({ cell: c, firstRow: a, count: b - a, copies: 0, vectors: v, positions: rows.slice(a, b) });
  }
  return cells;
}

/** The same cells with the copies of border rows an index v3 stores (index-builder/cellCopies.ts). */
async function withCopies(
  cells: CellRows[],
  dims: number,
  centroids: Int8Array,
  cellRows: Uint32Array,
): Promise<CellRows[]> {
  const vectors = new Int8Array(cellRows[cellRows.length - 1] * dims);
  const positions = new Uint32Array(cellRows[cellRows.length - 1]);
  for (const c of cells) {
    vectors.set(c.vectors, c.firstRow * dims);
    positions.set(c.positions, c.firstRow);
  }
  const copies = await borderCopies(vectors, positions, dims, centroids, cellRows);
  return cells.map((c, i) => {
    const [a, b] = [copies.rows[i], copies.rows[i + 1]];
    const v = new Int8Array((c.count + b - a) * dims);
    v.set(c.vectors);
    v.set(copies.vectors.subarray(a * dims, b * dims), c.count * dims);
    const p = new Uint32Array(c.count + b - a);
    p.set(c.positions);
    p.set(copies.positions.subarray(a, b), c.count);
    return { ...c, count: c.count + b - a, copies: b - a, vectors: v, positions: p };
  });
}

function runs(sortedCells: number[]): number {
  let n = 0;
  sortedCells.forEach((c, i) => {
    if (i === 0 || c !== sortedCells[i - 1] + 1) n++;
  });
  return n;
}

async function measure(
  label: string,
  vectors: Int8Array,
  dims: number,
  fractions: number[],
  rowsPerCell: number[],
): Promise<Row[]> {
  const n = vectors.length / dims;
  const queries = queryRows(n, QUERIES);
  const identity = Uint32Array.from({ length: n }, (_, i) => i);
  const all = cellsOf(vectors, dims, identity, Uint32Array.of(0, n));
  const q = (i: number) => vectors.subarray(i * dims, (i + 1) * dims);
  const exact = queries.map((i) => new Set(searchCells(q(i), all, K, i).map((h) => h.position)));
  const rows: Row[] = [];
  const score = (
    method: string,
    fraction: number,
    pick: (qi: number) => { cells: CellRows[]; requests: number },
  ) => {
    let found = 0;
    let requests = 0;
    queries.forEach((i, j) => {
      const { cells, requests: r } = pick(i);
      requests += r;
      // Row numbers here are input indices: leave the query itself out by position.
      for (const h of searchCells(q(i), cells, K + 1)
        .filter((x) => x.position !== i)
        .slice(0, K))
        if (exact[j].has(h.position)) found++;
    });
    rows.push({ method, fraction, recall: found / (QUERIES * K), requests: requests / QUERIES });
  };

  // Random-hyperplane buckets: the first B bits of the index's LSH code.
  const bits = Math.max(4, Math.round(Math.log2(n / 128)));
  const planes = lshPlanes(DEFAULT_SEED, 32, dims);
  const proj = (i: number, b: number) => {
    let s = 0;
    for (let d = 0; d < dims; d++) s += planes[b * dims + d] * vectors[i * dims + d];
    return s;
  };
  const bucketOf = Uint32Array.from({ length: n }, (_, i) => {
    let c = 0;
    for (let b = 0; b < bits; b++) if (proj(i, b) > 0) c |= 1 << b;
    return c;
  });
  const order = Array.from(identity).sort((a, b) => bucketOf[a] - bucketOf[b] || a - b);
  const bucketRows = new Uint32Array((1 << bits) + 1);
  for (const b of bucketOf) bucketRows[b + 1]++;
  for (let b = 0; b < 1 << bits; b++) bucketRows[b + 1] += bucketRows[b];
  const buckets = cellsOf(vectors, dims, Uint32Array.from(order), bucketRows);
  for (const fraction of fractions) {
    score(`hyperplane buckets (${bits} bits, ${(n / 2 ** bits).toFixed(0)} rows each)`, fraction, (i) => {
      // Query-directed multi-probe: flip the bits whose projections are closest to zero first.
      const margins = Array.from({ length: bits }, (_, b) => proj(i, b) ** 2);
      const home = bucketOf[i];
      const probes = Array.from({ length: 1 << bits }, (_, flip) => {
        let s = 0;
        for (let b = 0; b < bits; b++) if ((flip >> b) & 1) s += margins[b];
        return [s, home ^ flip] as const;
      }).sort((a, b) => a[0] - b[0]);
      const picked: number[] = [];
      let got = 0;
      for (const [, b] of probes) {
        if (got >= fraction * n) break;
        picked.push(b);
        got += buckets[b].count;
      }
      return { cells: picked.map((b) => buckets[b]), requests: runs(picked.sort((a, b) => a - b)) };
    });
  }
  for (const size of rowsPerCell) {
    const c = clusterCells(vectors, dims, { rowsPerCell: size });
    const own = cellsOf(vectors, dims, c.order, c.cellRows);
    const copied = await withCopies(own, dims, c.centroids, c.cellRows);
    for (const [kind, cells] of [
      ['', own],
      [', border rows copied', copied],
    ] as const) {
      const storedRows = new Uint32Array(cells.length + 1);
      cells.forEach((cell, i) => (storedRows[i + 1] = storedRows[i] + cell.count));
      const head = {
        cells: cells.length,
        dims,
        centroids: c.centroids,
        cellRows: c.cellRows,
        storedRows,
      } as CellIndexHead;
      const stored = storedRows[cells.length] / n;
      const label = `k-means cells (${cells.length} of ~${size} rows${kind}${kind ? `, ${stored.toFixed(2)}× rows` : ''})`;
      for (const fraction of fractions) {
        score(label, fraction, (i) => {
          const picked = probeCells(head, q(i), { minRows: Math.ceil(fraction * n), maxCells: Infinity });
          return { cells: picked.map((p) => cells[p]), requests: runs([...picked].sort((a, b) => a - b)) };
        });
      }
    }
  }
  console.log(`${label}: ${rows.length} rows measured`);
  return rows;
}

function table(title: string, rows: Row[]): string[] {
  const fractions = [...new Set(rows.map((r) => r.fraction))];
  const methods = [...new Set(rows.map((r) => r.method))];
  const out = [
    `### ${title}`,
    '',
    `| buckets | ${fractions.map((f) => `${(f * 100).toFixed(1)} % read`).join(' | ')} |`,
  ];
  out.push(`|---|${fractions.map(() => '---:').join('|')}|`);
  for (const m of methods) {
    const cells = fractions.map((f) => {
      const r = rows.find((x) => x.method === m && x.fraction === f);
      return r ? `${(r.recall * 100).toFixed(1)} % (${r.requests.toFixed(0)} req.)` : '';
    });
    out.push(`| ${m} | ${cells.join(' | ')} |`);
  }
  return [...out, ''];
}

const sections: string[] = [];
const demoManifest = path.join(DEMO_DATA_DIR, 'manifest.json');
if (existsSync(demoManifest)) {
  const m = parseManifest(JSON.parse(readFileSync(demoManifest, 'utf8')));
  const index = decodeIndexData(new Uint8Array(readFileSync(path.join(DEMO_DATA_DIR, m.index.path))));
  const n = index.vectors.length / index.transform.dims;
  sections.push(
    ...table(
      `Real: the emoji demo (${n} images, the resident index's ${index.transform.dims}-d rows)`,
      await measure(
        'emoji',
        index.vectors,
        index.transform.dims,
        [0.02, 0.05, 0.1, 0.18, 0.36],
        [32, 128, 256],
      ),
    ),
  );
}
const embeddings = calibratedEmbeddings(syntheticCount);
const transform = await fitTransform(embeddings, { dims: SHARDED_DIMS, seed: DEFAULT_SEED });
const synthetic = new Int8Array(syntheticCount * SHARDED_DIMS);
embeddings.forEach((e, i) => synthetic.set(compactVector(transform, e), i * SHARDED_DIMS));
embeddings.length = 0;
sections.push(
  ...table(
    `Synthetic, calibrated (${syntheticCount} images, bench/shardedDataDir.ts)`,
    await measure('synthetic', synthetic, SHARDED_DIMS, [0.01, 0.02, 0.05], [128, 256, 512]),
  ),
);

const doc = [
  '# Sharded layout: which buckets',
  '',
  `Written by \`npx tsx bench/shardedTradeoff.ts --count ${syntheticCount}\`. Recall@10 against the exact int8 scan (every row), ${QUERIES} album-image queries, as a function of the share of the collection a query reads; in brackets the Range requests per query (runs of adjacent buckets). The row size is the same for every method (100 bytes), so the share read is the bytes a cold query fetches for rows.`,
  '',
  'Random-hyperplane buckets (the first bits of the LSH code, probed in order of the smallest projection margins, Lv et al. 2007) find few of the true neighbours: in the whitened 96-d space the neighbours of an image are at 35–55°, where each hyperplane separates them with probability 0.2–0.3, so a handful of bits already scatters them over many buckets. Nearest-centroid cells (spherical k-means, each row in the cell of its nearest centroid) follow the data, and read a fraction of the rows for the same recall; they are what index v3 stores, with copies of border rows (the rows marked so below; [index-format.md](index-format.md#the-sharded-layout)). Larger cells mean fewer requests and a smaller head, smaller cells a better recall per byte; the default is ~256 rows per cell.',
  '',
  ...sections,
];
const mdPath = path.join(import.meta.dirname, '..', 'docs', 'sharded-tradeoff.md');
writeFileSync(mdPath, await prettier.format(doc.join('\n'), { filepath: mdPath }));
console.log(`wrote ${mdPath}`);
