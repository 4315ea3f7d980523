// Elementwise kernels: add, mul, scale, axpy, bias-add, row and column sums,
// dropout (mask from the counter-based RNG, regenerated in the backward) and
// sinusoidal position encodings.
//
// Every kernel is a v128 body over groups of 4 plus a scalar tail doing the
// same IEEE operation per element, so a value never depends on its position.
// Lane-wise kernels (add, mul, scale, axpy, bias_add, dropout) allow their
// output to be one of their inputs (in place); the reductions do not.

import { philox_block } from './rng';
import { axpy_inline, hsum } from './vmath';

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
  axpy_inline(x, y, n, alpha);
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

// Philox4x32-10 multiplier and key constants, as in assembly/rng.ts.
// @ts-ignore: decorator
@inline const PHILOX_M0: u32 = 0xd2511f53;
// @ts-ignore: decorator
@inline const PHILOX_M1: u32 = 0xcd9e8d57;
// @ts-ignore: decorator
@inline const PHILOX_W0: u32 = 0x9e3779b9;
// @ts-ignore: decorator
@inline const PHILOX_W1: u32 = 0xbb67ae85;

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
 * Dropout over 16 elements (4 Philox blocks ctr .. ctr+3 computed side by side,
 * lane b of each state vector being block b: bit for bit philox_block, whose
 * u32 x u32 -> u64 products become i64x2.extmul), then one 4 x 4 transpose so
 * vector b holds block b's keep mask for elements 4b .. 4b+3.
 *   acc false: dst = keep ? src * scale : 0;  acc true: dst += keep ? src * scale : 0.
 */
// @ts-ignore: decorator
@inline function dropout_x16(src: usize, dst: usize, key0: u32, key1: u32, ctr: u64, stream: u32,
                             thr: v128, sv: v128, acc: bool): void {
  let c0 = i32x4.splat(<u32>ctr), c1 = i32x4.splat(<u32>(ctr >> 32));
  const ctr1 = ctr + 1, ctr2 = ctr + 2, ctr3 = ctr + 3;
  c0 = i32x4.replace_lane(c0, 1, <u32>ctr1);
  c0 = i32x4.replace_lane(c0, 2, <u32>ctr2);
  c0 = i32x4.replace_lane(c0, 3, <u32>ctr3);
  c1 = i32x4.replace_lane(c1, 1, <u32>(ctr1 >> 32));
  c1 = i32x4.replace_lane(c1, 2, <u32>(ctr2 >> 32));
  c1 = i32x4.replace_lane(c1, 3, <u32>(ctr3 >> 32));
  let c2 = i32x4.splat(stream), c3 = i32x4.splat(0);
  const m0 = i32x4.splat(PHILOX_M0), m1 = i32x4.splat(PHILOX_M1);
  let k0 = key0, k1 = key1;
  for (let r = 0; r < 10; r++) {
    if (r > 0) { k0 += PHILOX_W0; k1 += PHILOX_W1; }
    const p0l = i64x2.extmul_low_i32x4_u(c0, m0), p0h = i64x2.extmul_high_i32x4_u(c0, m0);
    const p1l = i64x2.extmul_low_i32x4_u(c2, m1), p1h = i64x2.extmul_high_i32x4_u(c2, m1);
    const hi0 = i32x4.shuffle(p0l, p0h, 1, 3, 5, 7), lo0 = i32x4.shuffle(p0l, p0h, 0, 2, 4, 6);
    const hi1 = i32x4.shuffle(p1l, p1h, 1, 3, 5, 7), lo1 = i32x4.shuffle(p1l, p1h, 0, 2, 4, 6);
    c0 = v128.xor(v128.xor(hi1, c1), i32x4.splat(k0));
    c1 = lo1;
    c2 = v128.xor(v128.xor(hi0, c3), i32x4.splat(k1));
    c3 = lo0;
  }
  const q0 = i32x4.ge_s(i32x4.shr_u(c0, 8), thr), q1 = i32x4.ge_s(i32x4.shr_u(c1, 8), thr);
  const q2 = i32x4.ge_s(i32x4.shr_u(c2, 8), thr), q3 = i32x4.ge_s(i32x4.shr_u(c3, 8), thr);
  const t0 = i32x4.shuffle(q0, q1, 0, 4, 1, 5), t1 = i32x4.shuffle(q2, q3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(q0, q1, 2, 6, 3, 7), t3 = i32x4.shuffle(q2, q3, 2, 6, 3, 7);
  const k_0 = i64x2.shuffle(t0, t1, 0, 2), k_1 = i64x2.shuffle(t0, t1, 1, 3);
  const k_2 = i64x2.shuffle(t2, t3, 0, 2), k_3 = i64x2.shuffle(t2, t3, 1, 3);
  const y0 = v128.and(f32x4.mul(v128.load(src), sv), k_0);
  const y1 = v128.and(f32x4.mul(v128.load(src, 16), sv), k_1);
  const y2 = v128.and(f32x4.mul(v128.load(src, 32), sv), k_2);
  const y3 = v128.and(f32x4.mul(v128.load(src, 48), sv), k_3);
  if (acc) {
    v128.store(dst, f32x4.add(v128.load(dst), y0));
    v128.store(dst, f32x4.add(v128.load(dst, 16), y1), 16);
    v128.store(dst, f32x4.add(v128.load(dst, 32), y2), 32);
    v128.store(dst, f32x4.add(v128.load(dst, 48), y3), 48);
  } else {
    v128.store(dst, y0);
    v128.store(dst, y1, 16);
    v128.store(dst, y2, 32);
    v128.store(dst, y3, 48);
  }
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
 * Groups of 16 run four blocks at once (dropout_x16); the rest one block per 4.
 */
export function dropout_fwd_f32(x: usize, out: usize, n: i32, key0: u32, key1: u32, stream: u32,
                                counterLo: u32, counterHi: u32, threshold: i32, scale: f32): void {
  assert(threshold >= 0 && threshold < (1 << 24), 'dropout_fwd_f32: threshold must be in [0, 2^24)');
  let ctr = (<u64>counterHi << 32) | <u64>counterLo;
  const thr = i32x4.splat(threshold);
  const sv = f32x4.splat(scale);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    dropout_x16(x + o, out + o, key0, key1, ctr, stream, thr, sv, false);
    ctr += 4;
  }
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
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    dropout_x16(dy + o, dx + o, key0, key1, ctr, stream, thr, sv, true);
    ctr += 4;
  }
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
