// Matrix times a few vectors: Y = alpha * X W(^T) + beta * Y (+ bias, ReLU), for
// the short products of batch-1 decoding (M = 1..4 rows of X against a weight
// matrix), where gemm_f32's packing of W (a copy of the whole matrix per call)
// costs more than the product. X's rows are taken 4 at a time, so each group
// of 4 reads W once, straight from where it is stored, and nothing is packed.
//
// Two layouts of W:
//   NT  W is (n, k) (a Linear's [out, in]): y[i, j] = dot(x[i, :], W[j, :]),
//       one W row at a time against the group's x rows, so W streams from
//       memory once in storage order (the second to fourth x rows re-read the
//       row from L1). Each dot product: four f32x4 accumulators over steps of
//       16, steps of 4 into the first, ((a0 + a1) + (a2 + a3)), hsum, then the
//       scalar tail in order (dot16).
//   NN  W is (k, n): y[i, j0:j0+4] += x[i, p] * W[p, j0:j0+4] for p = 0, 1, ...
//       (axpy of the rows of W), register blocked over x rows and column
//       vectors (1x16, 2x16, 3x8, 4x8 columns: the accumulators, the x splats
//       and the W vectors fit V8's 15 xmm registers); the columns past the last
//       block use the same sums 4 lanes or one column at a time.
// The sum of an element depends on k only: not on m, on which rows or columns
// share its block, or on the column range, so a split of the columns over
// threads (gemv_range_f32) is bit-identical to one call. The epilogue is
// gemm_f32's: alpha * s (+ beta * y when beta != 0) (+ bias) then max(., 0).
// The sums differ from gemm_f32's (which adds the k terms one by one in
// blocks of 256) by rounding only.
//
// Measured (bench/gemv.bench.mjs, AMD EPYC, 2 cores shared with other jobs at
// load 7-8, Node 20, one thread, M = 1, NT): 4 to 5.5x gemm_f32 with W in cache
// (27-45 GB/s of W) and 3 to 4.5x with W read from DRAM (13-21 GB/s); against
// tfjs-wasm's XNNPACK matMul (W (k, n)) 0.7-1.4x, against onnxruntime-web's
// MatMul 0.6-3.3x (the LM head 768 x 50257: 10.2 ms, 1.2x tfjs, 1.03x ORT).
// Tried and rejected for NT, all slower from DRAM (interleaved, same run):
// 4 W rows at a time against the x rows, one accumulator each (the previous
// version: half the GB/s of dot16 once W exceeds the cache, since it reads 4
// streams 3 KiB apart instead of one), 8 rows (slower still), 2 rows with 2
// accumulators each, and 2 x rows fused against one W row (no faster than
// re-reading the row from L1). NN walks W down its columns, 64 bytes a row at
// a time: fine in cache, but from 3 rows up it loses to gemm_f32 on a W that
// does not fit (768 x 50257: 0.6x at 4 rows), hence the dispatch only sends
// NN products of 1-2 rows here (src/ops/parallel.ts).

import { ACT_RELU } from './gemm';
import { hsum } from './vmath';

/**
 * y = alpha * x op(W) + beta * y, then + bias and ReLU; all n columns.
 *   x     (m, k) f32 row stride ldx, read
 *   w     op(W) is (k, n): W is (n, k) with row stride ldw if transW (NT), else (k, n) (NN)
 *   bias  (n) f32 added to every row after the product, or 0 for none
 *   y     (m, n) row stride ldy, read (unless beta == 0) and written
 *   act   0 none, 1 ReLU (gemm.ts's ACT_NONE, ACT_RELU), after the bias
 * Any m >= 0 (rows in groups of 4, W read once a group), n, k >= 0 (k == 0
 * gives beta * y + bias, as gemm_f32). beta == 0 does not read y. y must not
 * alias x, w or bias. Strides in elements; TypeScript has checked the sizes.
 */
export function gemv_f32(x: usize, w: usize, bias: usize, y: usize,
                         m: i32, n: i32, k: i32, ldx: i32, ldw: i32, ldy: i32,
                         transW: i32, alpha: f32, beta: f32, act: i32): void {
  gemv_range_f32(x, w, bias, y, m, n, k, ldx, ldw, ldy, transW, alpha, beta, act, 0, n);
}

/**
 * gemv_f32 restricted to the columns [n0, n1) of y (rows [n0, n1) of an NT W,
 * columns of an NN W); the other columns are neither read nor written. The
 * values are those of gemv_f32 bit for bit, whatever the range, so threads may
 * each take a range. 0 <= n0 <= n1 <= n.
 */
export function gemv_range_f32(x: usize, w: usize, bias: usize, y: usize,
                               m: i32, n: i32, k: i32, ldx: i32, ldw: i32, ldy: i32,
                               transW: i32, alpha: f32, beta: f32, act: i32, n0: i32, n1: i32): void {
  // Checked in TypeScript first; these fire only in the debug build.
  assert(m >= 0 && n >= 0 && k >= 0, 'gemv_range_f32: m, n and k must be >= 0');
  assert(0 <= n0 && n0 <= n1 && n1 <= n, 'gemv_range_f32: need 0 <= n0 <= n1 <= n');
  assert(ldx >= k && ldw >= (transW ? k : n) && ldy >= n, 'gemv_range_f32: a leading dimension is below its row length');
  if (m <= 0 || n1 <= n0) return;
  const relu = act == ACT_RELU;
  const sx = <usize>ldx << 2, sy = <usize>ldy << 2;
  if (k <= 0) {
    // gemm_f32's k == 0 case exactly: beta * y (0 when beta == 0, y not read), + bias, ReLU.
    for (let i = 0; i < m; i++) {
      for (let j = n0; j < n1; j++) {
        const yp = y + <usize>i * sy + (<usize>j << 2);
        let v: f32 = beta != 0 ? beta * load<f32>(yp) : 0;
        if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
        if (relu) v = max<f32>(v, 0);
        store<f32>(yp, v);
      }
    }
    return;
  }
  for (let i = 0; i < m; i += 4) {
    const mr = min(4, m - i);
    const xi = x + <usize>i * sx;
    const yi = y + <usize>i * sy;
    if (transW) nt_rows(xi, w, bias, yi, mr, k, sx, <usize>ldw << 2, sy, alpha, beta, relu, n0, n1);
    else nn_rows(xi, w, bias, yi, mr, k, sx, <usize>ldw << 2, sy, alpha, beta, relu, n0, n1);
  }
}

// ---------------------------------------------------------------- epilogue

/** y = alpha * s (+ beta * y when beta != 0) (+ bias[0] when bias != 0), then ReLU; stored at yp. */
// @ts-ignore: decorator
@inline function finish(yp: usize, s: f32, bias: usize, alpha: f32, beta: f32, relu: bool): void {
  let v = alpha * s;
  if (beta != 0) v += beta * load<f32>(yp);
  if (bias != 0) v += load<f32>(bias);
  if (relu) v = max<f32>(v, 0);
  store<f32>(yp, v);
}

/** finish on 4 lanes: the same operations on y[0:4] and bias[0:4]. */
// @ts-ignore: decorator
@inline function finish_v(yp: usize, acc: v128, bias: usize, alpha: f32, beta: f32, relu: bool): void {
  let v = f32x4.mul(f32x4.splat(alpha), acc);
  if (beta != 0) v = f32x4.add(v, f32x4.mul(f32x4.splat(beta), v128.load(yp)));
  if (bias != 0) v = f32x4.add(v, v128.load(bias));
  if (relu) v = f32x4.max(v, f32x4.splat(0));
  v128.store(yp, v);
}

/** Byte address of element j of a row starting at p, or 0 when p is 0 (no bias). */
// @ts-ignore: decorator
@inline function at(p: usize, j: i32): usize {
  return p != 0 ? p + (<usize>j << 2) : 0;
}

// ---------------------------------------------------------------- NT: W (n, k), rows of W against rows of x

/**
 * sum_p a[p] b[p] over k floats: four f32x4 accumulators over steps of 16, the
 * steps of 4 left into the first, ((a0 + a1) + (a2 + a3)) summed by hsum, then
 * the scalar tail in order (an order fixed by k).
 */
// @ts-ignore: decorator
@inline function dot16(a: usize, b: usize, k: i32): f32 {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  let p = 0;
  for (; p + 16 <= k; p += 16) {
    const o = <usize>p << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(a + o, 32), v128.load(b + o, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(a + o, 48), v128.load(b + o, 48)));
  }
  for (; p + 4 <= k; p += 4) {
    const o = <usize>p << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; p < k; p++) s += load<f32>(a + (<usize>p << 2)) * load<f32>(b + (<usize>p << 2));
  return s;
}

/**
 * mr (1..4) rows of x (stride sx bytes) against W rows [n0, n1) (stride sw
 * bytes), one W row at a time: W streams from memory once, in storage order,
 * and the rows after the first read it again from L1.
 */
function nt_rows(x: usize, w: usize, bias: usize, y: usize, mr: i32, k: i32, sx: usize, sw: usize, sy: usize,
                 alpha: f32, beta: f32, relu: bool, n0: i32, n1: i32): void {
  for (let j = n0; j < n1; j++) {
    const wj = w + <usize>j * sw;
    const bj = at(bias, j);
    const yj = y + (<usize>j << 2);
    for (let r = 0; r < mr; r++) finish(yj + <usize>r * sy, dot16(x + <usize>r * sx, wj, k), bj, alpha, beta, relu);
  }
}

// ---------------------------------------------------------------- NN: W (k, n), axpy of the rows of W

/** mr (1..4) rows of x against columns [n0, n1) of W (row stride sw bytes). */
function nn_rows(x: usize, w: usize, bias: usize, y: usize, mr: i32, k: i32, sx: usize, sw: usize, sy: usize,
                 alpha: f32, beta: f32, relu: bool, n0: i32, n1: i32): void {
  const cols = mr <= 2 ? 16 : 8;
  let j = n0;
  for (; j + cols <= n1; j += cols) {
    const wj = w + (<usize>j << 2);
    const yj = y + (<usize>j << 2);
    const bj = at(bias, j);
    if (mr == 1) nn_1x16(x, wj, bj, yj, k, sw, alpha, beta, relu);
    else if (mr == 2) nn_2x16(x, wj, bj, yj, k, sx, sw, sy, alpha, beta, relu);
    else if (mr == 3) nn_3x8(x, wj, bj, yj, k, sx, sw, sy, alpha, beta, relu);
    else nn_4x8(x, wj, bj, yj, k, sx, sw, sy, alpha, beta, relu);
  }
  // Columns past the last full block: 4 at a time, then one at a time, row by row.
  for (; j + 4 <= n1; j += 4) {
    for (let r = 0; r < mr; r++) {
      const xr = x + <usize>r * sx;
      const wj = w + (<usize>j << 2);
      let acc = f32x4.splat(0);
      for (let p = 0; p < k; p++) {
        acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(xr + (<usize>p << 2)), v128.load(wj + <usize>p * sw)));
      }
      finish_v(y + <usize>r * sy + (<usize>j << 2), acc, at(bias, j), alpha, beta, relu);
    }
  }
  for (; j < n1; j++) {
    for (let r = 0; r < mr; r++) {
      const xr = x + <usize>r * sx;
      const wj = w + (<usize>j << 2);
      let s: f32 = 0;
      for (let p = 0; p < k; p++) s += load<f32>(xr + (<usize>p << 2)) * load<f32>(wj + <usize>p * sw);
      finish(y + <usize>r * sy + (<usize>j << 2), s, at(bias, j), alpha, beta, relu);
    }
  }
}

/** 1 row of x against 16 columns of W: y[0:16]. */
function nn_1x16(x: usize, w: usize, bias: usize, y: usize, k: i32, sw: usize,
                 alpha: f32, beta: f32, relu: bool): void {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  let pw = w;
  for (let p = 0; p < k; p++) {
    const u = v128.load32_splat(x + (<usize>p << 2));
    a0 = f32x4.add(a0, f32x4.mul(u, v128.load(pw)));
    a1 = f32x4.add(a1, f32x4.mul(u, v128.load(pw, 16)));
    a2 = f32x4.add(a2, f32x4.mul(u, v128.load(pw, 32)));
    a3 = f32x4.add(a3, f32x4.mul(u, v128.load(pw, 48)));
    pw += sw;
  }
  finish_v(y, a0, at(bias, 0), alpha, beta, relu);
  finish_v(y + 16, a1, at(bias, 4), alpha, beta, relu);
  finish_v(y + 32, a2, at(bias, 8), alpha, beta, relu);
  finish_v(y + 48, a3, at(bias, 12), alpha, beta, relu);
}

/** 2 rows of x against 16 columns of W: y[0:2, 0:16]. */
function nn_2x16(x: usize, w: usize, bias: usize, y: usize, k: i32, sx: usize, sw: usize, sy: usize,
                 alpha: f32, beta: f32, relu: bool): void {
  const x0 = x, x1 = x0 + sx;
  let a00 = f32x4.splat(0), a01 = a00, a02 = a00, a03 = a00;
  let a10 = a00, a11 = a00, a12 = a00, a13 = a00;
  let pw = w;
  for (let p = 0; p < k; p++) {
    const o = <usize>p << 2;
    const u = v128.load32_splat(x0 + o), v = v128.load32_splat(x1 + o);
    let b = v128.load(pw);
    a00 = f32x4.add(a00, f32x4.mul(u, b)); a10 = f32x4.add(a10, f32x4.mul(v, b));
    b = v128.load(pw, 16);
    a01 = f32x4.add(a01, f32x4.mul(u, b)); a11 = f32x4.add(a11, f32x4.mul(v, b));
    b = v128.load(pw, 32);
    a02 = f32x4.add(a02, f32x4.mul(u, b)); a12 = f32x4.add(a12, f32x4.mul(v, b));
    b = v128.load(pw, 48);
    a03 = f32x4.add(a03, f32x4.mul(u, b)); a13 = f32x4.add(a13, f32x4.mul(v, b));
    pw += sw;
  }
  const y1 = y + sy;
  finish_v(y, a00, at(bias, 0), alpha, beta, relu);
  finish_v(y + 16, a01, at(bias, 4), alpha, beta, relu);
  finish_v(y + 32, a02, at(bias, 8), alpha, beta, relu);
  finish_v(y + 48, a03, at(bias, 12), alpha, beta, relu);
  finish_v(y1, a10, at(bias, 0), alpha, beta, relu);
  finish_v(y1 + 16, a11, at(bias, 4), alpha, beta, relu);
  finish_v(y1 + 32, a12, at(bias, 8), alpha, beta, relu);
  finish_v(y1 + 48, a13, at(bias, 12), alpha, beta, relu);
}

/** 3 rows of x against 8 columns of W: y[0:3, 0:8]. */
function nn_3x8(x: usize, w: usize, bias: usize, y: usize, k: i32, sx: usize, sw: usize, sy: usize,
                alpha: f32, beta: f32, relu: bool): void {
  const x0 = x, x1 = x0 + sx, x2 = x1 + sx;
  let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
  let pw = w;
  for (let p = 0; p < k; p++) {
    const o = <usize>p << 2;
    const b0 = v128.load(pw), b1 = v128.load(pw, 16);
    let u = v128.load32_splat(x0 + o);
    a00 = f32x4.add(a00, f32x4.mul(u, b0)); a01 = f32x4.add(a01, f32x4.mul(u, b1));
    u = v128.load32_splat(x1 + o);
    a10 = f32x4.add(a10, f32x4.mul(u, b0)); a11 = f32x4.add(a11, f32x4.mul(u, b1));
    u = v128.load32_splat(x2 + o);
    a20 = f32x4.add(a20, f32x4.mul(u, b0)); a21 = f32x4.add(a21, f32x4.mul(u, b1));
    pw += sw;
  }
  const y1 = y + sy, y2 = y1 + sy;
  finish_v(y, a00, at(bias, 0), alpha, beta, relu);
  finish_v(y + 16, a01, at(bias, 4), alpha, beta, relu);
  finish_v(y1, a10, at(bias, 0), alpha, beta, relu);
  finish_v(y1 + 16, a11, at(bias, 4), alpha, beta, relu);
  finish_v(y2, a20, at(bias, 0), alpha, beta, relu);
  finish_v(y2 + 16, a21, at(bias, 4), alpha, beta, relu);
}

/** 4 rows of x against 8 columns of W: y[0:4, 0:8]. */
function nn_4x8(x: usize, w: usize, bias: usize, y: usize, k: i32, sx: usize, sw: usize, sy: usize,
                alpha: f32, beta: f32, relu: bool): void {
  const x0 = x, x1 = x0 + sx, x2 = x1 + sx, x3 = x2 + sx;
  let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00;
  let a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  let pw = w;
  for (let p = 0; p < k; p++) {
    const o = <usize>p << 2;
    const b0 = v128.load(pw), b1 = v128.load(pw, 16);
    let u = v128.load32_splat(x0 + o);
    a00 = f32x4.add(a00, f32x4.mul(u, b0)); a01 = f32x4.add(a01, f32x4.mul(u, b1));
    u = v128.load32_splat(x1 + o);
    a10 = f32x4.add(a10, f32x4.mul(u, b0)); a11 = f32x4.add(a11, f32x4.mul(u, b1));
    u = v128.load32_splat(x2 + o);
    a20 = f32x4.add(a20, f32x4.mul(u, b0)); a21 = f32x4.add(a21, f32x4.mul(u, b1));
    u = v128.load32_splat(x3 + o);
    a30 = f32x4.add(a30, f32x4.mul(u, b0)); a31 = f32x4.add(a31, f32x4.mul(u, b1));
    pw += sw;
  }
  const y1 = y + sy, y2 = y1 + sy, y3 = y2 + sy;
  finish_v(y, a00, at(bias, 0), alpha, beta, relu);
  finish_v(y + 16, a01, at(bias, 4), alpha, beta, relu);
  finish_v(y1, a10, at(bias, 0), alpha, beta, relu);
  finish_v(y1 + 16, a11, at(bias, 4), alpha, beta, relu);
  finish_v(y2, a20, at(bias, 0), alpha, beta, relu);
  finish_v(y2 + 16, a21, at(bias, 4), alpha, beta, relu);
  finish_v(y3, a30, at(bias, 0), alpha, beta, relu);
  finish_v(y3 + 16, a31, at(bias, 4), alpha, beta, relu);
}
