// Elementwise kernels: add, mul, scale, axpy, bias-add, row and column sums,
// dropout (mask from the counter-based RNG, regenerated in the backward) and
// sinusoidal position encodings.
//
// Every kernel is a v128 body over groups of 4 plus a scalar tail doing the
// same IEEE operation per element, so a value never depends on its position.
// Lane-wise kernels (add, mul, scale, axpy, bias_add, dropout) allow their
// output to be one of their inputs (in place); the reductions do not.

import { philox_block } from './rng';
import { hsum } from './vmath';

/**
 * out = a + b, n floats.
 *   a, b (n) f32, read;  out (n) f32, written; out may equal a or b.
 */
export function add_f32(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/**
 * out = a * b (elementwise), n floats.
 *   a, b (n) f32, read;  out (n) f32, written; out may equal a or b.
 */
export function mul_f32(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/**
 * out = s * x, n floats. Also the second pass of global-norm clipping.
 *   x (n) f32, read;  out (n) f32, written; out may equal x.
 */
export function scale_f32(x: usize, out: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * s);
  }
}

/**
 * y += alpha * x (BLAS saxpy), n floats; rounded as fl(y + fl(alpha * x)).
 *   x (n) f32, read;  y (n) f32, read and written; y may equal x.
 */
export function axpy_f32(x: usize, y: usize, n: i32, alpha: f32): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(v128.load(x + o), av)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o) * alpha);
  }
}

/**
 * out[r, c] = x[r, c] + bias[c]: a row vector broadcast over the rows.
 *   x    (rows, cols) f32 row-major, read
 *   bias (cols) f32, read
 *   out  (rows, cols) f32, written; may equal x (not bias)
 * Any cols (scalar tail per row).
 */
export function bias_add_f32(x: usize, bias: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const outr = out + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(outr + o, f32x4.add(v128.load(xr + o), v128.load(bias + o)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(outr + o, load<f32>(xr + o) + load<f32>(bias + o));
    }
  }
}

/**
 * Column sums (the sum over rows; the bias gradient):
 * out[c] += x[0, c] + x[1, c] + ... + x[rows-1, c].
 *   x   (rows, cols) f32 row-major, read
 *   out (cols) f32, read and written: ACCUMULATES; must not overlap x
 * Each column is summed in row order in its own f32 accumulator (a lane or a
 * scalar: the same adds either way), then added to out once. Columns go in
 * strips of 16 (four vectors) so each row's strip is one cache line.
 */
export function sum_rows_f32(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    let p = x + (<usize>c << 2);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += rowBytes;
    }
    const q = out + (<usize>c << 2);
    v128.store(q, f32x4.add(v128.load(q), s0));
    v128.store(q, f32x4.add(v128.load(q, 16), s1), 16);
    v128.store(q, f32x4.add(v128.load(q, 32), s2), 32);
    v128.store(q, f32x4.add(v128.load(q, 48), s3), 48);
  }
  for (; c + 4 <= cols; c += 4) {
    let p = x + (<usize>c << 2);
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, v128.load(p));
      p += rowBytes;
    }
    const q = out + (<usize>c << 2);
    v128.store(q, f32x4.add(v128.load(q), s));
  }
  for (; c < cols; c++) {
    let p = x + (<usize>c << 2);
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) {
      s += load<f32>(p);
      p += rowBytes;
    }
    const q = out + (<usize>c << 2);
    store<f32>(q, load<f32>(q) + s);
  }
}

/**
 * Row sums (the sum over columns): out[r] += sum_c x[r, c].
 *   x   (rows, cols) f32 row-major, read
 *   out (rows) f32, read and written: ACCUMULATES; must not overlap x
 * Per row: four lanes of partial sums over the groups of 4 (lane j holds
 * columns j, j+4, ...), hsum ((l0 + l1) + (l2 + l3)), then the tail columns in
 * order, then one add into out. The order depends only on cols.
 */
export function sum_cols_f32(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= cols; c += 4) acc = f32x4.add(acc, v128.load(xr + (<usize>c << 2)));
    let s = hsum(acc);
    for (; c < cols; c++) s += load<f32>(xr + (<usize>c << 2));
    const q = out + (<usize>r << 2);
    store<f32>(q, load<f32>(q) + s);
  }
}

/**
 * Keep mask of one Philox block: lane j is all ones iff (word_j >>> 8) >= threshold
 * (the element is kept), else zero. Words are < 2^24 after the shift, so the
 * signed compare is exact.
 */
// @ts-ignore: decorator
@inline function keep_mask(key0: u32, key1: u32, ctr: u64, stream: u32, thr: v128): v128 {
  const w = philox_block(key0, key1, <u32>ctr, <u32>(ctr >> 32), stream, 0);
  return i32x4.ge_s(i32x4.shr_u(w, 8), thr);
}

/**
 * Inverted dropout, forward: out[i] = keep_i ? x[i] * scale : 0.
 *   x   (n) f32, read;  out (n) f32, written; out may equal x
 *   key0, key1  the seed; stream; (counterHi:counterLo) the 64-bit counter
 *   threshold   round(p * 2^24), in [0, 2^24)
 *   scale       fround(1 / (1 - p))
 * Element i uses word (i & 3) of philox_block(key0, key1, ctr + (i >> 2), stream, 0)
 * (the numbering of philox4x32_fill_u32) and is dropped iff (word >>> 8) < threshold.
 * A dropped element is +0 even when x is NaN or infinite (the mask is a bitwise
 * and, not a multiply). The call consumes ceil(n / 4) counter values.
 */
export function dropout_fwd_f32(x: usize, out: usize, n: i32, key0: u32, key1: u32, stream: u32,
                                counterLo: u32, counterHi: u32, threshold: i32, scale: f32): void {
  assert(threshold >= 0 && threshold < (1 << 24), 'dropout_fwd_f32: threshold must be in [0, 2^24)');
  let ctr = (<u64>counterHi << 32) | <u64>counterLo;
  const thr = i32x4.splat(threshold);
  const sv = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const keep = keep_mask(key0, key1, ctr, stream, thr);
    v128.store(out + o, v128.and(f32x4.mul(v128.load(x + o), sv), keep));
    ctr++;
  }
  if (i < n) {
    const keep = keep_mask(key0, key1, ctr, stream, thr);
    const o = <usize>i << 2;
    store<f32>(out + o, i32x4.extract_lane(keep, 0) != 0 ? load<f32>(x + o) * scale : 0);
    if (i + 1 < n) store<f32>(out + o + 4, i32x4.extract_lane(keep, 1) != 0 ? load<f32>(x + o + 4) * scale : 0);
    if (i + 2 < n) store<f32>(out + o + 8, i32x4.extract_lane(keep, 2) != 0 ? load<f32>(x + o + 8) * scale : 0);
  }
}

/**
 * Inverted dropout, backward: dx[i] += keep_i ? dy[i] * scale : 0, with the
 * mask regenerated from the same (key, stream, counter, threshold) as the forward.
 *   dy (n) f32, read;  dx (n) f32, read and written: ACCUMULATES; may equal dy
 */
export function dropout_bwd_f32(dy: usize, dx: usize, n: i32, key0: u32, key1: u32, stream: u32,
                                counterLo: u32, counterHi: u32, threshold: i32, scale: f32): void {
  assert(threshold >= 0 && threshold < (1 << 24), 'dropout_bwd_f32: threshold must be in [0, 2^24)');
  let ctr = (<u64>counterHi << 32) | <u64>counterLo;
  const thr = i32x4.splat(threshold);
  const sv = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const keep = keep_mask(key0, key1, ctr, stream, thr);
    v128.store(dx + o, f32x4.add(v128.load(dx + o), v128.and(f32x4.mul(v128.load(dy + o), sv), keep)));
    ctr++;
  }
  if (i < n) {
    const keep = keep_mask(key0, key1, ctr, stream, thr);
    const o = <usize>i << 2;
    if (i32x4.extract_lane(keep, 0) != 0) store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * scale);
    if (i + 1 < n && i32x4.extract_lane(keep, 1) != 0) store<f32>(dx + o + 4, load<f32>(dx + o + 4) + load<f32>(dy + o + 4) * scale);
    if (i + 2 < n && i32x4.extract_lane(keep, 2) != 0) store<f32>(dx + o + 8, load<f32>(dx + o + 8) + load<f32>(dy + o + 8) * scale);
  }
}

/**
 * Sinusoidal position encodings (Vaswani et al. 2017):
 *   out[pos, 2i]   = sin(pos / 10000^(2i / dim))
 *   out[pos, 2i+1] = cos(pos / 10000^(2i / dim))
 *   out (seq, dim) f32, written; any dim (odd dim: the last column is a sin).
 * Computed in float64 with AssemblyScript's own Math.pow/sin/cos (musl ports
 * compiled into this module from exactly specified Wasm f64 operations, never
 * the host's Math), then rounded once to f32: the same bits in every runtime.
 * The angle is pos / 10000^(2i/dim) with the power computed once per column pair.
 */
export function sinusoidal_positions_f32(out: usize, seq: i32, dim: i32): void {
  const rowBytes = <usize>dim << 2;
  for (let j = 0; j < dim; j += 2) {
    const denom = Math.pow(10000.0, <f64>j / <f64>dim);
    let p = out + (<usize>j << 2);
    for (let pos = 0; pos < seq; pos++) {
      const angle = <f64>pos / denom;
      store<f32>(p, <f32>Math.sin(angle));
      if (j + 1 < dim) store<f32>(p, <f32>Math.cos(angle), 4);
      p += rowBytes;
    }
  }
}
