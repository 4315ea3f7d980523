// Float64 references for the elementwise family: sums, dropout masks from the
// TypeScript Philox, and sinusoidal position encodings from the host's Math.
import { Philox } from '../../src/core/rng.js';

/** out[c] = out0[c] + sum_r x[r, c] in float64. */
export function refSumRows(x: ArrayLike<number>, out0: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = Float64Array.from(out0);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] = out[c]! + x[r * cols + c]!;
  return out;
}

/** out[r] = out0[r] + sum_c x[r, c] in float64. */
export function refSumCols(x: ArrayLike<number>, out0: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = Float64Array.from(out0);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r] = out[r]! + x[r * cols + c]!;
  return out;
}

/**
 * Keep mask of dropout, element i from the i-th word of `new Philox(seed, stream, counter)`:
 * kept iff (word >>> 8) >= round(p 2^24).
 */
export function refDropoutKeep(n: number, p: number, seed: number, stream = 0, counter = 0): Uint8Array {
  const rng = new Philox(seed, stream, counter);
  const threshold = Math.round(p * 2 ** 24);
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = rng.nextU32() >>> 8 >= threshold ? 1 : 0;
  return keep;
}

/** out[i] = keep[i] ? fround(x[i] * fround(1 / (1 - p))) : 0: the f32 result of the kernel, exactly. */
export function refDropout(x: ArrayLike<number>, keep: Uint8Array, p: number): Float32Array {
  const s = Math.fround(1 / (1 - p));
  return Float32Array.from(x, (v, i) => (keep[i] ? Math.fround(v * s) : 0));
}

/** dx[i] = dx0[i] + (keep[i] ? fround(dy[i] * scale) : 0), rounded to f32: the kernel's result exactly. */
export function refDropoutBackward(
  dy: ArrayLike<number>,
  dx0: ArrayLike<number>,
  keep: Uint8Array,
  p: number,
): Float32Array {
  const s = Math.fround(1 / (1 - p));
  return Float32Array.from(dx0, (v, i) => (keep[i] ? Math.fround(v + Math.fround(dy[i]! * s)) : v));
}

/** PE[pos, 2i] = sin(pos / 10000^(2i/dim)), PE[pos, 2i+1] = cos(...), float64 with the host's Math. */
export function refSinusoidal(seq: number, dim: number): Float64Array {
  const out = new Float64Array(seq * dim);
  for (let pos = 0; pos < seq; pos++) {
    for (let j = 0; j < dim; j += 2) {
      const angle = pos / Math.pow(10000, j / dim);
      out[pos * dim + j] = Math.sin(angle);
      if (j + 1 < dim) out[pos * dim + j + 1] = Math.cos(angle);
    }
  }
  return out;
}
