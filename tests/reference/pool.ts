// Float64 references for pooling over the sequence axis (x [B, S, D], mask [B, S]).

const kept = (mask: ArrayLike<number> | undefined, b: number, S: number, s: number) =>
  mask === undefined || mask[b * S + s] !== 0;

/** The last kept position of row b, or -1 when nothing is kept. */
function lastKept(mask: ArrayLike<number> | undefined, b: number, S: number): number {
  let last = -1;
  for (let s = 0; s < S; s++) if (kept(mask, b, S, s)) last = s;
  return last;
}

/** out[b, c] = mean over kept s of x[b, s, c]; 0 when nothing is kept. */
export function refMeanPool(
  x: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  B: number,
  S: number,
  D: number,
): Float64Array {
  const out = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let s = 0; s < S; s++) if (kept(mask, b, S, s)) n++;
    if (n === 0) continue;
    for (let s = 0; s < S; s++) {
      if (!kept(mask, b, S, s)) continue;
      for (let c = 0; c < D; c++) out[b * D + c]! += x[(b * S + s) * D + c]! / n;
    }
  }
  return out;
}

/** dx[b, s, c] = dx0 + dout[b, c] / n_b at kept s. */
export function refMeanPoolBackward(
  dout: ArrayLike<number>,
  dx0: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  B: number,
  S: number,
  D: number,
): Float64Array {
  const dx = Float64Array.from(dx0);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let s = 0; s < S; s++) if (kept(mask, b, S, s)) n++;
    for (let s = 0; s < S; s++) {
      if (!kept(mask, b, S, s)) continue;
      for (let c = 0; c < D; c++) dx[(b * S + s) * D + c]! += dout[b * D + c]! / n;
    }
  }
  return dx;
}

/** Max over kept s and the first arg-max; (0, -1) when nothing is kept. */
export function refMaxPool(
  x: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  B: number,
  S: number,
  D: number,
): { out: Float64Array; argmax: Int32Array } {
  const out = new Float64Array(B * D);
  const argmax = new Int32Array(B * D).fill(-1);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < D; c++) {
      let best = -Infinity;
      let arg = -1;
      for (let s = 0; s < S; s++) {
        if (!kept(mask, b, S, s)) continue;
        const val = x[(b * S + s) * D + c]!;
        if (arg < 0 || val > best) {
          best = val;
          arg = s;
        }
      }
      out[b * D + c] = arg < 0 ? 0 : best;
      argmax[b * D + c] = arg;
    }
  }
  return { out, argmax };
}

/** dx[b, argmax, c] = dx0 + dout[b, c]. */
export function refMaxPoolBackward(
  argmax: ArrayLike<number>,
  dout: ArrayLike<number>,
  dx0: ArrayLike<number>,
  B: number,
  S: number,
  D: number,
): Float64Array {
  const dx = Float64Array.from(dx0);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < D; c++) {
      const s = argmax[b * D + c]!;
      if (s >= 0) dx[(b * S + s) * D + c]! += dout[b * D + c]!;
    }
  }
  return dx;
}

/** out[b, c] = x[b, 0, c]. */
export function refFirstPool(x: ArrayLike<number>, B: number, S: number, D: number): Float64Array {
  const out = new Float64Array(B * D);
  for (let b = 0; b < B; b++) for (let c = 0; c < D; c++) out[b * D + c] = x[b * S * D + c]!;
  return out;
}

/** out[b, c] = x[b, s_b, c] with s_b the last kept position; 0 when nothing is kept. */
export function refLastPool(
  x: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  B: number,
  S: number,
  D: number,
): Float64Array {
  const out = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    const last = lastKept(mask, b, S);
    if (last >= 0) for (let c = 0; c < D; c++) out[b * D + c] = x[(b * S + last) * D + c]!;
  }
  return out;
}

/** dx[b, s_b, c] = dx0 + dout[b, c] at the last kept position s_b. */
export function refLastPoolBackward(
  dout: ArrayLike<number>,
  dx0: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  B: number,
  S: number,
  D: number,
): Float64Array {
  const dx = Float64Array.from(dx0);
  for (let b = 0; b < B; b++) {
    const last = lastKept(mask, b, S);
    if (last >= 0) for (let c = 0; c < D; c++) dx[(b * S + last) * D + c]! += dout[b * D + c]!;
  }
  return dx;
}
