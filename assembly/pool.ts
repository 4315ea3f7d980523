// Pooling over the sequence axis: mean and max with a padding mask, the first
// token, and the last kept token, forward and backward.
//
// Layout: x, dx are [B, S, D] f32 row-major; out, dout are [B, D]; the mask is
// [B, S] i32 (1 keep, 0 padding; TypeScript converts float masks) or 0 for "no
// padding". Vector bodies run over groups of 4 features with a scalar tail that
// does the same IEEE operation, so a value never depends on its position.
// Summation orders depend only on the shapes and the mask.

/** Number of kept positions of row b (all S when there is no mask). */
// @ts-ignore: decorator
@inline function kept_count(mask: usize, b: i32, S: i32): i32 {
  if (mask == 0) return S;
  const m = mask + (<usize>b * <usize>S << 2);
  let n = 0;
  for (let s = 0; s < S; s++) if (load<i32>(m + (<usize>s << 2)) != 0) n++;
  return n;
}

/** True when position s of row b is kept. */
// @ts-ignore: decorator
@inline function is_kept(mask: usize, b: i32, S: i32, s: i32): bool {
  return mask == 0 || load<i32>(mask + ((<usize>b * <usize>S + <usize>s) << 2)) != 0;
}

/**
 * Mean over the kept positions: out[b, :] = (sum over kept s of x[b, s, :]) * fround(1 / n_b).
 *   x    (B, S, D) f32, read
 *   mask (B, S) i32 0/1, read, or 0 (every position kept)
 *   out  (B, D) f32, written; must not overlap x
 * Sums in position order in f32, then one multiply by the f32 reciprocal. A row with
 * no kept position gets out = 0. Any D (scalar tail).
 */
export function mean_pool_fwd(x: usize, mask: usize, out: usize, B: i32, S: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    const n = kept_count(mask, b, S);
    const inv: f32 = n > 0 ? <f32>1 / <f32>n : 0;
    const iv = f32x4.splat(inv);
    const o = out + <usize>b * rowBytes;
    const xb = x + <usize>b * <usize>S * rowBytes;
    let c = 0;
    for (; c + 4 <= D; c += 4) {
      const off = <usize>c << 2;
      let acc = f32x4.splat(0);
      for (let s = 0; s < S; s++) {
        if (is_kept(mask, b, S, s)) acc = f32x4.add(acc, v128.load(xb + <usize>s * rowBytes + off));
      }
      v128.store(o + off, f32x4.mul(acc, iv));
    }
    for (; c < D; c++) {
      const off = <usize>c << 2;
      let acc: f32 = 0;
      for (let s = 0; s < S; s++) {
        if (is_kept(mask, b, S, s)) acc += load<f32>(xb + <usize>s * rowBytes + off);
      }
      store<f32>(o + off, acc * inv);
    }
  }
}

/**
 * Mean-pool backward: dx[b, s, :] += dout[b, :] * fround(1 / n_b) for every kept s;
 * padded positions get nothing.
 *   dout (B, D) f32, read;  mask as in mean_pool_fwd
 *   dx   (B, S, D) f32, read and written: ACCUMULATES; must not overlap dout
 */
export function mean_pool_bwd(dout: usize, mask: usize, dx: usize, B: i32, S: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    const n = kept_count(mask, b, S);
    if (n == 0) continue;
    const inv: f32 = <f32>1 / <f32>n;
    const iv = f32x4.splat(inv);
    const g = dout + <usize>b * rowBytes;
    for (let s = 0; s < S; s++) {
      if (!is_kept(mask, b, S, s)) continue;
      const d = dx + (<usize>b * <usize>S + <usize>s) * rowBytes;
      let c = 0;
      for (; c + 4 <= D; c += 4) {
        const off = <usize>c << 2;
        v128.store(d + off, f32x4.add(v128.load(d + off), f32x4.mul(v128.load(g + off), iv)));
      }
      for (; c < D; c++) {
        const off = <usize>c << 2;
        store<f32>(d + off, load<f32>(d + off) + load<f32>(g + off) * inv);
      }
    }
  }
}

/**
 * Max over the kept positions, per feature: out[b, c] = max over kept s of x[b, s, c],
 * argmax[b, c] = the first s reaching it (strictly greater replaces, so ties keep
 * the earliest position). A row with no kept position gets out = 0, argmax = -1.
 * NaN never replaces a value (comparisons with NaN are false) unless it is first.
 *   x      (B, S, D) f32, read
 *   mask   (B, S) i32 0/1, read, or 0
 *   out    (B, D) f32, written
 *   argmax (B, D) i32, written (saved for the backward)
 */
export function max_pool_fwd(x: usize, mask: usize, out: usize, argmax: usize, B: i32, S: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    let first = -1;
    for (let s = 0; s < S; s++) {
      if (is_kept(mask, b, S, s)) { first = s; break; }
    }
    const o = out + <usize>b * rowBytes;
    const a = argmax + <usize>b * rowBytes;
    const xb = x + <usize>b * <usize>S * rowBytes;
    if (first < 0) {
      for (let c = 0; c < D; c++) {
        store<f32>(o + (<usize>c << 2), 0);
        store<i32>(a + (<usize>c << 2), -1);
      }
      continue;
    }
    let c = 0;
    for (; c + 4 <= D; c += 4) {
      const off = <usize>c << 2;
      let best = v128.load(xb + <usize>first * rowBytes + off);
      let arg = i32x4.splat(first);
      for (let s = first + 1; s < S; s++) {
        if (!is_kept(mask, b, S, s)) continue;
        const v = v128.load(xb + <usize>s * rowBytes + off);
        const gt = f32x4.gt(v, best);
        best = v128.bitselect(v, best, gt);
        arg = v128.bitselect(i32x4.splat(s), arg, gt);
      }
      v128.store(o + off, best);
      v128.store(a + off, arg);
    }
    for (; c < D; c++) {
      const off = <usize>c << 2;
      let best = load<f32>(xb + <usize>first * rowBytes + off);
      let arg = first;
      for (let s = first + 1; s < S; s++) {
        if (!is_kept(mask, b, S, s)) continue;
        const v = load<f32>(xb + <usize>s * rowBytes + off);
        if (v > best) { best = v; arg = s; }
      }
      store<f32>(o + off, best);
      store<i32>(a + off, arg);
    }
  }
}

/**
 * Max-pool backward: dx[b, argmax[b, c], c] += dout[b, c] where argmax >= 0.
 *   argmax (B, D) i32 from max_pool_fwd, read;  dout (B, D) f32, read
 *   dx     (B, S, D) f32, read and written: ACCUMULATES
 * A scatter of B x D values (one per output), so it is scalar: a SIMD pass
 * comparing argmax with every s would touch all B x S x D elements instead.
 */
export function max_pool_bwd(argmax: usize, dout: usize, dx: usize, B: i32, S: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    const a = argmax + <usize>b * rowBytes;
    const g = dout + <usize>b * rowBytes;
    const db = dx + <usize>b * <usize>S * rowBytes;
    for (let c = 0; c < D; c++) {
      const off = <usize>c << 2;
      const s = load<i32>(a + off);
      if (s < 0) continue;
      assert(s < S, 'max_pool_bwd: argmax out of range');
      const p = db + <usize>s * rowBytes + off;
      store<f32>(p, load<f32>(p) + load<f32>(g + off));
    }
  }
}

/**
 * First-token pooling (BERT's [CLS]): out[b, :] = x[b, 0, :]. S >= 1.
 *   x (B, S, D) f32, read;  out (B, D) f32, written (the same bits)
 */
export function first_pool_fwd(x: usize, out: usize, B: i32, S: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    const src = x + <usize>b * <usize>S * rowBytes;
    const dst = out + <usize>b * rowBytes;
    let c = 0;
    for (; c + 4 <= D; c += 4) v128.store(dst + (<usize>c << 2), v128.load(src + (<usize>c << 2)));
    for (; c < D; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
  }
}

/**
 * First-token backward: dx[b, 0, :] += dout[b, :].
 *   dout (B, D) f32, read;  dx (B, S, D) f32, read and written: ACCUMULATES
 */
export function first_pool_bwd(dout: usize, dx: usize, B: i32, S: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    const g = dout + <usize>b * rowBytes;
    const d = dx + <usize>b * <usize>S * rowBytes;
    let c = 0;
    for (; c + 4 <= D; c += 4) {
      const off = <usize>c << 2;
      v128.store(d + off, f32x4.add(v128.load(d + off), v128.load(g + off)));
    }
    for (; c < D; c++) {
      const off = <usize>c << 2;
      store<f32>(d + off, load<f32>(d + off) + load<f32>(g + off));
    }
  }
}

/** Last kept position of row b: S - 1 without a mask, -1 when the mask keeps none. */
// @ts-ignore: decorator
@inline function last_kept(mask: usize, b: i32, S: i32): i32 {
  if (mask == 0) return S - 1;
  const m = mask + (<usize>b * <usize>S << 2);
  for (let s = S - 1; s >= 0; s--) if (load<i32>(m + (<usize>s << 2)) != 0) return s;
  return -1;
}

/**
 * Last-token pooling (the final state of a recurrent encoder over padded rows):
 * out[b, :] = x[b, s_b, :] with s_b the last position the mask keeps (S - 1
 * without a mask); a row with no kept position gets out = 0.
 *   x    (B, S, D) f32, read
 *   mask (B, S) i32 0/1, read, or 0
 *   out  (B, D) f32, written (the same bits as x); must not overlap x
 */
export function last_pool_fwd(x: usize, mask: usize, out: usize, B: i32, S: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    const s = last_kept(mask, b, S);
    const dst = out + <usize>b * rowBytes;
    if (s < 0) {
      memory.fill(dst, 0, rowBytes);
      continue;
    }
    const src = x + (<usize>b * <usize>S + <usize>s) * rowBytes;
    let c = 0;
    for (; c + 4 <= D; c += 4) v128.store(dst + (<usize>c << 2), v128.load(src + (<usize>c << 2)));
    for (; c < D; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
  }
}

/**
 * Last-token backward: dx[b, s_b, :] += dout[b, :] (s_b as in last_pool_fwd;
 * rows with no kept position get nothing).
 *   dout (B, D) f32, read;  mask as in last_pool_fwd
 *   dx   (B, S, D) f32, read and written: ACCUMULATES; must not overlap dout
 */
export function last_pool_bwd(dout: usize, mask: usize, dx: usize, B: i32, S: i32, D: i32): void {
  const rowBytes = <usize>D << 2;
  for (let b = 0; b < B; b++) {
    const s = last_kept(mask, b, S);
    if (s < 0) continue;
    const g = dout + <usize>b * rowBytes;
    const d = dx + (<usize>b * <usize>S + <usize>s) * rowBytes;
    let c = 0;
    for (; c + 4 <= D; c += 4) {
      const off = <usize>c << 2;
      v128.store(d + off, f32x4.add(v128.load(d + off), v128.load(g + off)));
    }
    for (; c < D; c++) {
      const off = <usize>c << 2;
      store<f32>(d + off, load<f32>(d + off) + load<f32>(g + off));
    }
  }
}
