// Float64 references for the embedding lookup and its scatter-add backward.

/** out[i, :] = weight[ids[i], :] for a (vocab, dim) table; ids flattened. */
export function refEmbedding(weight: ArrayLike<number>, ids: ArrayLike<number>, dim: number): Float64Array {
  const out = new Float64Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) {
    for (let c = 0; c < dim; c++) out[i * dim + c] = weight[ids[i]! * dim + c]!;
  }
  return out;
}

/**
 * dweight[ids[i], :] += dy[i, :] in position order, starting from `dweight0`.
 * `f32` rounds after every add (the kernel's exact sequence of f32 adds);
 * otherwise the sums are float64.
 */
export function refEmbeddingBackward(
  ids: ArrayLike<number>,
  dy: ArrayLike<number>,
  dweight0: ArrayLike<number>,
  dim: number,
  f32 = false,
): Float64Array {
  const dw = Float64Array.from(dweight0);
  for (let i = 0; i < ids.length; i++) {
    const row = ids[i]! * dim;
    for (let c = 0; c < dim; c++) {
      const s = dw[row + c]! + dy[i * dim + c]!;
      dw[row + c] = f32 ? Math.fround(s) : s;
    }
  }
  return dw;
}
