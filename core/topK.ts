import type { SearchHit } from './residentIndex';

/**
 * Bounded min-heap keeping the best `capacity` (row, score) pairs: higher score wins, equal scores
 * prefer the lower row so results do not depend on scan order. O(log k) per accepted push, no
 * allocation after construction.
 */
export class TopK {
  private readonly rows: Int32Array;
  private readonly scores: Float64Array;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`TopK capacity must be ≥ 1, got ${capacity}`);
    this.rows = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  /** True if (row, score) ranks below (otherRow, otherScore). */
  private static worse(score: number, row: number, otherScore: number, otherRow: number): boolean {
    return score < otherScore || (score === otherScore && row > otherRow);
  }

  /** Would a push of this pair be kept? Lets scans skip work for hopeless rows. */
  accepts(row: number, score: number): boolean {
    return this.size < this.capacity || !TopK.worse(score, row, this.scores[0], this.rows[0]);
  }

  push(row: number, score: number): void {
    const { rows, scores } = this;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!TopK.worse(score, row, scores[parent], rows[parent])) break;
        rows[i] = rows[parent];
        scores[i] = scores[parent];
        i = parent;
      }
      rows[i] = row;
      scores[i] = score;
      return;
    }
    if (TopK.worse(score, row, scores[0], rows[0])) return;
    // Replace the root (the worst kept pair) and sift down.
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      if (r < n && TopK.worse(scores[r], rows[r], scores[l], rows[l])) child = r;
      if (!TopK.worse(scores[child], rows[child], score, row)) break;
      rows[i] = rows[child];
      scores[i] = scores[child];
      i = child;
    }
    rows[i] = row;
    scores[i] = score;
  }

  /** The kept pairs, best first. */
  sorted(): SearchHit[] {
    const hits: SearchHit[] = [];
    for (let i = 0; i < this.size; i++) hits.push({ row: this.rows[i], score: this.scores[i] });
    hits.sort((a, b) => b.score - a.score || a.row - b.row);
    return hits;
  }
}
