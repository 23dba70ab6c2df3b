import { queryRows } from './queryRows';
import type { Browser } from '@playwright/test';
import { decodeVector } from '../core/catalogShards';
import { defaultProbe, probeCells } from '../core/cellSearch';
import { openCollection } from '../core/openCollection';
import { mulberry32 } from '../core/prng';
import { ShardedCollection } from '../core/shardedCollection';
import { fileDataSource } from '../storage/fileDataSource';
import { openSite } from './benchSite';
import type { ShardedDataDir } from './shardedDataDir';
import type { ShardedItem } from '../core/catalogShards';
import { summarize, type LatencySummary } from './stats';

/** Area 7: album-image queries through the sharded, range-loaded path, in Chromium. */
export interface ShardedQueryResult {
  count: number;
  cells: number;
  indexFileBytes: number;
  headBytes: number;
  catalogIndexBytes: number;
  /** Seconds to cluster and encode the synthetic collection (0 when reused). */
  buildSeconds: number;
  /** Fresh origin (empty caches): load() fetches the head and catalog index; then one query. */
  cold: {
    samples: number;
    loadMs: LatencySummary;
    loadBytes: number;
    queryMs: LatencySummary;
    totalBytes: LatencySummary;
  };
  /**
   * Directory loaded, cells not yet seen: what most queries on a big collection cost. Timed once the
   * query item is known to the worker, as after clicking it on an album page.
   */
  warmDirectory: { latency: LatencySummary; bytes: LatencySummary; requests: LatencySummary };
  /**
   * Queries run first in the page once its directory is loaded, chosen (in Node, by the probe rule)
   * so that none of their cells was read before in the session: every cell comes over the network.
   * The worker's cell cache fills as a session goes on; these are the queries it cannot help.
   */
  unseenCells: { latency: LatencySummary; bytes: LatencySummary; requests: LatencySummary };
  /** The same queries again: cells and shards already in the worker. */
  repeat: LatencySummary;
  /** Share of the exact int8 top-10 (all cells scanned in Node) that the browser returned. */
  recallAt10: number;
  /** Queries whose browser results equal Node's (core/openCollection.ts over the same files). */
  sameAsNode: number;
  /** One 100-byte Range request to the same server, p50: the floor under every cell fetch. */
  rangeRequestMs: { chromium: number; node: number };
  crossOriginIsolated: boolean;
}

/** 20 sequential 100-byte Range requests for `url` (runs in the page too: self-contained). */
async function rangeRoundTrips(url: string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = 4096 + i * 100_003;
    const t = performance.now();
    const res = await fetch(url, { headers: { Range: `bytes=${start}-${start + 99}` }, cache: 'no-store' });
    await res.arrayBuffer();
    ms.push(performance.now() - t);
  }
  return ms;
}

const K = 10;

export async function shardedQueryBench(
  browser: Browser,
  distDir: string,
  data: ShardedDataDir,
  queryCount: number,
  unseenCount: number,
  coldSamples: number,
  log: (m: string) => void,
): Promise<ShardedQueryResult> {
  const { manifest, dir, count } = data;
  // Node reads the build as `npm run query` does (core/openCollection.ts); the exact top-10 comes from
  // the same reader told to probe every cell.
  const opened = await openCollection(manifest, fileDataSource(dir));
  if (!(opened instanceof ShardedCollection)) throw new Error(`${dir} is not a sharded build`);
  const node = opened.reader;
  const positions = queryRows(count, queryCount);
  const items = await Promise.all(positions.map((p) => node.itemsAt(p, 1).then((it) => it[0])));
  log(`  exact top-${K} in Node for ${queryCount} queries (every cell)`);
  const exact: string[][] = [];
  const nodeDefault: string[][] = [];
  for (const item of items) {
    exact.push((await node.searchByItem(item, K, count)).hits.map((h) => h.item.id));
    const fresh = await openCollection(manifest, fileDataSource(dir));
    nodeDefault.push((await fresh.searchById(item.id, K)).results.map((r) => r.id));
  }
  const ids = items.map((it) => it.id);
  // Queries whose cells are all new to the session: drawn at random, each kept when none of its cells
  // is among those the ones kept before it read, and timed first in the session. (Excluding the
  // warm-directory queries' cells too left none at all once those queries were spread over the
  // collection, as they now are: queryRows.)
  const probesOf = (it: ShardedItem) =>
    probeCells(node.head, decodeVector(it.vector!), defaultProbe(node.count));
  const seen = new Set<number>();
  const unseenIds: string[] = [];
  const next = mulberry32(7);
  for (let tries = 0; tries < 50 * unseenCount && unseenIds.length < unseenCount; tries++) {
    const [it] = await node.itemsAt(next() % count, 1);
    const cells = probesOf(it);
    if (cells.some((c) => seen.has(c))) continue;
    cells.forEach((c) => seen.add(c));
    unseenIds.push(it.id);
  }
  if (unseenIds.length === 0) throw new Error('no query found whose cells are all new to the session');
  const indexPath = `/data/${manifest.index.path}`;

  const coldLoadMs: number[] = [];
  const coldQueryMs: number[] = [];
  const coldTotal: number[] = [];
  let loadBytes = 0;
  for (let s = 0; s < coldSamples; s++) {
    const site = await openSite(browser, distDir, dir, true);
    try {
      const r = await site.page.evaluate(
        async ([id, k]) => {
          const t = performance.now();
          const res = await window.__lookalike!.searchClient.searchById(id, k);
          return { ms: performance.now() - t, bytes: res.fetchedBytes };
        },
        [ids[(s * 7) % ids.length], K] as const,
      );
      coldLoadMs.push(site.loadMs);
      coldQueryMs.push(r.ms);
      loadBytes = site.load.fetchedBytes;
      coldTotal.push(site.load.fetchedBytes + r.bytes);
    } finally {
      await site.close();
    }
  }

  let requests = 0;
  const site = await openSite(browser, distDir, dir, true, (req) => {
    if (req.path.startsWith(indexPath)) requests++;
  });
  try {
    const timed = async (queryIds: string[]) => {
      const out = {
        ms: [] as number[],
        bytes: [] as number[],
        requests: [] as number[],
        got: [] as string[][],
      };
      for (const id of queryIds) {
        const before = requests;
        const r = await site.page.evaluate(
          async ([qid, k]) => {
            // The page shows the query image before it asks for neighbours (album page, result list).
            await window.__lookalike!.searchClient.item(qid);
            const t = performance.now();
            const res = await window.__lookalike!.searchClient.searchById(qid, k);
            return { ms: performance.now() - t, bytes: res.fetchedBytes, ids: res.results.map((h) => h.id) };
          },
          [id, K] as const,
        );
        out.requests.push(requests - before);
        out.ms.push(r.ms);
        out.bytes.push(r.bytes);
        out.got.push(r.ids);
      }
      return out;
    };
    const unseen = await timed(unseenIds);
    const { ms, bytes, requests: perQueryRequests, got } = await timed(ids);
    const repeat = await site.page.evaluate(
      async ([qids, k]) => {
        const out: number[] = [];
        for (const qid of qids) {
          const t = performance.now();
          await window.__lookalike!.searchClient.searchById(qid, k);
          out.push(performance.now() - t);
        }
        return out;
      },
      [ids, K] as const,
    );
    const indexUrl = new URL(`data/${manifest.index.path}`, site.server.url).href;
    const rangeRequestMs = {
      chromium: summarize(await site.page.evaluate(rangeRoundTrips, indexUrl)).p50,
      node: summarize(await rangeRoundTrips(indexUrl)).p50,
    };
    let found = 0;
    let same = 0;
    got.forEach((g, i) => {
      const want = new Set(exact[i]);
      for (const id of g) if (want.has(id)) found++;
      if (g.join() === nodeDefault[i].join()) same++;
    });
    return {
      count,
      cells: node.head.cells,
      indexFileBytes: manifest.index.bytes,
      headBytes: manifest.index.headBytes,
      catalogIndexBytes: manifest.catalog.bytes,
      buildSeconds: data.buildSeconds,
      cold: {
        samples: coldSamples,
        loadMs: summarize(coldLoadMs),
        loadBytes,
        queryMs: summarize(coldQueryMs),
        totalBytes: summarize(coldTotal),
      },
      warmDirectory: {
        latency: summarize(ms),
        bytes: summarize(bytes),
        requests: summarize(perQueryRequests),
      },
      unseenCells: {
        latency: summarize(unseen.ms),
        bytes: summarize(unseen.bytes),
        requests: summarize(unseen.requests),
      },
      repeat: summarize(repeat),
      recallAt10: found / (got.length * K),
      sameAsNode: same / got.length,
      rangeRequestMs,
      crossOriginIsolated: site.status.crossOriginIsolated,
    };
  } finally {
    await site.close();
  }
}
