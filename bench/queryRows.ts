import { mulberry32 } from '../core/prng';

/**
 * Which rows of a collection of `count` the bench queries: `n` distinct rows drawn at random (seeded,
 * so every run and every peer gets the same). Evenly spaced rows looked fair but were not: the
 * synthetic collections give row i the cluster i mod clusters, so a stride that is a multiple of the
 * cluster count put every query in the same few clusters (2 of 20,000 at a million rows), where later
 * queries found their cells already fetched.
 */
export function queryRows(count: number, n: number, seed = 0x5eed): number[] {
  const take = Math.min(n, count);
  const random = mulberry32(seed); // uint32
  // A partial Fisher–Yates shuffle over a sparse map: no array of `count` entries at a million rows.
  const swapped = new Map<number, number>();
  const rows: number[] = [];
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor((random() / 2 ** 32) * (count - i));
    rows.push(swapped.get(j) ?? j);
    swapped.set(j, swapped.get(i) ?? i);
  }
  return rows;
}
