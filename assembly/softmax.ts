// Row-wise softmax, log-softmax and fused softmax-cross-entropy, forward and backward.
//
// Every kernel works on `rows` rows of `cols` contiguous f32 (row-major, the
// last dimension of the tensor); rows need not be 16-byte aligned (v128.load
// and store are unaligned-safe in Wasm). Each row is processed in passes over
// its own memory only, so a row of 16k-30k floats (64-120 KB) stays in L2
// between passes:
//   pass 1  max over the row (and the plain sum when label smoothing needs it)
//   pass 2  sum of exp(x - max)                       (one exp per element)
//   pass 3  the write (softmax, log-softmax or d logits)
// Vector body over groups of 4, then a scalar tail with the _s forms of vmath,
// so an element's value never depends on its position in the row. Each sum is
// blocked: an f32x4 accumulator over SUM_BLOCK floats is added into a running
// f32x4 total, whose hsum is followed by the scalar tail in order. Blocking
// keeps the rounding error near (SUM_BLOCK + cols / SUM_BLOCK) / 4 additions per
// lane instead of cols / 4 (softmax at 30522 columns: 1e-6 relative instead of
// 8e-6) at no measurable cost. The order depends only on `cols`, so results are
// bit-identical in every runtime. The exp loops are unrolled by 4 vectors with
// the accumulator added in element order (independent exps overlap: in V8 the
// forward at 512 x 16384 went from 24.0 to 18.6 ms, the backward from 24.0 to 21.0). The one logarithm per row (log of the exp sum, which lies in
// [1, cols] after the max subtraction) is computed by vmath's log_f64 in f64
// arithmetic, exact to ~1e-15, then rounded.
//
// Backward kernels ACCUMULATE (+=) into their gradient buffer; the one
// exception is softmax_xent_fwd_bwd_inplace_f32, which overwrites the logits.

import { exp_s, exp_v, hmax, hsum, log_f64 } from './vmath';

// @ts-ignore: decorator
@inline const SUM_BLOCK: i32 = 256;

/** Maximum of n floats at p (n >= 1); NaN anywhere gives NaN. */
// @ts-ignore: decorator
@inline function row_max(p: usize, n: i32): f32 {
  let c = 0;
  let m: f32;
  if (n >= 4) {
    let mv = v128.load(p);
    for (c = 4; c + 4 <= n; c += 4) mv = f32x4.max(mv, v128.load(p + (<usize>c << 2)));
    m = hmax(mv);
  } else {
    m = load<f32>(p);
    c = 1;
  }
  for (; c < n; c++) m = max(m, load<f32>(p + (<usize>c << 2)));
  return m;
}

/** Sum of n floats at p, in the fixed order: hsum of the 4-lane accumulator, then the tail. */
// @ts-ignore: decorator
@inline function row_sum(p: usize, n: i32): f32 {
  let tot = f32x4.splat(0);
  let c = 0;
  const nv = n & ~3;
  while (c < nv) {
    let acc = f32x4.splat(0);
    const end = min(c + SUM_BLOCK, nv);
    for (; c < end; c += 4) acc = f32x4.add(acc, v128.load(p + (<usize>c << 2)));
    tot = f32x4.add(tot, acc);
  }
  let s = hsum(tot);
  for (; c < n; c++) s += load<f32>(p + (<usize>c << 2));
  return s;
}

/** Sum over the row of exp(x - m) (pass 2); each term is in [0, 1] and one is 1, so the sum is in [1, n]. */
// @ts-ignore: decorator
@inline function row_exp_sum(p: usize, n: i32, m: f32): f32 {
  const mv = f32x4.splat(m);
  let tot = f32x4.splat(0);
  let c = 0;
  const nv = n & ~3;
  while (c < nv) {
    let acc = f32x4.splat(0);
    const end = min(c + SUM_BLOCK, nv);
    for (; c + 16 <= end; c += 16) {
      const q = p + (<usize>c << 2);
      const e0 = exp_v(f32x4.sub(v128.load(q), mv));
      const e1 = exp_v(f32x4.sub(v128.load(q + 16), mv));
      const e2 = exp_v(f32x4.sub(v128.load(q + 32), mv));
      const e3 = exp_v(f32x4.sub(v128.load(q + 48), mv));
      acc = f32x4.add(f32x4.add(f32x4.add(f32x4.add(acc, e0), e1), e2), e3);
    }
    for (; c < end; c += 4) acc = f32x4.add(acc, exp_v(f32x4.sub(v128.load(p + (<usize>c << 2)), mv)));
    tot = f32x4.add(tot, acc);
  }
  let s = hsum(tot);
  for (; c < n; c++) s += exp_s(load<f32>(p + (<usize>c << 2)) - m);
  return s;
}

/**
 * Softmax over the last dimension, forward.
 *   x  (rows, cols) f32, read
 *   y  (rows, cols) f32, written: exp(x - max) / sum exp(x - max), per row
 * y may be x itself (in place); no other overlap. cols >= 1 when rows >= 1.
 * Three passes per row: max, exp written to y and summed, y *= 1/sum.
 */
export function softmax_fwd_f32(x: usize, y: usize, rows: i32, cols: i32): void {
  assert(rows >= 0 && cols >= 0, 'softmax_fwd_f32: rows and cols must be >= 0');
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const xr = x + off;
    const yr = y + off;
    const m = row_max(xr, cols);
    const mv = f32x4.splat(m);
    let tot = f32x4.splat(0);
    let c = 0;
    const nv = cols & ~3;
    while (c < nv) {
      let acc = f32x4.splat(0);
      const end = min(c + SUM_BLOCK, nv);
      for (; c + 16 <= end; c += 16) {
        const o = <usize>c << 2;
        const e0 = exp_v(f32x4.sub(v128.load(xr + o), mv));
        const e1 = exp_v(f32x4.sub(v128.load(xr + o + 16), mv));
        const e2 = exp_v(f32x4.sub(v128.load(xr + o + 32), mv));
        const e3 = exp_v(f32x4.sub(v128.load(xr + o + 48), mv));
        v128.store(yr + o, e0);
        v128.store(yr + o + 16, e1);
        v128.store(yr + o + 32, e2);
        v128.store(yr + o + 48, e3);
        acc = f32x4.add(f32x4.add(f32x4.add(f32x4.add(acc, e0), e1), e2), e3);
      }
      for (; c < end; c += 4) {
        const o = <usize>c << 2;
        const e = exp_v(f32x4.sub(v128.load(xr + o), mv));
        v128.store(yr + o, e);
        acc = f32x4.add(acc, e);
      }
      tot = f32x4.add(tot, acc);
    }
    let s = hsum(tot);
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      const e = exp_s(load<f32>(xr + o) - m);
      store<f32>(yr + o, e);
      s += e;
    }
    const inv: f32 = <f32>1 / s;
    const iv = f32x4.splat(inv);
    c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(yr + o, f32x4.mul(v128.load(yr + o), iv));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(yr + o, load<f32>(yr + o) * inv);
    }
  }
}

/**
 * Softmax backward: dx += y * (dy - sum_j dy_j y_j), per row.
 *   y   (rows, cols) f32, read: the softmax output
 *   dy  (rows, cols) f32, read
 *   dx  (rows, cols) f32, read and written (ACCUMULATES)
 * dx may be dy itself; it must not overlap y otherwise. Two passes: the dot, the update.
 */
export function softmax_bwd_f32(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  assert(rows >= 0 && cols >= 0, 'softmax_bwd_f32: rows and cols must be >= 0');
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const yr = y + off;
    const dyr = dy + off;
    const dxr = dx + off;
    let tot = f32x4.splat(0);
    let c = 0;
    const nv = cols & ~3;
    while (c < nv) {
      let acc = f32x4.splat(0);
      const end = min(c + SUM_BLOCK, nv);
      for (; c < end; c += 4) {
        const o = <usize>c << 2;
        acc = f32x4.add(acc, f32x4.mul(v128.load(dyr + o), v128.load(yr + o)));
      }
      tot = f32x4.add(tot, acc);
    }
    let dot = hsum(tot);
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      dot += load<f32>(dyr + o) * load<f32>(yr + o);
    }
    const dv = f32x4.splat(dot);
    c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const g = f32x4.mul(v128.load(yr + o), f32x4.sub(v128.load(dyr + o), dv));
      v128.store(dxr + o, f32x4.add(v128.load(dxr + o), g));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(dxr + o, load<f32>(dxr + o) + load<f32>(yr + o) * (load<f32>(dyr + o) - dot));
    }
  }
}

/**
 * Log-softmax over the last dimension, forward.
 *   x  (rows, cols) f32, read
 *   y  (rows, cols) f32, written: (x - max) - ln(sum exp(x - max)), per row
 * y may be x itself; no other overlap. Three passes per row: max, exp sum, write.
 */
export function log_softmax_fwd_f32(x: usize, y: usize, rows: i32, cols: i32): void {
  assert(rows >= 0 && cols >= 0, 'log_softmax_fwd_f32: rows and cols must be >= 0');
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const xr = x + off;
    const yr = y + off;
    const m = row_max(xr, cols);
    const ls = <f32>log_f64(<f64>row_exp_sum(xr, cols, m));
    const mv = f32x4.splat(m);
    const lv = f32x4.splat(ls);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(yr + o, f32x4.sub(f32x4.sub(v128.load(xr + o), mv), lv));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(yr + o, (load<f32>(xr + o) - m) - ls);
    }
  }
}

/**
 * Log-softmax backward: dx += dy - exp(y) * sum_j dy_j, per row.
 *   y   (rows, cols) f32, read: the log-softmax output
 *   dy  (rows, cols) f32, read
 *   dx  (rows, cols) f32, read and written (ACCUMULATES)
 * dx may be dy itself; it must not overlap y otherwise. Two passes: sum dy, update.
 */
export function log_softmax_bwd_f32(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  assert(rows >= 0 && cols >= 0, 'log_softmax_bwd_f32: rows and cols must be >= 0');
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    const yr = y + off;
    const dyr = dy + off;
    const dxr = dx + off;
    const s = row_sum(dyr, cols);
    const sv = f32x4.splat(s);
    let c = 0;
    for (; c + 8 <= cols; c += 8) {
      const o = <usize>c << 2;
      const g0 = f32x4.sub(v128.load(dyr + o), f32x4.mul(exp_v(v128.load(yr + o)), sv));
      const g1 = f32x4.sub(v128.load(dyr + o + 16), f32x4.mul(exp_v(v128.load(yr + o + 16)), sv));
      v128.store(dxr + o, f32x4.add(v128.load(dxr + o), g0));
      v128.store(dxr + o + 16, f32x4.add(v128.load(dxr + o + 16), g1));
    }
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const g = f32x4.sub(v128.load(dyr + o), f32x4.mul(exp_v(v128.load(yr + o)), sv));
      v128.store(dxr + o, f32x4.add(v128.load(dxr + o), g));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(dxr + o, load<f32>(dxr + o) + (load<f32>(dyr + o) - exp_s(load<f32>(yr + o)) * s));
    }
  }
}

/**
 * Loss and log-sum-exp of one row (passes 1 and 2); returns the loss and
 * stores lse at lsePtr. With q = (1 - eps) onehot(t) + eps / cols:
 *   loss = -sum_j q_j log p_j = (1 - eps)(m - x_t) + eps (m - mean x) + ln s
 * with m the row max and s = sum exp(x - m), combined in f64 (no cancellation
 * of lse against x_t). lse = m + ln s, rounded to f32.
 */
// @ts-ignore: decorator
@inline function xent_row(xr: usize, t: i32, cols: i32, eps: f32, lsePtr: usize): f32 {
  let m: f32;
  let sumx: f32 = 0;
  if (eps != 0) {
    // Pass 1 with the plain sum folded in (same order as row_sum / row_max).
    let mv = f32x4.splat(<f32>-Infinity);
    let tot = f32x4.splat(0);
    let c = 0;
    const nv = cols & ~3;
    while (c < nv) {
      let acc = f32x4.splat(0);
      const end = min(c + SUM_BLOCK, nv);
      for (; c < end; c += 4) {
        const v = v128.load(xr + (<usize>c << 2));
        mv = f32x4.max(mv, v);
        acc = f32x4.add(acc, v);
      }
      tot = f32x4.add(tot, acc);
    }
    m = hmax(mv);
    sumx = hsum(tot);
    for (; c < cols; c++) {
      const v = load<f32>(xr + (<usize>c << 2));
      m = max(m, v);
      sumx += v;
    }
  } else {
    m = row_max(xr, cols);
  }
  const ls = log_f64(<f64>row_exp_sum(xr, cols, m));
  const md = <f64>m;
  const e = <f64>eps;
  const mt = md - <f64>load<f32>(xr + (<usize>t << 2));
  const loss = e != 0 ? (1.0 - e) * mt + e * (md - <f64>sumx / <f64>cols) + ls : mt + ls;
  store<f32>(lsePtr, <f32>(md + ls));
  return <f32>loss;
}

/** scale * (exp(x - lse) - q) for one f32x4 at xr + o, q = qt in the lane whose index equals t, else qo; added to dr + o if accumulate. */
// @ts-ignore: decorator
@inline function xent_grad_vec(xr: usize, dr: usize, o: usize, idx: v128, tv: v128, lv: v128, sv: v128, qtv: v128, qov: v128, accumulate: bool): void {
  const p = exp_v(f32x4.sub(v128.load(xr + o), lv));
  const q = v128.bitselect(qtv, qov, i32x4.eq(idx, tv));
  let g = f32x4.mul(sv, f32x4.sub(p, q));
  if (accumulate) g = f32x4.add(v128.load(dr + o), g);
  v128.store(dr + o, g);
}

/**
 * One row of d logits: g_j = scale * (exp(x_j - lse) - q_j), q_j = qt at j == t
 * and qo elsewhere. `accumulate` adds g into the destination, else overwrites
 * it (dst may be xr itself: each element is read before it is written). The
 * target lane is chosen by a lane compare, so the formula is the same for every
 * j and the vector and scalar paths agree. Unrolled by 4 vectors (independent
 * exps: 20-25% faster in V8 than one vector per iteration).
 */
// @ts-ignore: decorator
@inline function xent_grad_row(xr: usize, dr: usize, t: i32, cols: i32, lse: f32, scale: f32, qt: f32, qo: f32, accumulate: bool): void {
  const lv = f32x4.splat(lse);
  const sv = f32x4.splat(scale);
  const qtv = f32x4.splat(qt);
  const qov = f32x4.splat(qo);
  const tv = i32x4.splat(t);
  let idx = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    const o = <usize>c << 2;
    xent_grad_vec(xr, dr, o, idx, tv, lv, sv, qtv, qov, accumulate);
    idx = i32x4.add(idx, four);
    xent_grad_vec(xr, dr, o + 16, idx, tv, lv, sv, qtv, qov, accumulate);
    idx = i32x4.add(idx, four);
    xent_grad_vec(xr, dr, o + 32, idx, tv, lv, sv, qtv, qov, accumulate);
    idx = i32x4.add(idx, four);
    xent_grad_vec(xr, dr, o + 48, idx, tv, lv, sv, qtv, qov, accumulate);
    idx = i32x4.add(idx, four);
  }
  for (; c + 4 <= cols; c += 4) {
    xent_grad_vec(xr, dr, <usize>c << 2, idx, tv, lv, sv, qtv, qov, accumulate);
    idx = i32x4.add(idx, four);
  }
  for (; c < cols; c++) {
    const o = <usize>c << 2;
    const p = exp_s(load<f32>(xr + o) - lse);
    let g = scale * (p - (c == t ? qt : qo));
    if (accumulate) g = load<f32>(dr + o) + g;
    store<f32>(dr + o, g);
  }
}

/**
 * Fused softmax + cross-entropy, forward.
 *   logits   (rows, cols) f32, read
 *   targets  (rows) i32, read: in [0, cols) or == ignoreIndex (checked in TypeScript)
 *   loss     (rows) f32, written: -sum_j q_j log softmax(logits)_j, 0 for ignored rows
 *   lse      (rows) f32, written: log-sum-exp of the row (saved for _bwd), 0 for ignored rows
 *   eps      label smoothing in [0, 1): q = (1 - eps) onehot(target) + eps / cols
 * Two read passes per row (max [+ plain sum when eps > 0], exp sum); no probs buffer.
 */
export function softmax_xent_fwd_f32(logits: usize, targets: usize, loss: usize, lse: usize,
                                     rows: i32, cols: i32, ignoreIndex: i32, eps: f32): void {
  assert(rows >= 0 && cols >= 1, 'softmax_xent_fwd_f32: rows must be >= 0 and cols >= 1');
  for (let r = 0; r < rows; r++) {
    const t = load<i32>(targets + (<usize>r << 2));
    const lp = lse + (<usize>r << 2);
    if (t == ignoreIndex) {
      store<f32>(loss + (<usize>r << 2), 0);
      store<f32>(lp, 0);
      continue;
    }
    assert(t >= 0 && t < cols, 'softmax_xent_fwd_f32: target out of range');
    store<f32>(loss + (<usize>r << 2), xent_row(logits + ((<usize>r * <usize>cols) << 2), t, cols, eps, lp));
  }
}

/**
 * Fused softmax + cross-entropy, backward.
 *   logits   (rows, cols) f32, read
 *   targets  (rows) i32, read (as for _fwd)
 *   lse      (rows) f32, read: from softmax_xent_fwd_f32
 *   dlogits  (rows, cols) f32, read and written: ACCUMULATES scale * (P - q) per
 *            row, P = exp(logits - lse); ignored rows are left untouched
 *   scale    dloss / (number of rows not ignored) for a mean loss; eps as in _fwd
 * dlogits must not overlap logits (see the _inplace kernel for that). One pass per row.
 * P is recomputed from the f32 lse, so its relative error includes lse's rounding,
 * up to ulp(|lse|) / 2: below 4e-6 for |logits| < 64, but ~5e-4 for logits near 1e4
 * (where the f32 logits themselves are only resolved to 1e-3).
 */
export function softmax_xent_bwd_f32(logits: usize, targets: usize, lse: usize, dlogits: usize,
                                     rows: i32, cols: i32, ignoreIndex: i32, eps: f32, scale: f32): void {
  assert(rows >= 0 && cols >= 1, 'softmax_xent_bwd_f32: rows must be >= 0 and cols >= 1');
  const qo = <f32>(<f64>eps / <f64>cols);
  const qt = <f32>((1.0 - <f64>eps) + <f64>eps / <f64>cols);
  for (let r = 0; r < rows; r++) {
    const t = load<i32>(targets + (<usize>r << 2));
    if (t == ignoreIndex) continue;
    const off = (<usize>r * <usize>cols) << 2;
    xent_grad_row(logits + off, dlogits + off, t, cols, load<f32>(lse + (<usize>r << 2)), scale, qt, qo, true);
  }
}

/**
 * Fused softmax + cross-entropy, forward AND backward in one call, IN PLACE:
 *   logits   (rows, cols) f32, read, then OVERWRITTEN with d logits
 *            = scale * (P - q) (rows whose target is ignoreIndex become 0)
 *   targets  (rows) i32, read;  loss, lse (rows) f32, written as by _fwd
 * The exception to accumulate: the logits are consumed, so a large output layer
 * needs no second (rows, cols) buffer. Three passes per row (max, exp sum,
 * write), each over the row only. Bit for bit equal to _fwd then _bwd into a
 * zeroed dlogits (same per-element formula, same lse).
 */
export function softmax_xent_fwd_bwd_inplace_f32(logits: usize, targets: usize, loss: usize, lse: usize,
                                                 rows: i32, cols: i32, ignoreIndex: i32, eps: f32, scale: f32): void {
  assert(rows >= 0 && cols >= 1, 'softmax_xent_fwd_bwd_inplace_f32: rows must be >= 0 and cols >= 1');
  const qo = <f32>(<f64>eps / <f64>cols);
  const qt = <f32>((1.0 - <f64>eps) + <f64>eps / <f64>cols);
  for (let r = 0; r < rows; r++) {
    const t = load<i32>(targets + (<usize>r << 2));
    const lp = lse + (<usize>r << 2);
    const xr = logits + ((<usize>r * <usize>cols) << 2);
    if (t == ignoreIndex) {
      store<f32>(loss + (<usize>r << 2), 0);
      store<f32>(lp, 0);
      memory.fill(xr, 0, <usize>cols << 2);
      continue;
    }
    assert(t >= 0 && t < cols, 'softmax_xent_fwd_bwd_inplace_f32: target out of range');
    store<f32>(loss + (<usize>r << 2), xent_row(xr, t, cols, eps, lp));
    xent_grad_row(xr, xr, t, cols, load<f32>(lp), scale, qt, qo, false);
  }
}
