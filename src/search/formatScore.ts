/** Similarity with three decimals, e.g. 0.873 (cosine of the compact vectors, in [-1, 1]). */
export function formatScore(score: number): string {
  return score.toFixed(3);
}
