// Float64 references for softmax, log-softmax and softmax cross-entropy (row-wise over the last dimension).

/** Deterministic values in [-scale, scale) from a seed (xorshift32; no Math.random). */
export function seededValues(n: number, seed: number, scale = 3): Float64Array {
  let s = (seed * 2654435761 + 12345) >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** Deterministic integers in [0, v) from a seed. */
export function seededTargets(n: number, v: number, seed: number): Int32Array {
  const u = seededValues(n, seed, 1);
  return Int32Array.from(u, (x) => Math.min(v - 1, Math.floor(((x + 1) / 2) * v)));
}

function rowMax(x: ArrayLike<number>, o: number, c: number): number {
  let m = -Infinity;
  for (let j = 0; j < c; j++) m = Math.max(m, x[o + j]!);
  return m;
}

/** log sum_j exp(x_j) of each row, in float64. */
export function refLse(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = rowMax(x, o, cols);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j]! - m);
    out[r] = m + Math.log(s);
  }
  return out;
}

export function refSoftmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = rowMax(x, o, cols);
    let s = 0;
    for (let j = 0; j < cols; j++) s += out[o + j] = Math.exp(x[o + j]! - m);
    for (let j = 0; j < cols; j++) out[o + j]! /= s;
  }
  return out;
}

export function refLogSoftmax(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = rowMax(x, o, cols);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j]! - m);
    const ls = Math.log(s);
    for (let j = 0; j < cols; j++) out[o + j] = x[o + j]! - m - ls;
  }
  return out;
}

/** Gradient of sum(y * dy), y = softmax(x): dx = y (dy - sum_j dy_j y_j). */
export function refSoftmaxBackward(
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  rows: number,
  cols: number,
): Float64Array {
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j]! * y[o + j]!;
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j]! * (dy[o + j]! - dot);
  }
  return dx;
}

/** Gradient of sum(y * dy), y = logSoftmax(x): dx = dy - exp(y) sum_j dy_j. */
export function refLogSoftmaxBackward(
  y: ArrayLike<number>,
  dy: ArrayLike<number>,
  rows: number,
  cols: number,
): Float64Array {
  const dx = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += dy[o + j]!;
    for (let j = 0; j < cols; j++) dx[o + j] = dy[o + j]! - Math.exp(y[o + j]!) * s;
  }
  return dx;
}

/** Per-row loss -sum_j q_j log p_j, q = (1 - eps) onehot + eps / V; 0 for ignored rows; mean over the rest. */
export function refXent(
  x: ArrayLike<number>,
  t: ArrayLike<number>,
  rows: number,
  cols: number,
  ignoreIndex = -100,
  eps = 0,
) {
  const lp = refLogSoftmax(x, rows, cols);
  const rowLoss = new Float64Array(rows);
  let count = 0;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    if (t[r] === ignoreIndex) continue;
    count++;
    let l = 0;
    for (let j = 0; j < cols; j++) {
      const q = (j === t[r] ? 1 - eps : 0) + eps / cols;
      l -= q * lp[r * cols + j]!;
    }
    rowLoss[r] = l;
    sum += l;
  }
  return { rowLoss, loss: count === 0 ? 0 : sum / count, count, lse: refLse(x, rows, cols) };
}

/** d(dloss * mean loss)/d logits = dloss / count * (p - q) on the rows not ignored. */
export function refXentBackward(
  x: ArrayLike<number>,
  t: ArrayLike<number>,
  rows: number,
  cols: number,
  ignoreIndex = -100,
  eps = 0,
  dloss = 1,
): Float64Array {
  const p = refSoftmax(x, rows, cols);
  const g = new Float64Array(rows * cols);
  let count = 0;
  for (let r = 0; r < rows; r++) if (t[r] !== ignoreIndex) count++;
  if (count === 0) return g;
  for (let r = 0; r < rows; r++) {
    if (t[r] === ignoreIndex) continue;
    for (let j = 0; j < cols; j++) {
      const q = (j === t[r] ? 1 - eps : 0) + eps / cols;
      g[r * cols + j] = (dloss / count) * (p[r * cols + j]! - q);
    }
  }
  return g;
}

/** Central finite differences of a scalar f64 function at x, step h. */
export function finiteDiff(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  const z = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    z[i] = x[i]! + h;
    const fp = f(z);
    z[i] = x[i]! - h;
    const fm = f(z);
    z[i] = x[i]!;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}
