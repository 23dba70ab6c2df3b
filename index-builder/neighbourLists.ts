import { MAX_K } from '../core/collection';
import type { LshIndex } from '../core/lshIndex';
import { fileRefFor } from '../core/manifest';
import {
  NO_NEIGHBOUR,
  encodeNeighbourShard,
  neighbourShardRows,
  type NeighboursField,
} from '../core/neighboursFormat';
import { sha256Hex } from '../core/sha256';

export interface NeighbourLists {
  /** The shards by data-dir path, all in one content-addressed folder. */
  files: [string, Uint8Array][];
  manifestField: NeighboursField;
  ms: number;
}

/**
 * Every row's MAX_K nearest rows by the index's own search (LshIndex.searchByRow, the query an album
 * image would run), in shards for the manifest's `neighbours` field (core/neighboursFormat.ts). Rows are
 * catalog positions: a resident catalog is in index row order.
 */
export function neighbourLists(index: LshIndex, k = MAX_K): NeighbourLists {
  const started = performance.now();
  const shardRows = neighbourShardRows(index.count);
  const shards: Uint8Array[] = [];
  for (let firstRow = 0; firstRow < index.count; firstRow += shardRows) {
    const rows = Math.min(shardRows, index.count - firstRow);
    const positions = new Uint32Array(rows * k).fill(NO_NEIGHBOUR);
    const scores = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) {
      index.searchByRow(firstRow + r, k).forEach((hit, i) => {
        positions[r * k + i] = hit.row;
        scores[r * k + i] = hit.score;
      });
    }
    shards.push(encodeNeighbourShard({ firstRow, rows, k, positions, scores }));
  }
  // The folder is named by every shard's content, so a changed list is a new folder.
  const folder = `neighbours.${sha256Hex(new TextEncoder().encode(shards.map((s) => sha256Hex(s)).join(''))).slice(0, 16)}`;
  const files = shards.map((bytes, i): [string, Uint8Array] => [`${folder}/${i}.bin`, bytes]);
  return {
    files,
    manifestField: { k, shardRows, shards: files.map(([path, bytes]) => fileRefFor(path, bytes)) },
    ms: performance.now() - started,
  };
}
