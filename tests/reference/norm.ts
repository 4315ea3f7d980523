// Float64 reference for layer norm over the last dimension (two-pass, biased variance).

export interface RefLayerNorm {
  y: Float64Array;
  mean: Float64Array;
  rstd: Float64Array;
}

/** y = (x - mean) rstd gamma + beta per row of C; rstd = 1 / sqrt(var + eps). */
export function refLayerNorm(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  C: number,
  eps = 1e-5,
): RefLayerNorm {
  const rows = x.length / C;
  const y = new Float64Array(x.length);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[r * C + c]!;
    const m = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c]! - m) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c]! - m) * rs * gamma[c]! + beta[c]!;
  }
  return { y, mean, rstd };
}

/** Gradients (not accumulated) of sum(dy * layerNorm(x)) wrt x, gamma, beta. */
export function refLayerNormBackward(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  dy: ArrayLike<number>,
  C: number,
  eps = 1e-5,
) {
  const rows = x.length / C;
  const { mean, rstd } = refLayerNorm(x, gamma, new Float64Array(C), C, eps);
  const dx = new Float64Array(x.length);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    let mg = 0;
    let mgx = 0;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const xh = (x[i]! - mean[r]!) * rstd[r]!;
      const g = dy[i]! * gamma[c]!;
      mg += g;
      mgx += g * xh;
      dgamma[c] = dgamma[c]! + dy[i]! * xh;
      dbeta[c] = dbeta[c]! + dy[i]!;
    }
    mg /= C;
    mgx /= C;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      const xh = (x[i]! - mean[r]!) * rstd[r]!;
      dx[i] = rstd[r]! * (dy[i]! * gamma[c]! - mg - xh * mgx);
    }
  }
  return { dx, dgamma, dbeta };
}
