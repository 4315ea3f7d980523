// Scaled dot-product multi-head attention (FlashAttention-2 scheme) and rotary
// position embedding, forward and backward.
//
// Layout: q, k, v, out, dq, dk, dv are [B, H, S, D] f32 row-major; lse is
// [B, H, S]; the key mask is [B, S] i32 (1 keep, 0 masked; TypeScript converts
// float masks). Queries and keys have the same length S.
//
// Forward, per (b, h) and per query block of BR rows: stream over key blocks of
// BC keys, compute the transposed score block S^T = K Q^T (BC x BR) with a 4 x 8
// register-tiled micro-kernel over D, and run the online softmax on it with the
// 4 queries of a vector in the lanes (no horizontal reductions): running max m,
// running sum l, accumulator O (BR x D) rescaled by exp(m_old - m_new), then
// O += P V with the same micro-kernel. At the end out = O / l and
// lse = m + ln l. Nothing of size S x S exists: the scratch is O((BR + BC) D + BR BC).
//
// Backward, per (b, h) and per key block (outer, FA2 order): for each query
// block recompute S^T, P = exp(scale s - lse), dP^T = V dO^T,
// dS = P (dP z - D_i) with D_i = dO_i . out_i, then dV += Pd^T dO, dK += scale dS^T Q,
// dQ += scale dS K. dK and dV accumulate in scratch over the query blocks and are
// added to dk, dv once per key block; dQ is added to dq per (key, query) block.
//
// Masks: a masked score is replaced by -inf (bitselect, not an additive
// constant) and its probability is cleared with a bit mask after the exp, so a
// masked position has exactly zero weight and masked k, v values cannot reach
// the output. A query row with no visible key (key mask all 0, or causal + key
// mask leaving nothing) gets out = 0, lse = -inf, and zero gradients.
//
// Dropout on the probabilities: element (b, h, i, j) has index
// e = ((b H + h) S + i) S + j and word = lane (e & 3) of
// philox_block(key0, key1, ctr + (e >> 2), stream, 0) (64-bit counter); it is
// dropped iff (word >>> 8) < threshold, kept values are multiplied by keepScale.
// threshold == 0 disables dropout. The backward regenerates the same words.
// lse is the log-sum-exp of the scores before dropout; out = dropout(P) V.
//
// Summation orders depend only on (S, D): block sizes are fixed functions of S,
// the micro-kernel sums over its k index in order. Results are bit-identical in
// every runtime. The score of (i, j) is computed by the same code in the forward
// and the backward, so the recomputed scores match the forward's bit for bit.
// lse uses AssemblyScript's own f64 Math.log (compiled into the module, like the
// Box-Muller of rng.ts), once per row: vmath has no log, and the value must not
// depend on the host.
//
// Scratch (attention_workspace_bytes): blocks of 64 queries and 64 keys, so at
// D = 64 it is 263 KB for any S >= 64 (a materialised S x S score matrix is
// 1 MiB per head at S = 512). Measured (Node 20, Zen 3, one thread, batch 8,
// heads 4, D 64, best of 6): seq 256 fwd 21 ms (25 GFLOP/s), bwd 40 ms
// (33 GFLOP/s counting 2.5x the forward's flops); seq 512 fwd 81 ms, bwd 162 ms;
// dropout adds about 20%. tfjs-backend-wasm (matMul, softmax, matMul, tf.grads)
// took 778 ms for fwd+bwd at seq 256 in one run, against 62 ms here.
// Tried and no faster: blocks of 32 (same speed), a constant-step copy of the
// micro-kernel for the packed products (same speed).

import { mk_4x8, pack_a_n, pack_b_t, transpose_store } from './tile';
import { philox_x4_store } from './rng';
import { exp_v } from './vmath';

/** Query rows per block (upper bound; the block is min(ATT_BLOCK, S rounded up to 8)). */
// @ts-ignore: decorator
@inline const ATT_BLOCK: i32 = 64;

// @ts-ignore: decorator
@inline const NEG_INF: f32 = -Infinity;

/** n rounded up to a multiple of 8. */
// @ts-ignore: decorator
@inline function round8(n: i32): i32 {
  return (n + 7) & ~7;
}

/** Block size (both query and key blocks) for a sequence of S. */
// @ts-ignore: decorator
@inline function block_size(S: i32): i32 {
  return min(ATT_BLOCK, round8(S));
}

/**
 * Bytes of scratch attention_fwd and attention_bwd need (the larger of the two)
 * for sequence length S and head size D. Independent of B and H; for S >= 64 it
 * does not grow with S.
 */
export function attention_workspace_bytes(S: i32, D: i32): i32 {
  const bs = block_size(S);
  const dp = round8(D);
  // Forward: qpan, kstr (bs D each), vp, o (bs dp each), st, zt, zr (bs^2 each),
  // m, l, alpha, keep (bs each), words (bs + 32).
  const fwd = 2 * bs * D + 2 * bs * dp + 3 * bs * bs + 4 * bs + bs + 32;
  // Backward: kstr, vstr, qpan, dopan (bs D each); kp, qp, dop, dqacc, dkacc,
  // dvacc (bs dp each); st, dpt, pd, ds, zt, zr (bs^2 each); keep, dvec, lsev (bs each), words.
  const bwd = 4 * bs * D + 6 * bs * dp + 6 * bs * bs + 3 * bs + bs + 32;
  // Every region is rounded to 16 bytes: at most 24 regions of 12 bytes of padding.
  return max(fwd, bwd) * 4 + 24 * 16;
}

/** Bump allocator over the scratch block: returns p and advances by n floats, 16-byte aligned. */
// @ts-ignore: decorator
@inline function take(p: usize, n: i32): usize {
  return p + ((<usize>n * 4 + 15) & ~<usize>15);
}

/**
 * C (rows x cols, both multiples of 4 and 8; row stride ldc floats) = or +=
 * A B, with A_p and B_p as in tile.ts's mk_4x8 (steps astep, bstep): A strip r
 * (4 rows) starts at a + r*astrip, B panel q (8 columns) at b + q*bpanel (bytes).
 */
function tiles(a: usize, astrip: usize, astep: usize, b: usize, bpanel: usize, bstep: usize, k: i32,
               c: usize, rows: i32, cols: i32, ldc: i32, accumulate: bool): void {
  const ldcb = <usize>ldc << 2;
  for (let r = 0; r < rows; r += 4) {
    const ar = a + <usize>(r >> 2) * astrip;
    const cr = c + <usize>r * ldcb;
    for (let q = 0; q < cols; q += 8) {
      mk_4x8(ar, astep, b + <usize>(q >> 3) * bpanel, bstep, k, cr + (<usize>q << 2), ldcb, accumulate, false, 1, 1, 0, false);
    }
  }
}

/**
 * Pack rows [0, valid) of a row-major (rows, D) matrix into strips of W (4 or 8)
 * rows, k-major: dst[s][d][r] = src[s W + r][d]; rows past valid, up to padRows
 * (round8(valid)), are 0. W = 4 is tile.ts's A-panel packing, W = 8 its packing
 * of a transposed B (the matrix's rows become the panel's columns).
 */
// @ts-ignore: decorator
@inline function pack_kmajor(src: usize, valid: i32, padRows: i32, D: i32, W: i32, dst: usize): void {
  assert(padRows == round8(valid), 'pack_kmajor: padRows must be round8(valid)');
  if (W == 4) {
    pack_a_n(src, dst, 0, 0, valid, D, D);
    // pack_a_n writes ceil(valid / 4) strips; an all-zero one may remain.
    const done = (valid + 3) & ~3;
    if (done < padRows) memory.fill(dst + (<usize>(done * D) << 2), 0, <usize>((padRows - done) * D) << 2);
  } else {
    pack_b_t(src, dst, 0, 0, D, valid, D);
  }
}

/** Copy rows [0, valid) of a row-major (rows, D) matrix to (padRows, dp) with zero padding. */
function pack_padded(src: usize, valid: i32, padRows: i32, D: i32, dp: i32, dst: usize): void {
  const rowb = <usize>D << 2;
  for (let r = 0; r < padRows; r++) {
    const o = dst + (<usize>(r * dp) << 2);
    let d = 0;
    if (r < valid) {
      const s = src + <usize>r * rowb;
      for (; d + 4 <= D; d += 4) v128.store(o + (<usize>d << 2), v128.load(s + (<usize>d << 2)));
      for (; d < D; d++) store<f32>(o + (<usize>d << 2), load<f32>(s + (<usize>d << 2)));
    }
    for (; d < dp; d++) store<f32>(o + (<usize>d << 2), 0);
  }
}

/** dst (cols x rows, stride rows) = src^T (rows x cols, stride cols); both multiples of 4. */
function transpose_block(src: usize, dst: usize, rows: i32, cols: i32): void {
  const srow = <usize>cols << 2;
  const drow = <usize>rows << 2;
  for (let r = 0; r < rows; r += 4) {
    const s0 = src + <usize>r * srow;
    for (let c = 0; c < cols; c += 4) {
      const s = s0 + (<usize>c << 2);
      transpose_store(dst + <usize>c * drow + (<usize>r << 2), drow,
                 v128.load(s), v128.load(s + srow), v128.load(s + 2 * srow), v128.load(s + 3 * srow));
    }
  }
}

/**
 * Keep flags of the keys [j0, j0 + bc) as i32 (-1 keep, 0 masked) into keep[0..bcp);
 * keys past bc are masked. Returns the number of kept keys.
 */
function key_flags(keymask: usize, j0: i32, bc: i32, bcp: i32, keep: usize): i32 {
  let n = 0;
  for (let j = 0; j < bcp; j++) {
    let f = 0;
    if (j < bc) f = keymask == 0 || load<i32>(keymask + (<usize>(j0 + j) << 2)) != 0 ? -1 : 0;
    store<i32>(keep + (<usize>j << 2), f);
    n -= f;
  }
  return n;
}

/**
 * Dropout keep masks in the transposed block layout: zt[j][i] (row stride brp)
 * = -1 if element (bh, i0 + i, j0 + j) is kept, 0 if dropped, for i < br, j < bcp
 * (entries past bc are don't-cares). zr is (brp x bcp) scratch for the row-major
 * masks, words scratch for bcp + 32 u32.
 */
function dropout_block(zt: usize, zr: usize, words: usize, bh: i32, S: i32, i0: i32, br: i32, j0: i32, bc: i32,
                       brp: i32, bcp: i32, threshold: u32, key0: u32, key1: u32, stream: u32, ctr: u64): void {
  const thr = i32x4.splat(<i32>threshold);
  for (let i = 0; i < br; i++) {
    const e0 = (<u64>bh * <u64>S + <u64>(i0 + i)) * <u64>S + <u64>j0;
    const first = e0 >> 2;
    const last = (e0 + <u64>(bc - 1)) >> 2;
    let w = words;
    for (let blk = first; blk <= last; blk += 4) {
      philox_x4_store(w, key0, key1, ctr + blk, stream);
      w += 64;
    }
    const src = words + (<usize>(e0 & 3) << 2);
    const dst = zr + (<usize>(i * bcp) << 2);
    for (let j = 0; j < bcp; j += 4) {
      // Keep iff (word >>> 8) >= threshold.
      const off = <usize>j << 2;
      v128.store(dst + off, v128.not(i32x4.lt_u(i32x4.shr_u(v128.load(src + off), 8), thr)));
    }
  }
  transpose_block(zr, zt, brp, bcp);
}

/**
 * Attention forward.
 *   q, k, v  [B, H, S, D] f32, read
 *   keymask  [B, S] i32 (nonzero keep), read; 0 for no key mask
 *   out      [B, H, S, D] f32, written: softmax(scale q k^T + masks) with dropout, times v
 *   lse      [B, H, S] f32, written: log-sum-exp of the masked scaled scores
 *            (before dropout); -inf for a row with no visible key (its out row is 0)
 *   work     attention_workspace_bytes(S, D) bytes of scratch, 16-byte aligned
 * out must not alias q, k or v. causal: key j is visible to query i iff j <= i.
 * threshold, keepScale, key0, key1, stream, ctrLo, ctrHi: dropout (see the file
 * header); threshold 0 = none.
 */
export function attention_fwd(q: usize, k: usize, v: usize, keymask: usize, out: usize, lse: usize, work: usize,
                              B: i32, H: i32, S: i32, D: i32, scale: f32, causal: i32,
                              threshold: u32, keepScale: f32, key0: u32, key1: u32, stream: u32,
                              ctrLo: u32, ctrHi: u32): void {
  attention_fwd_range(q, k, v, keymask, out, lse, work, B, H, S, D, scale, causal,
    threshold, keepScale, key0, key1, stream, ctrLo, ctrHi, 0, B * H);
}

/**
 * attention_fwd restricted to the heads bh in [bh0, bh1) of the B * H heads
 * (bh = b * H + h): the same arguments (full-size tensors, pointers to their
 * start), and only those heads' out and lse rows are written. Each head is
 * computed exactly as by attention_fwd (same dropout words, same order), so
 * threads running disjoint ranges, each with its own `work`, give the same bits
 * as one call.
 */
export function attention_fwd_range(q: usize, k: usize, v: usize, keymask: usize, out: usize, lse: usize, work: usize,
                                    B: i32, H: i32, S: i32, D: i32, scale: f32, causal: i32,
                                    threshold: u32, keepScale: f32, key0: u32, key1: u32, stream: u32,
                                    ctrLo: u32, ctrHi: u32, bh0: i32, bh1: i32): void {
  assert(B >= 0 && H >= 0 && S >= 0 && D >= 1, 'attention_fwd: bad dims');
  assert(bh0 >= 0 && bh0 <= bh1 && bh1 <= B * H, 'attention_fwd: bad head range');
  assert((work & 15) == 0, 'attention_fwd: work must be 16-byte aligned');
  if (B == 0 || H == 0 || S == 0) return;
  const bs = block_size(S);
  const dp = round8(D);
  const ctr = (<u64>ctrHi << 32) | <u64>ctrLo;
  const qpan = work;
  const kstr = take(qpan, bs * D);
  const vp = take(kstr, bs * D);
  const o = take(vp, bs * dp);
  const st = take(o, bs * dp);
  const zt = take(st, bs * bs);
  const zr = take(zt, bs * bs);
  const mrow = take(zr, bs * bs);
  const lrow = take(mrow, bs);
  const arow = take(lrow, bs);
  const keep = take(arow, bs);
  const words = take(keep, bs);
  const vscale = f32x4.splat(scale);
  const vks = f32x4.splat(keepScale);
  const ninf = f32x4.splat(NEG_INF);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const headBytes = (<usize>S * <usize>D) << 2;
  for (let bh = bh0; bh < bh1; bh++) {
    const qh = q + <usize>bh * headBytes;
    const kh = k + <usize>bh * headBytes;
    const vh = v + <usize>bh * headBytes;
    const oh = out + <usize>bh * headBytes;
    const lh = lse + (<usize>(bh * S) << 2);
    const km = keymask != 0 ? keymask + (<usize>((bh / H) * S) << 2) : 0;
    for (let i0 = 0; i0 < S; i0 += bs) {
      const br = min(bs, S - i0);
      const brp = round8(br);
      pack_kmajor(qh + (<usize>(i0 * D) << 2), br, brp, D, 8, qpan);
      memory.fill(o, 0, <usize>(brp * dp) << 2);
      for (let i = 0; i < brp; i += 4) {
        v128.store(mrow + (<usize>i << 2), ninf);
        v128.store(lrow + (<usize>i << 2), zero);
      }
      for (let j0 = 0; j0 < S; j0 += bs) {
        // Causal: keys past the block's last query are invisible to all of it.
        if (causal != 0 && j0 > i0 + br - 1) break;
        const bc = min(bs, S - j0);
        const bcp = round8(bc);
        if (key_flags(km, j0, bc, bcp, keep) == 0) continue;
        const diag = causal != 0 && j0 + bc - 1 > i0;
        pack_kmajor(kh + (<usize>(j0 * D) << 2), bc, bcp, D, 4, kstr);
        // With D a multiple of 8, V rows are used in place (only rows < bc are read).
        let vb = vh + (<usize>(j0 * D) << 2);
        if (dp != D) {
          pack_padded(vb, bc, bc, D, dp, vp);
          vb = vp;
        }
        // S^T (bcp x brp) = K Q^T.
        tiles(kstr, <usize>(D * 16), 16, qpan, <usize>(D * 32), 32, D, st, bcp, brp, brp, false);
        if (threshold != 0) dropout_block(zt, zr, words, bh, S, i0, br, j0, bc, brp, bcp, threshold, key0, key1, stream, ctr);
        // Online softmax, 4 queries per vector.
        for (let iv = 0; iv < brp; iv += 4) {
          const ioff = <usize>iv << 2;
          const ivec = i32x4.add(i32x4.splat(i0 + iv), i32x4(0, 1, 2, 3));
          const mOld = v128.load(mrow + ioff);
          let mx = mOld;
          let p = st + ioff;
          for (let j = 0; j < bcp; j++) {
            let kv = i32x4.splat(load<i32>(keep + (<usize>j << 2)));
            if (diag) kv = v128.and(kv, i32x4.ge_s(ivec, i32x4.splat(j0 + j)));
            const s = v128.bitselect(f32x4.mul(v128.load(p), vscale), ninf, kv);
            v128.store(p, s);
            mx = f32x4.max(mx, s);
            p += <usize>brp << 2;
          }
          const dead = f32x4.eq(mx, ninf);
          const msub = v128.bitselect(zero, mx, dead);
          const alpha = v128.bitselect(one, exp_v(f32x4.sub(mOld, mx)), dead);
          let lsum = zero;
          p = st + ioff;
          let z = zt + ioff;
          for (let j = 0; j < bcp; j++) {
            const s = v128.load(p);
            let e = v128.and(exp_v(f32x4.sub(s, msub)), f32x4.ne(s, ninf));
            lsum = f32x4.add(lsum, e);
            if (threshold != 0) e = f32x4.mul(v128.and(e, v128.load(z)), vks);
            v128.store(p, e);
            p += <usize>brp << 2;
            z += <usize>brp << 2;
          }
          v128.store(mrow + ioff, mx);
          v128.store(lrow + ioff, f32x4.add(f32x4.mul(alpha, v128.load(lrow + ioff)), lsum));
          v128.store(arow + ioff, alpha);
        }
        // O = alpha O + P V.
        for (let i = 0; i < brp; i++) {
          const a = f32x4.splat(load<f32>(arow + (<usize>i << 2)));
          const row = o + (<usize>(i * dp) << 2);
          for (let d = 0; d < dp; d += 4) v128.store(row + (<usize>d << 2), f32x4.mul(v128.load(row + (<usize>d << 2)), a));
        }
        tiles(st, 16, <usize>brp << 2, vb, 32, <usize>dp << 2, bc, o, brp, dp, dp, true);
      }
      // out = O / l, lse = m + ln l; l == 0 only for rows with no visible key.
      for (let i = 0; i < br; i++) {
        const l = load<f32>(lrow + (<usize>i << 2));
        const orow = oh + (<usize>((i0 + i) * D) << 2);
        const src = o + (<usize>(i * dp) << 2);
        if (l > 0) {
          const inv = <f32>1 / l;
          const vi = f32x4.splat(inv);
          let d = 0;
          for (; d + 4 <= D; d += 4) v128.store(orow + (<usize>d << 2), f32x4.mul(v128.load(src + (<usize>d << 2)), vi));
          for (; d < D; d++) store<f32>(orow + (<usize>d << 2), load<f32>(src + (<usize>d << 2)) * inv);
          store<f32>(lh + (<usize>(i0 + i) << 2), <f32>(<f64>load<f32>(mrow + (<usize>i << 2)) + Math.log(<f64>l)));
        } else {
          memory.fill(orow, 0, <usize>D << 2);
          store<f32>(lh + (<usize>(i0 + i) << 2), NEG_INF);
        }
      }
    }
  }
}

/**
 * Attention backward (FlashAttention-2): ACCUMULATES into dq, dk, dv.
 *   q, k, v, out  [B, H, S, D] f32, read (out as written by attention_fwd)
 *   lse           [B, H, S] f32, read (from attention_fwd)
 *   dout          [B, H, S, D] f32, read
 *   keymask       [B, S] i32 or 0, read
 *   dq, dk, dv    [B, H, S, D] f32, read and written (+=)
 *   work          attention_workspace_bytes(S, D) bytes, 16-byte aligned
 * Same masks, scale and dropout arguments as the forward call. No gradient
 * buffer may alias an input. Rows with lse = -inf contribute nothing.
 */
export function attention_bwd(q: usize, k: usize, v: usize, out: usize, lse: usize, dout: usize, keymask: usize,
                              dq: usize, dk: usize, dv: usize, work: usize,
                              B: i32, H: i32, S: i32, D: i32, scale: f32, causal: i32,
                              threshold: u32, keepScale: f32, key0: u32, key1: u32, stream: u32,
                              ctrLo: u32, ctrHi: u32): void {
  attention_bwd_range(q, k, v, out, lse, dout, keymask, dq, dk, dv, work, B, H, S, D, scale, causal,
    threshold, keepScale, key0, key1, stream, ctrLo, ctrHi, 0, B * H);
}

/**
 * attention_bwd restricted to the heads bh in [bh0, bh1): only those heads'
 * dq, dk, dv are read and written. A head's gradients depend on that head
 * alone, so disjoint ranges on separate threads (own `work` each) give the
 * same bits as one call.
 */
export function attention_bwd_range(q: usize, k: usize, v: usize, out: usize, lse: usize, dout: usize, keymask: usize,
                                    dq: usize, dk: usize, dv: usize, work: usize,
                                    B: i32, H: i32, S: i32, D: i32, scale: f32, causal: i32,
                                    threshold: u32, keepScale: f32, key0: u32, key1: u32, stream: u32,
                                    ctrLo: u32, ctrHi: u32, bh0: i32, bh1: i32): void {
  assert(B >= 0 && H >= 0 && S >= 0 && D >= 1, 'attention_bwd: bad dims');
  assert(bh0 >= 0 && bh0 <= bh1 && bh1 <= B * H, 'attention_bwd: bad head range');
  assert((work & 15) == 0, 'attention_bwd: work must be 16-byte aligned');
  if (B == 0 || H == 0 || S == 0) return;
  const bs = block_size(S);
  const dp = round8(D);
  const ctr = (<u64>ctrHi << 32) | <u64>ctrLo;
  const kstr = work;
  const vstr = take(kstr, bs * D);
  const qpan = take(vstr, bs * D);
  const dopan = take(qpan, bs * D);
  const kp = take(dopan, bs * D);
  const qp = take(kp, bs * dp);
  const dop = take(qp, bs * dp);
  const dqacc = take(dop, bs * dp);
  const dkacc = take(dqacc, bs * dp);
  const dvacc = take(dkacc, bs * dp);
  const st = take(dvacc, bs * dp);
  const dpt = take(st, bs * bs);
  const pd = take(dpt, bs * bs);
  const ds = take(pd, bs * bs);
  const zt = take(ds, bs * bs);
  const zr = take(zt, bs * bs);
  const keep = take(zr, bs * bs);
  const dvec = take(keep, bs);
  const lsev = take(dvec, bs);
  const words = take(lsev, bs);
  const vscale = f32x4.splat(scale);
  const vks = f32x4.splat(keepScale);
  const ninf = f32x4.splat(NEG_INF);
  const zero = f32x4.splat(0);
  const headBytes = (<usize>S * <usize>D) << 2;
  for (let bh = bh0; bh < bh1; bh++) {
    const qh = q + <usize>bh * headBytes;
    const kh = k + <usize>bh * headBytes;
    const vh = v + <usize>bh * headBytes;
    const outh = out + <usize>bh * headBytes;
    const doh = dout + <usize>bh * headBytes;
    const dqh = dq + <usize>bh * headBytes;
    const dkh = dk + <usize>bh * headBytes;
    const dvh = dv + <usize>bh * headBytes;
    const lh = lse + (<usize>(bh * S) << 2);
    const km = keymask != 0 ? keymask + (<usize>((bh / H) * S) << 2) : 0;
    for (let j0 = 0; j0 < S; j0 += bs) {
      const bc = min(bs, S - j0);
      const bcp = round8(bc);
      if (key_flags(km, j0, bc, bcp, keep) == 0) continue;
      pack_kmajor(kh + (<usize>(j0 * D) << 2), bc, bcp, D, 4, kstr);
      pack_kmajor(vh + (<usize>(j0 * D) << 2), bc, bcp, D, 4, vstr);
      // Row-major operands are used in place when D is a multiple of 8 (only valid rows are read).
      let kb = kh + (<usize>(j0 * D) << 2);
      if (dp != D) {
        pack_padded(kb, bc, bcp, D, dp, kp);
        kb = kp;
      }
      memory.fill(dkacc, 0, <usize>(bcp * dp) << 2);
      memory.fill(dvacc, 0, <usize>(bcp * dp) << 2);
      // Causal: queries before the block's first key see none of it.
      let iStart = 0;
      if (causal != 0) iStart = (j0 / bs) * bs;
      for (let i0 = iStart; i0 < S; i0 += bs) {
        const br = min(bs, S - i0);
        const brp = round8(br);
        const diag = causal != 0 && j0 + bc - 1 > i0;
        pack_kmajor(qh + (<usize>(i0 * D) << 2), br, brp, D, 8, qpan);
        pack_kmajor(doh + (<usize>(i0 * D) << 2), br, brp, D, 8, dopan);
        let qb = qh + (<usize>(i0 * D) << 2);
        let dob = doh + (<usize>(i0 * D) << 2);
        if (dp != D) {
          pack_padded(qb, br, brp, D, dp, qp);
          pack_padded(dob, br, brp, D, dp, dop);
          qb = qp;
          dob = dop;
        }
        // D_i = dO_i . out_i (lanes over d, then the fixed hsum order), and lse padded with -inf.
        for (let i = 0; i < brp; i++) {
          let dsum: f32 = 0;
          let l: f32 = NEG_INF;
          if (i < br) {
            const a = dob + (<usize>(i * dp) << 2);
            const b = outh + (<usize>((i0 + i) * D) << 2);
            let acc = zero;
            let d = 0;
            for (; d + 4 <= D; d += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>d << 2)), v128.load(b + (<usize>d << 2))));
            dsum = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
            for (; d < D; d++) dsum += load<f32>(a + (<usize>d << 2)) * load<f32>(b + (<usize>d << 2));
            l = load<f32>(lh + (<usize>(i0 + i) << 2));
          }
          store<f32>(dvec + (<usize>i << 2), dsum);
          store<f32>(lsev + (<usize>i << 2), l);
        }
        // S^T = K Q^T and dP^T = V dO^T (bcp x brp).
        tiles(kstr, <usize>(D * 16), 16, qpan, <usize>(D * 32), 32, D, st, bcp, brp, brp, false);
        tiles(vstr, <usize>(D * 16), 16, dopan, <usize>(D * 32), 32, D, dpt, bcp, brp, brp, false);
        if (threshold != 0) dropout_block(zt, zr, words, bh, S, i0, br, j0, bc, brp, bcp, threshold, key0, key1, stream, ctr);
        // P = exp(scale s - lse) (masked 0), Pd = dropout(P), dS = P (dropout(dP) - D_i).
        for (let iv = 0; iv < brp; iv += 4) {
          const ioff = <usize>iv << 2;
          const ivec = i32x4.add(i32x4.splat(i0 + iv), i32x4(0, 1, 2, 3));
          const lv = v128.load(lsev + ioff);
          const rowok = f32x4.gt(lv, ninf);
          const lsub = v128.bitselect(lv, zero, rowok);
          const dv4 = v128.load(dvec + ioff);
          let p = st + ioff, g = dpt + ioff, z = zt + ioff;
          for (let j = 0; j < bcp; j++) {
            let kv = v128.and(i32x4.splat(load<i32>(keep + (<usize>j << 2))), rowok);
            if (diag) kv = v128.and(kv, i32x4.ge_s(ivec, i32x4.splat(j0 + j)));
            const s = f32x4.mul(v128.load(p), vscale);
            const e = v128.and(exp_v(f32x4.sub(s, lsub)), kv);
            let ep = e;
            let dpv = v128.load(g);
            if (threshold != 0) {
              const zz = v128.load(z);
              ep = f32x4.mul(v128.and(e, zz), vks);
              dpv = f32x4.mul(v128.and(dpv, zz), vks);
            }
            v128.store(p, ep);
            v128.store(g, f32x4.mul(e, f32x4.sub(dpv, dv4)));
            p += <usize>brp << 2;
            g += <usize>brp << 2;
            z += <usize>brp << 2;
          }
        }
        // dQ block = dS K (brp x dp), then dq += scale dQ.
        tiles(dpt, 16, <usize>brp << 2, kb, 32, <usize>dp << 2, bc, dqacc, brp, dp, dp, false);
        for (let i = 0; i < br; i++) {
          const a = dqacc + (<usize>(i * dp) << 2);
          const b = dqh + (<usize>((i0 + i) * D) << 2);
          let d = 0;
          for (; d + 4 <= D; d += 4) {
            const off = <usize>d << 2;
            v128.store(b + off, f32x4.add(v128.load(b + off), f32x4.mul(v128.load(a + off), vscale)));
          }
          for (; d < D; d++) store<f32>(b + (<usize>d << 2), load<f32>(b + (<usize>d << 2)) + load<f32>(a + (<usize>d << 2)) * scale);
        }
        // dV += Pd^T dO and dK += dS^T Q (bcp x dp), from the query-major copies.
        transpose_block(st, pd, bcp, brp);
        transpose_block(dpt, ds, bcp, brp);
        tiles(pd, 16, <usize>bcp << 2, dob, 32, <usize>dp << 2, br, dvacc, bcp, dp, dp, true);
        tiles(ds, 16, <usize>bcp << 2, qb, 32, <usize>dp << 2, br, dkacc, bcp, dp, dp, true);
      }
      for (let j = 0; j < bc; j++) {
        const ka = dkacc + (<usize>(j * dp) << 2);
        const va = dvacc + (<usize>(j * dp) << 2);
        const dkr = dkh + (<usize>((j0 + j) * D) << 2);
        const dvr = dvh + (<usize>((j0 + j) * D) << 2);
        let d = 0;
        for (; d + 4 <= D; d += 4) {
          const off = <usize>d << 2;
          v128.store(dkr + off, f32x4.add(v128.load(dkr + off), f32x4.mul(v128.load(ka + off), vscale)));
          v128.store(dvr + off, f32x4.add(v128.load(dvr + off), v128.load(va + off)));
        }
        for (; d < D; d++) {
          const off = <usize>d << 2;
          store<f32>(dkr + off, load<f32>(dkr + off) + load<f32>(ka + off) * scale);
          store<f32>(dvr + off, load<f32>(dvr + off) + load<f32>(va + off));
        }
      }
    }
  }
}

/**
 * Rotary position embedding, forward (GPT-NeoX / Hugging Face rotate_half
 * pairing: dimension c pairs with c + D/2).
 *   x    [N, S, D] f32, read
 *   cos  [S, D/2] f32, read: cos(theta(pos, c)) for the S positions
 *   sin  [S, D/2] f32, read
 *   out  [N, S, D] f32, written: out[c] = x[c] cos - x[c+h] sin,
 *        out[c+h] = x[c+h] cos + x[c] sin (h = D/2). out may alias x (in place).
 * D even (checked in TypeScript); any h (vector body + scalar tail).
 */
export function rotary_fwd(x: usize, cos: usize, sin: usize, out: usize, N: i32, S: i32, D: i32): void {
  const h = D >> 1;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const row = <usize>(n * S + s) * <usize>D << 2;
      const xa = x + row, xb = xa + (<usize>h << 2);
      const oa = out + row, ob = oa + (<usize>h << 2);
      const ct = cos + (<usize>(s * h) << 2), sn = sin + (<usize>(s * h) << 2);
      let c = 0;
      for (; c + 4 <= h; c += 4) {
        const off = <usize>c << 2;
        const a = v128.load(xa + off), b = v128.load(xb + off);
        const cv = v128.load(ct + off), sv = v128.load(sn + off);
        v128.store(oa + off, f32x4.sub(f32x4.mul(a, cv), f32x4.mul(b, sv)));
        v128.store(ob + off, f32x4.add(f32x4.mul(b, cv), f32x4.mul(a, sv)));
      }
      for (; c < h; c++) {
        const off = <usize>c << 2;
        const a = load<f32>(xa + off), b = load<f32>(xb + off);
        const cv = load<f32>(ct + off), sv = load<f32>(sn + off);
        store<f32>(oa + off, a * cv - b * sv);
        store<f32>(ob + off, b * cv + a * sv);
      }
    }
  }
}

/**
 * Rotary backward: rotation by -theta, ACCUMULATED into dx.
 *   dy   [N, S, D] f32, read; cos, sin as in rotary_fwd
 *   dx   [N, S, D] f32, read and written: dx[c] += dy[c] cos + dy[c+h] sin,
 *        dx[c+h] += dy[c+h] cos - dy[c] sin. dx must not alias dy.
 */
export function rotary_bwd(dy: usize, cos: usize, sin: usize, dx: usize, N: i32, S: i32, D: i32): void {
  const h = D >> 1;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const row = <usize>(n * S + s) * <usize>D << 2;
      const ga = dy + row, gb = ga + (<usize>h << 2);
      const xa = dx + row, xb = xa + (<usize>h << 2);
      const ct = cos + (<usize>(s * h) << 2), sn = sin + (<usize>(s * h) << 2);
      let c = 0;
      for (; c + 4 <= h; c += 4) {
        const off = <usize>c << 2;
        const a = v128.load(ga + off), b = v128.load(gb + off);
        const cv = v128.load(ct + off), sv = v128.load(sn + off);
        v128.store(xa + off, f32x4.add(v128.load(xa + off), f32x4.add(f32x4.mul(a, cv), f32x4.mul(b, sv))));
        v128.store(xb + off, f32x4.add(v128.load(xb + off), f32x4.sub(f32x4.mul(b, cv), f32x4.mul(a, sv))));
      }
      for (; c < h; c++) {
        const off = <usize>c << 2;
        const a = load<f32>(ga + off), b = load<f32>(gb + off);
        const cv = load<f32>(ct + off), sv = load<f32>(sn + off);
        store<f32>(xa + off, load<f32>(xa + off) + (a * cv + b * sv));
        store<f32>(xb + off, load<f32>(xb + off) + (b * cv - a * sv));
      }
    }
  }
}

// Incremental decoding over a KV cache.
//
// The caches kc, vc are [B, H, Tmax, D] f32 (row-major; head bh = b H + h starts
// at bh Tmax D) and hold T valid positions. The n newest queries q [B, H, n, D]
// sit at positions T - n .. T - 1, their keys and values already written to the
// caches, and query i sees the keys 0 .. T - n + i (causal).
//
// Per query, the keys are visited in blocks of ATT_BLOCK from 0, as attention_fwd
// visits them for a sequence of any length S >= T (one block of round8(S) when
// S < 64, blocks of 64 otherwise: the same partition of the visible keys), and
// every value is formed by the same f32 operations in the same order: the score
// sum_d k[d] q[d] sequentially over d from 0 (the micro-kernel's order), times
// scale; the block max; alpha = exp(m_old - m_new); l = alpha l + (sum of the
// block's exp(s - m) in key order); O = (sum over the block's keys, in order, of
// p_j v_j) + alpha O; out = O * (1 / l). So the output of query i is bit-identical
// to row T - n + i of a causal attention_fwd over the first T positions (no key
// mask, no dropout), in any runtime.
//
// The scores are computed 4 keys at a time with the keys in the lanes (a 4 x 4
// register transpose per 4 dimensions; keys past the block's end repeat its last
// key and are never summed), which keeps the sequential order over d that a
// SIMD-over-d dot product would change; P V is SIMD over d. Work per query is
// O(T D), the scratch O(ATT_BLOCK + D): nothing grows with T^2 or with T.

/**
 * Bytes of scratch attention_decode_f32 needs for head size D: the block's
 * scores (ATT_BLOCK floats) and one accumulator row (D rounded up to 4).
 */
export function attention_decode_workspace_bytes(D: i32): i32 {
  return (ATT_BLOCK + ((D + 3) & ~3)) * 4 + 16;
}

/**
 * Scores of one query against 4 keys: lane l = sum_d q[d] k_l[d], summed over d
 * in order from 0 (r0..r3 are the 4 key rows, D floats each).
 */
// @ts-ignore: decorator
@inline function scores4(q: usize, r0: usize, r1: usize, r2: usize, r3: usize, D: i32): v128 {
  let s = f32x4.splat(0);
  let d = 0;
  for (; d + 4 <= D; d += 4) {
    const o = <usize>d << 2;
    const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
    const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
    const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
    const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
    s = f32x4.add(s, f32x4.mul(v128.load32_splat(q + o), i32x4.shuffle(t0, t1, 0, 1, 4, 5)));
    s = f32x4.add(s, f32x4.mul(v128.load32_splat(q + o, 4), i32x4.shuffle(t0, t1, 2, 3, 6, 7)));
    s = f32x4.add(s, f32x4.mul(v128.load32_splat(q + o, 8), i32x4.shuffle(t2, t3, 0, 1, 4, 5)));
    s = f32x4.add(s, f32x4.mul(v128.load32_splat(q + o, 12), i32x4.shuffle(t2, t3, 2, 3, 6, 7)));
  }
  for (; d < D; d++) {
    const o = <usize>d << 2;
    let c = f32x4.splat(load<f32>(r0 + o));
    c = f32x4.replace_lane(c, 1, load<f32>(r1 + o));
    c = f32x4.replace_lane(c, 2, load<f32>(r2 + o));
    c = f32x4.replace_lane(c, 3, load<f32>(r3 + o));
    s = f32x4.add(s, f32x4.mul(v128.load32_splat(q + o), c));
  }
  return s;
}

/**
 * Causal attention of the n newest queries over a KV cache (incremental decoding).
 *   q      [B, H, n, D] f32, read: the queries of positions T - n .. T - 1
 *   kc, vc [B, H, Tmax, D] f32, read: keys and values; positions [0, T) valid
 *          (only those are read)
 *   out    [B, H, n, D] f32, written: softmax(scale q_i k_j^T, j <= T - n + i) v
 *   work   attention_decode_workspace_bytes(D) bytes of scratch, 16-byte aligned
 * out must not alias q, kc or vc. 1 <= n <= T <= Tmax (checked in TypeScript).
 * Bit-identical to the causal attention_fwd rows (see the section header).
 */
export function attention_decode_f32(q: usize, kc: usize, vc: usize, out: usize, work: usize,
                                     B: i32, H: i32, n: i32, T: i32, Tmax: i32, D: i32, scale: f32): void {
  assert(B >= 0 && H >= 0 && n >= 1 && n <= T && T <= Tmax && D >= 1, 'attention_decode_f32: bad dims');
  assert((work & 15) == 0, 'attention_decode_f32: work must be 16-byte aligned');
  const sc = work;
  const acc = take(sc, ATT_BLOCK);
  const vscale = f32x4.splat(scale);
  const ninf = f32x4.splat(NEG_INF);
  const rowb = <usize>D << 2;
  const cacheHead = <usize>Tmax * rowb;
  const qHead = <usize>n * rowb;
  for (let bh = 0; bh < B * H; bh++) {
    const kh = kc + <usize>bh * cacheHead;
    const vh = vc + <usize>bh * cacheHead;
    for (let i = 0; i < n; i++) {
      const p = T - n + i;
      const qr = q + <usize>bh * qHead + <usize>i * rowb;
      const orow = out + <usize>bh * qHead + <usize>i * rowb;
      memory.fill(orow, 0, rowb);
      let m: f32 = NEG_INF;
      let l: f32 = 0;
      for (let j0 = 0; j0 <= p; j0 += ATT_BLOCK) {
        const bc = min(ATT_BLOCK, p + 1 - j0);
        const last = kh + <usize>(j0 + bc - 1) * rowb;
        // Scaled scores of the block, 4 keys per vector; lanes past bc repeat the last key.
        let mx4 = ninf;
        for (let g = 0; g < bc; g += 4) {
          const r0 = kh + <usize>(j0 + g) * rowb;
          const r1 = g + 1 < bc ? r0 + rowb : last;
          const r2 = g + 2 < bc ? r0 + 2 * rowb : last;
          const r3 = g + 3 < bc ? r0 + 3 * rowb : last;
          const s = f32x4.mul(scores4(qr, r0, r1, r2, r3, D), vscale);
          v128.store(sc + (<usize>g << 2), s);
          mx4 = f32x4.max(mx4, s);
        }
        const mx = max(m, max(max(f32x4.extract_lane(mx4, 0), f32x4.extract_lane(mx4, 1)),
                                max(f32x4.extract_lane(mx4, 2), f32x4.extract_lane(mx4, 3))));
        const dead = mx == NEG_INF;
        const msub = dead ? <f32>0 : mx;
        // exp_v's lane 0 (vmath's exp_s) keeps the bits of the forward's vector alpha.
        const alpha = dead ? <f32>1 : f32x4.extract_lane(exp_v(f32x4.splat(m - mx)), 0);
        const vmsub = f32x4.splat(msub);
        for (let g = 0; g < bc; g += 4) {
          const o = <usize>g << 2;
          const s = v128.load(sc + o);
          v128.store(sc + o, v128.and(exp_v(f32x4.sub(s, vmsub)), f32x4.ne(s, ninf)));
        }
        let lsum: f32 = 0;
        for (let j = 0; j < bc; j++) lsum += load<f32>(sc + (<usize>j << 2));
        m = mx;
        l = alpha * l + lsum;
        // acc = sum_j p_j v_j over the block in key order, then O = acc + alpha O.
        memory.fill(acc, 0, rowb);
        for (let j = 0; j < bc; j++) {
          const e = load<f32>(sc + (<usize>j << 2));
          const ev = f32x4.splat(e);
          const vr = vh + <usize>(j0 + j) * rowb;
          let d = 0;
          for (; d + 4 <= D; d += 4) {
            const o = <usize>d << 2;
            v128.store(acc + o, f32x4.add(v128.load(acc + o), f32x4.mul(ev, v128.load(vr + o))));
          }
          for (; d < D; d++) {
            const o = <usize>d << 2;
            store<f32>(acc + o, load<f32>(acc + o) + e * load<f32>(vr + o));
          }
        }
        const av = f32x4.splat(alpha);
        let d = 0;
        for (; d + 4 <= D; d += 4) {
          const o = <usize>d << 2;
          v128.store(orow + o, f32x4.add(v128.load(acc + o), f32x4.mul(v128.load(orow + o), av)));
        }
        for (; d < D; d++) {
          const o = <usize>d << 2;
          store<f32>(orow + o, load<f32>(acc + o) + load<f32>(orow + o) * alpha);
        }
      }
      // out = O / l; l == 0 only when every score is -inf (overflowed inputs).
      if (l > 0) {
        const inv = <f32>1 / l;
        const vi = f32x4.splat(inv);
        let d = 0;
        for (; d + 4 <= D; d += 4) v128.store(orow + (<usize>d << 2), f32x4.mul(v128.load(orow + (<usize>d << 2)), vi));
        for (; d < D; d++) store<f32>(orow + (<usize>d << 2), load<f32>(orow + (<usize>d << 2)) * inv);
      } else {
        memory.fill(orow, 0, rowb);
      }
    }
  }
}
