// Cosine nearest neighbours over a matrix of word vectors, shared by Word2Vec,
// FastText and the CLI's nn/analogies.

/** The rows of `data` (rows x dim) scaled to unit L2 norm; zero rows stay zero. */
export function unitRows(data: Float32Array, dim: number): Float32Array {
  const u = new Float32Array(data.length);
  for (let i = 0; i < data.length; i += dim) {
    let s = 0;
    for (let c = 0; c < dim; c++) s += data[i + c]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < dim; c++) u[i + c] = data[i + c]! * inv;
  }
  return u;
}

/**
 * The k rows of `unit` (from unitRows) with the highest cosine to `q`, best
 * first (ties keep the lower row), skipping rows for which `skip(row)` is true.
 */
export function topCosine(
  unit: Float32Array, dim: number, q: ArrayLike<number>, k: number, skip: (row: number) => boolean,
): { row: number; score: number }[] {
  let qn = 0;
  for (let c = 0; c < dim; c++) qn += q[c]! ** 2;
  const inv = qn > 0 ? 1 / Math.sqrt(qn) : 0;
  const best: { row: number; score: number }[] = [];
  const rows = unit.length / dim;
  for (let i = 0; i < rows; i++) {
    if (skip(i)) continue;
    let s = 0;
    const o = i * dim;
    for (let c = 0; c < dim; c++) s += q[c]! * unit[o + c]!;
    s *= inv;
    if (best.length === k && s <= best[k - 1]!.score) continue;
    let j = best.length < k ? best.length : k - 1;
    while (j > 0 && best[j - 1]!.score < s) j--;
    best.splice(j, 0, { row: i, score: s });
    if (best.length > k) best.pop();
  }
  return best;
}
