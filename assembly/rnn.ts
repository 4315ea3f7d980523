// Recurrent layers over a whole sequence, forward and backward through time:
// LSTM, GRU and the Elman RNN (tanh or ReLU), PyTorch's semantics, batch-first.
//
// Layout: per-step buffers are [B, T, W] f32 row-major (W = H, or G H for the
// gate buffers: G = 4 for the LSTM (i, f, g, o), 3 for the GRU (r, z, n), 1 for
// the RNN); states are [B, H]; whh is PyTorch's weight_hh [G H, H]. The input
// projection x W_ih^T + bias of every step is one big GEMM that TypeScript runs
// into the gate buffer before the forward kernel, which runs the time loop: per
// step one small GEMM h_prev W_hh^T (M = B, N = G H, K = H; see "the step GEMM")
// added in place to that step's rows, then the fused gate nonlinearities and the
// state update, one batch row at a time.
//
// Order of the steps: t = 0 ... T-1, or T-1 ... 0 when reverse != 0 (the
// backward direction of a bidirectional layer). prev(t) is t - 1, or t + 1 in
// reverse, and the state before the first step is h0 (c0). The mask is [B, T]
// i32 0/1 (TypeScript converts float masks) or 0 for none: at a step whose mask
// is 0 the state is carried unchanged and the output row is the carried h. So
// the state before step t is always out[:, prev(t)] (cells[:, prev(t)] for the
// LSTM's c) or h0, which is where each step reads it.
//
// The backward kernels run the steps in the opposite order with dh (and dc)
// [B, H] carried in `carry`: dh += dout[:, t], the gradients of the step's
// pre-activation gates are written (zero at masked steps, where dh and dc pass
// through unchanged), and dgates_t W_hh (M = B, N = H, K = G H) is added to dh.
// The input, weight and bias gradients are big GEMMs and column sums over the
// written gates, done by TypeScript (threaded).
//
// Vector bodies over groups of 4 hidden units; the scalar tail runs the same
// f32x4 formulas on lane 0 (vmath's functions), so a value never depends on its
// position. The GEMMs sum in gemm_f32's fixed order: bit-identical everywhere.
// The kernels run on the calling thread (a step GEMM is too small to split).

import { GEMM_KC } from './gemm';
import { TILE_MR, TILE_NR, mk_4x8, pack_a_n, pack_b_n, pack_b_t } from './tile';
import { sigmoid_v, tanh_v } from './vmath';

/** Byte offset of row (b, t) of a [B, T, W] buffer. */
// @ts-ignore: decorator
@inline function at(b: i32, t: i32, T: i32, W: i32): usize {
  return ((<usize>b * <usize>T + <usize>t) * <usize>W) << 2;
}

/** True when step t of row b is kept (always without a mask). */
// @ts-ignore: decorator
@inline function kept(mask: usize, b: i32, t: i32, T: i32): bool {
  return mask == 0 || load<i32>(mask + ((<usize>b * <usize>T + <usize>t) << 2)) != 0;
}

/** Four floats at p (full), or the one at p in lane 0 (the tail). */
// @ts-ignore: decorator
@inline function ld(p: usize, full: bool): v128 {
  return full ? v128.load(p) : f32x4.splat(load<f32>(p));
}

/** Store four lanes at p (full), or lane 0 (the tail). */
// @ts-ignore: decorator
@inline function st(p: usize, v: v128, full: bool): void {
  if (full) v128.store(p, v);
  else store<f32>(p, f32x4.extract_lane(v, 0));
}

/** dst[0..n) = src[0..n) (the same bits). */
// @ts-ignore: decorator
@inline function copy_row(src: usize, dst: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
}

/** dst[0..n) += src[0..n). */
// @ts-ignore: decorator
@inline function add_row(src: usize, dst: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/** p[0..n) = 0. */
// @ts-ignore: decorator
@inline function zero_row(p: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(p + (<usize>j << 2), f32x4.splat(0));
  for (; j < n; j++) store<f32>(p + (<usize>j << 2), 0);
}

/** The state before step `s` of the loop (step index t = the s-th in loop order): h0 + b H, or out[b, prev]. */
// @ts-ignore: decorator
@inline function prev_row(first: bool, s0: usize, seq: usize, b: i32, p: i32, T: i32, H: i32): usize {
  return first ? s0 + ((<usize>b * <usize>H) << 2) : seq + at(b, p, T, H);
}

// ---------------------------------------------------------------- the step GEMM
//
// Every step multiplies by the same W_hh, so each kernel packs it once per call
// (tile.ts's NR-wide panels, per KC block of K, as gemm_f32 packs B) and the step
// runs gemm_f32's loops over the packed panels: per KC block, pack the step's A rows
// (B x kc) and run the 4 x 8 micro-kernel over every tile. The k order, KC blocking
// and tile arithmetic are gemm_f32's, so the values are those of gemm_f32 with
// alpha = 1 (beta = 1 when accumulating). Measured at B = 32, T = 128, H = 256
// (LSTM, one thread, a loaded 2-core machine, 4 interleaved runs): a gemm_f32 call
// per step, which packs W_hh every time, made the time loops 1.2-1.9x slower.

/** n rounded up to whole NR-wide panels. */
// @ts-ignore: decorator
@inline function panels(n: i32): i32 {
  return (n + TILE_NR - 1) / TILE_NR * TILE_NR;
}

/** Floats of a packed op(B) of K x N. */
// @ts-ignore: decorator
@inline function packed_floats(K: i32, N: i32): i32 {
  return panels(N) * K;
}

/**
 * Bytes of `work` the recurrent kernels need for B rows, H units and G gates
 * (16-byte aligned): the packed W_hh of the forward or the backward, whichever is
 * larger, one packed KC block of a step's A rows and one MR x NR tile.
 */
export function rnn_seq_workspace_bytes(B: i32, H: i32, G: i32): i32 {
  const ap = (B + TILE_MR - 1) / TILE_MR * TILE_MR * GEMM_KC;
  return (packed_max(H, G) + ap + TILE_MR * TILE_NR) * 4;
}

/** Floats of the packed W_hh region of `work`: the forward's (GRU: its r, z and n parts) or the backward's. */
// @ts-ignore: decorator
@inline function packed_max(H: i32, G: i32): i32 {
  const fwd = G == 3 ? packed_floats(H, 2 * H) + packed_floats(H, H) : packed_floats(H, G * H);
  return max(fwd, packed_floats(G * H, H));
}

/** The packed A block of `work` (after the packed W_hh). */
// @ts-ignore: decorator
@inline function work_ap(work: usize, H: i32, G: i32): usize {
  return work + (<usize>packed_max(H, G) << 2);
}

/** The MR x NR tile of `work` (after the packed A block). */
// @ts-ignore: decorator
@inline function work_tile(work: usize, B: i32, H: i32, G: i32): usize {
  return work_ap(work, H, G) + (<usize>((B + TILE_MR - 1) / TILE_MR * TILE_MR * GEMM_KC) << 2);
}

/**
 * Pack op(B) (K x N) whole into bp: KC block pc (rows pc .. pc + kc) at
 * bp + pc * panels(N) floats, laid out as gemm_f32 packs it. trans: b is stored
 * (N, K) with row stride ldb (W_hh for h W_hh^T), else (K, N) (W_hh for dG W_hh).
 */
function pack_whole(b: usize, bp: usize, K: i32, N: i32, ldb: i32, trans: bool): void {
  for (let pc = 0; pc < K; pc += GEMM_KC) {
    const kc = min(GEMM_KC, K - pc);
    const dst = bp + (<usize>pc * <usize>panels(N) << 2);
    if (trans) pack_b_t(b, dst, pc, 0, kc, N, ldb);
    else pack_b_n(b, dst, pc, 0, kc, N, ldb);
  }
}

/**
 * C (M x N, row stride ldc) = A (M x K, row stride lda) op(B) (+ C when acc)
 * (+ bias (N) on the last KC block), op(B) packed by pack_whole into bp.
 *   ap    ceil(M / MR) MR x KC floats of scratch;  tile  MR x NR floats of scratch
 * C must not overlap A, bp or the scratch.
 */
function step_gemm(a: usize, lda: i32, bp: usize, bias: usize, c: usize, ldc: i32, ap: usize, tile: usize,
                   M: i32, N: i32, K: i32, acc: bool): void {
  const ldcb = <usize>ldc << 2;
  for (let pc = 0; pc < K; pc += GEMM_KC) {
    const kc = min(GEMM_KC, K - pc);
    const readC = acc || pc > 0;
    const last = pc + kc >= K;
    const bblock = bp + (<usize>pc * <usize>panels(N) << 2);
    pack_a_n(a, ap, 0, pc, M, kc, lda);
    for (let jr = 0; jr < N; jr += TILE_NR) {
      const nr = min(TILE_NR, N - jr);
      const bpanel = bblock + (<usize>jr * <usize>kc << 2);
      const bj = last && bias != 0 ? bias + (<usize>jr << 2) : 0;
      for (let ir = 0; ir < M; ir += TILE_MR) {
        const mr = min(TILE_MR, M - ir);
        const apanel = ap + (<usize>ir * <usize>kc << 2);
        const cp = c + <usize>ir * ldcb + (<usize>jr << 2);
        if (mr == TILE_MR && nr == TILE_NR) {
          mk_4x8(apanel, 16, bpanel, 32, kc, cp, ldcb, readC, false, 1, 1, bj, false);
          continue;
        }
        // A partial tile goes through `tile`, its bias added per element (no vector
        // load past the end of bias), in the same order of operations.
        for (let i = 0; i < TILE_MR; i++) {
          for (let j = 0; j < TILE_NR; j++) {
            const v: f32 = readC && i < mr && j < nr ? load<f32>(cp + <usize>i * ldcb + (<usize>j << 2)) : 0;
            store<f32>(tile + (<usize>(i * TILE_NR + j) << 2), v);
          }
        }
        mk_4x8(apanel, 16, bpanel, 32, kc, tile, TILE_NR * 4, readC, false, 1, 1, 0, false);
        for (let i = 0; i < mr; i++) {
          for (let j = 0; j < nr; j++) {
            let v = load<f32>(tile + (<usize>(i * TILE_NR + j) << 2));
            if (bj != 0) v += load<f32>(bj + (<usize>j << 2));
            store<f32>(cp + <usize>i * ldcb + (<usize>j << 2), v);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------- LSTM

/**
 * One LSTM unit group (4 lanes, or lane 0 of the tail) at byte offset o:
 * i, f, o = sigmoid, g = tanh of the pre-activations in g (written back
 * activated), c = f cp + i g, h = o tanh(c).
 */
// @ts-ignore: decorator
@inline function lstm_unit(g: usize, hb: usize, cp: usize, c: usize, h: usize, o: usize, full: bool): void {
  const gi = sigmoid_v(ld(g + o, full));
  const gf = sigmoid_v(ld(g + hb + o, full));
  const gg = tanh_v(ld(g + 2 * hb + o, full));
  const go = sigmoid_v(ld(g + 3 * hb + o, full));
  st(g + o, gi, full);
  st(g + hb + o, gf, full);
  st(g + 2 * hb + o, gg, full);
  st(g + 3 * hb + o, go, full);
  const cn = f32x4.add(f32x4.mul(gf, ld(cp + o, full)), f32x4.mul(gi, gg));
  st(c + o, cn, full);
  st(h + o, f32x4.mul(go, tanh_v(cn)), full);
}

/**
 * LSTM over the sequence, forward.
 *   whh    (4H, H) f32 weight_hh (gates i, f, g, o), read
 *   h0, c0 (B, H) f32 initial states, read
 *   mask   (B, T) i32 0/1, read, or 0 (every step kept)
 *   gates  (B, T, 4H) f32, read and written: holds x W_ih^T + b_ih + b_hh on
 *          entry; a kept step's row becomes the activated gates (i, f, g, o),
 *          a masked step's row is left with its pre-activations plus h W_hh^T
 *   cells  (B, T, H) f32, written: c after each step (the carried c at masked steps)
 *   out    (B, T, H) f32, written: h after each step (the carried h at masked steps)
 *   hLast, cLast (B, H) f32, written: the final states (h0, c0 when T == 0)
 *   work   rnn_seq_workspace_bytes(B, H, G) of scratch, 16-byte aligned
 * No buffer may overlap another. Any B, T >= 0, H >= 1.
 */
export function lstm_seq_fwd_f32(whh: usize, h0: usize, c0: usize, mask: usize,
                                 gates: usize, cells: usize, out: usize, hLast: usize, cLast: usize, work: usize,
                                 B: i32, T: i32, H: i32, reverse: i32): void {
  const G = 4 * H;
  const hb = <usize>H << 2;
  const ap = work_ap(work, H, 4);
  const tile = work_tile(work, B, H, 4);
  pack_whole(whh, work, H, G, H, true);
  for (let s = 0; s < T; s++) {
    const t = reverse != 0 ? T - 1 - s : s;
    const p = reverse != 0 ? t + 1 : t - 1;
    const first = s == 0;
    // gates[:, t] += h_prev W_hh^T, h_prev read in place from out (row stride T H) or h0.
    step_gemm(first ? h0 : out + at(0, p, T, H), first ? H : T * H, work, 0, gates + at(0, t, T, G), T * G,
      ap, tile, B, G, H, true);
    for (let b = 0; b < B; b++) {
      const hp = prev_row(first, h0, out, b, p, T, H);
      const cp = prev_row(first, c0, cells, b, p, T, H);
      const c = cells + at(b, t, T, H);
      const h = out + at(b, t, T, H);
      if (!kept(mask, b, t, T)) {
        copy_row(cp, c, H);
        copy_row(hp, h, H);
        continue;
      }
      const g = gates + at(b, t, T, G);
      let j = 0;
      for (; j + 4 <= H; j += 4) lstm_unit(g, hb, cp, c, h, <usize>j << 2, true);
      for (; j < H; j++) lstm_unit(g, hb, cp, c, h, <usize>j << 2, false);
    }
  }
  const last = reverse != 0 ? 0 : T - 1;
  for (let b = 0; b < B; b++) {
    copy_row(T > 0 ? out + at(b, last, T, H) : h0 + <usize>b * hb, hLast + <usize>b * hb, H);
    copy_row(T > 0 ? cells + at(b, last, T, H) : c0 + <usize>b * hb, cLast + <usize>b * hb, H);
  }
}

/**
 * One LSTM unit group of the backward at byte offset o: from dh (+ dout) and dc,
 * the pre-activation gradients into dg; dc becomes the gradient of c_prev, dh 0
 * (the GEMM adds dgates W_hh to it afterwards).
 */
// @ts-ignore: decorator
@inline function lstm_unit_bwd(g: usize, hb: usize, c: usize, cp: usize, dout: usize, dh: usize, dc: usize,
                               dg: usize, o: usize, full: bool): void {
  let dhv = ld(dh + o, full);
  if (dout != 0) dhv = f32x4.add(dhv, ld(dout + o, full));
  const one = f32x4.splat(1);
  const gi = ld(g + o, full);
  const gf = ld(g + hb + o, full);
  const gg = ld(g + 2 * hb + o, full);
  const go = ld(g + 3 * hb + o, full);
  const tc = tanh_v(ld(c + o, full));
  const dct = f32x4.add(ld(dc + o, full), f32x4.mul(f32x4.mul(dhv, go), f32x4.sub(one, f32x4.mul(tc, tc))));
  st(dc + o, f32x4.mul(dct, gf), full);
  st(dh + o, f32x4.splat(0), full);
  st(dg + o, f32x4.mul(f32x4.mul(dct, gg), f32x4.mul(gi, f32x4.sub(one, gi))), full);
  st(dg + hb + o, f32x4.mul(f32x4.mul(dct, ld(cp + o, full)), f32x4.mul(gf, f32x4.sub(one, gf))), full);
  st(dg + 2 * hb + o, f32x4.mul(f32x4.mul(dct, gi), f32x4.sub(one, f32x4.mul(gg, gg))), full);
  st(dg + 3 * hb + o, f32x4.mul(f32x4.mul(dhv, tc), f32x4.mul(go, f32x4.sub(one, go))), full);
}

/**
 * LSTM backward through time.
 *   gates, cells   from lstm_seq_fwd_f32, read;  c0 (B, H) as given to it, read
 *   whh            (4H, H) f32, read
 *   dout   (B, T, H) f32 gradient of out, read, or 0 (none)
 *   dhLast, dcLast (B, H) f32 gradients of the final states, read, or 0
 *   mask   as in the forward, read
 *   dgates (B, T, 4H) f32, written: d loss / d pre-activation gates (i, f, g, o), 0 at masked steps
 *   dh0, dc0 (B, H) f32, read and written: ACCUMULATE the gradients of h0, c0; or 0 (not wanted)
 *   carry  (2, B, H) f32 scratch (dh, dc carried between steps)
 *   work   rnn_seq_workspace_bytes(B, H, G) of scratch, 16-byte aligned
 * No buffer may overlap another, except that dh0 may be dc0 (added one after the other).
 */
export function lstm_seq_bwd_f32(gates: usize, cells: usize, c0: usize, whh: usize,
                                 dout: usize, dhLast: usize, dcLast: usize, mask: usize,
                                 dgates: usize, dh0: usize, dc0: usize, carry: usize, work: usize,
                                 B: i32, T: i32, H: i32, reverse: i32): void {
  const G = 4 * H;
  const hb = <usize>H << 2;
  const BH = B * H;
  const dh = carry;
  const dc = carry + (<usize>BH << 2);
  const ap = work_ap(work, H, 4);
  const tile = work_tile(work, B, H, 4);
  pack_whole(whh, work, G, H, H, false);
  if (dhLast != 0) copy_row(dhLast, dh, BH);
  else zero_row(dh, BH);
  if (dcLast != 0) copy_row(dcLast, dc, BH);
  else zero_row(dc, BH);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse != 0 ? T - 1 - s : s;
    const p = reverse != 0 ? t + 1 : t - 1;
    const first = s == 0;
    for (let b = 0; b < B; b++) {
      const dhb = dh + <usize>b * hb;
      const dg = dgates + at(b, t, T, G);
      const dob = dout != 0 ? dout + at(b, t, T, H) : 0;
      if (!kept(mask, b, t, T)) {
        if (dob != 0) add_row(dob, dhb, H);
        zero_row(dg, G);
        continue;
      }
      const g = gates + at(b, t, T, G);
      const c = cells + at(b, t, T, H);
      const cp = prev_row(first, c0, cells, b, p, T, H);
      const dcb = dc + <usize>b * hb;
      let j = 0;
      for (; j + 4 <= H; j += 4) lstm_unit_bwd(g, hb, c, cp, dob, dhb, dcb, dg, <usize>j << 2, true);
      for (; j < H; j++) lstm_unit_bwd(g, hb, c, cp, dob, dhb, dcb, dg, <usize>j << 2, false);
    }
    // dh (the gradient of h_prev) += dgates[:, t] W_hh.
    step_gemm(dgates + at(0, t, T, G), T * G, work, 0, dh, H, ap, tile, B, H, G, true);
  }
  if (dh0 != 0) add_row(dh, dh0, BH);
  if (dc0 != 0) add_row(dc, dc0, BH);
}

// ---------------------------------------------------------------- GRU

/**
 * One GRU unit group at byte offset o: r, z = sigmoid, n = tanh(g_n + r hn)
 * (written back activated), h = (1 - z) n + z hp.
 */
// @ts-ignore: decorator
@inline function gru_unit(g: usize, hb: usize, hn: usize, hp: usize, h: usize, o: usize, full: bool): void {
  const r = sigmoid_v(ld(g + o, full));
  const z = sigmoid_v(ld(g + hb + o, full));
  const n = tanh_v(f32x4.add(ld(g + 2 * hb + o, full), f32x4.mul(r, ld(hn + o, full))));
  st(g + o, r, full);
  st(g + hb + o, z, full);
  st(g + 2 * hb + o, n, full);
  const hv = f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), z), n), f32x4.mul(z, ld(hp + o, full)));
  st(h + o, hv, full);
}

/**
 * GRU over the sequence, forward.
 *   whh    (3H, H) f32 weight_hh (gates r, z, n), read
 *   bhh    (3H) f32 bias_hh, read (only its n part, b_hn, here), or 0 (none)
 *   h0     (B, H) f32, read;  mask as in lstm_seq_fwd_f32
 *   gates  (B, T, 3H) f32, read and written: holds x W_ih^T + b_ih (+ b_hr, b_hz
 *          in the r, z parts) on entry; a kept step's row becomes (r, z, n)
 *   hn     (B, T, H) f32, written: h_prev W_hn^T + b_hn of each step (the part r multiplies)
 *   out    (B, T, H) f32, written;  hLast (B, H) f32, written (h0 when T == 0)
 *   work   rnn_seq_workspace_bytes(B, H, G) of scratch, 16-byte aligned
 * No buffer may overlap another. Any B, T >= 0, H >= 1.
 */
export function gru_seq_fwd_f32(whh: usize, bhh: usize, h0: usize, mask: usize,
                                gates: usize, hn: usize, out: usize, hLast: usize, work: usize,
                                B: i32, T: i32, H: i32, reverse: i32): void {
  const G = 3 * H;
  const hb = <usize>H << 2;
  const bhn = bhh != 0 ? bhh + 2 * hb : 0;
  const wn = work + (<usize>packed_floats(H, 2 * H) << 2);
  const ap = work_ap(work, H, 3);
  const tile = work_tile(work, B, H, 3);
  pack_whole(whh, work, H, 2 * H, H, true);
  pack_whole(whh + 2 * hb * <usize>H, wn, H, H, H, true);
  for (let s = 0; s < T; s++) {
    const t = reverse != 0 ? T - 1 - s : s;
    const p = reverse != 0 ? t + 1 : t - 1;
    const first = s == 0;
    const a = first ? h0 : out + at(0, p, T, H);
    const lda = first ? H : T * H;
    // gates[:, t, 0:2H] += h_prev W_hr,hz^T;  hn[:, t] = h_prev W_hn^T + b_hn.
    step_gemm(a, lda, work, 0, gates + at(0, t, T, G), T * G, ap, tile, B, 2 * H, H, true);
    step_gemm(a, lda, wn, bhn, hn + at(0, t, T, H), T * H, ap, tile, B, H, H, false);
    for (let b = 0; b < B; b++) {
      const hp = prev_row(first, h0, out, b, p, T, H);
      const h = out + at(b, t, T, H);
      if (!kept(mask, b, t, T)) {
        copy_row(hp, h, H);
        continue;
      }
      const g = gates + at(b, t, T, G);
      const n = hn + at(b, t, T, H);
      let j = 0;
      for (; j + 4 <= H; j += 4) gru_unit(g, hb, n, hp, h, <usize>j << 2, true);
      for (; j < H; j++) gru_unit(g, hb, n, hp, h, <usize>j << 2, false);
    }
  }
  const last = reverse != 0 ? 0 : T - 1;
  for (let b = 0; b < B; b++) {
    copy_row(T > 0 ? out + at(b, last, T, H) : h0 + <usize>b * hb, hLast + <usize>b * hb, H);
  }
}

/** One GRU unit group of the backward at byte offset o (dgh's n part is d(hn) = d(n_pre) r). */
// @ts-ignore: decorator
@inline function gru_unit_bwd(g: usize, hb: usize, hn: usize, hp: usize, dout: usize, dh: usize,
                              dg: usize, dgh: usize, o: usize, full: bool): void {
  let dhv = ld(dh + o, full);
  if (dout != 0) dhv = f32x4.add(dhv, ld(dout + o, full));
  const one = f32x4.splat(1);
  const r = ld(g + o, full);
  const z = ld(g + hb + o, full);
  const n = ld(g + 2 * hb + o, full);
  const dan = f32x4.mul(f32x4.mul(dhv, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
  const dar = f32x4.mul(f32x4.mul(dan, ld(hn + o, full)), f32x4.mul(r, f32x4.sub(one, r)));
  const daz = f32x4.mul(f32x4.mul(dhv, f32x4.sub(ld(hp + o, full), n)), f32x4.mul(z, f32x4.sub(one, z)));
  st(dg + o, dar, full);
  st(dg + hb + o, daz, full);
  st(dg + 2 * hb + o, dan, full);
  st(dgh + o, dar, full);
  st(dgh + hb + o, daz, full);
  st(dgh + 2 * hb + o, f32x4.mul(dan, r), full);
  st(dh + o, f32x4.mul(dhv, z), full);
}

/**
 * GRU backward through time.
 *   gates, hn  from gru_seq_fwd_f32, read;  h0 (B, H), read;  out (B, T, H) from the forward, read
 *   whh        (3H, H) f32, read
 *   dout (B, T, H) or 0;  dhLast (B, H) or 0;  mask as in the forward, read
 *   dgates  (B, T, 3H) f32, written: d loss / d (x W_ih^T + b_ih) per gate (r, z, n)
 *   dgatesh (B, T, 3H) f32, written: d loss / d (h W_hh^T + b_hh) per gate (its
 *           n part is dgates' times r); both 0 at masked steps
 *   dh0     (B, H) f32, read and written: ACCUMULATES; or 0
 *   carry   (B, H) f32 scratch;  work rnn_seq_workspace_bytes(B, H, G), 16-byte aligned
 * No buffer may overlap another.
 */
export function gru_seq_bwd_f32(gates: usize, hn: usize, h0: usize, out: usize, whh: usize,
                                dout: usize, dhLast: usize, mask: usize,
                                dgates: usize, dgatesh: usize, dh0: usize, carry: usize, work: usize,
                                B: i32, T: i32, H: i32, reverse: i32): void {
  const G = 3 * H;
  const hb = <usize>H << 2;
  const BH = B * H;
  const dh = carry;
  const ap = work_ap(work, H, 3);
  const tile = work_tile(work, B, H, 3);
  pack_whole(whh, work, G, H, H, false);
  if (dhLast != 0) copy_row(dhLast, dh, BH);
  else zero_row(dh, BH);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse != 0 ? T - 1 - s : s;
    const p = reverse != 0 ? t + 1 : t - 1;
    const first = s == 0;
    for (let b = 0; b < B; b++) {
      const dhb = dh + <usize>b * hb;
      const dg = dgates + at(b, t, T, G);
      const dgh = dgatesh + at(b, t, T, G);
      const dob = dout != 0 ? dout + at(b, t, T, H) : 0;
      if (!kept(mask, b, t, T)) {
        if (dob != 0) add_row(dob, dhb, H);
        zero_row(dg, G);
        zero_row(dgh, G);
        continue;
      }
      const g = gates + at(b, t, T, G);
      const n = hn + at(b, t, T, H);
      const hp = prev_row(first, h0, out, b, p, T, H);
      let j = 0;
      for (; j + 4 <= H; j += 4) gru_unit_bwd(g, hb, n, hp, dob, dhb, dg, dgh, <usize>j << 2, true);
      for (; j < H; j++) gru_unit_bwd(g, hb, n, hp, dob, dhb, dg, dgh, <usize>j << 2, false);
    }
    step_gemm(dgatesh + at(0, t, T, G), T * G, work, 0, dh, H, ap, tile, B, H, G, true);
  }
  if (dh0 != 0) add_row(dh, dh0, BH);
}

// ---------------------------------------------------------------- Elman RNN

/** h = tanh(h) or max(h, 0) in place at byte offset o. */
// @ts-ignore: decorator
@inline function rnn_unit(h: usize, o: usize, relu: bool, full: bool): void {
  const x = ld(h + o, full);
  st(h + o, relu ? f32x4.max(x, f32x4.splat(0)) : tanh_v(x), full);
}

/**
 * Elman RNN over the sequence, forward: h = act(x W_ih^T + b_ih + h_prev W_hh^T + b_hh).
 *   whh   (H, H) f32, read;  h0 (B, H), read;  mask as in lstm_seq_fwd_f32
 *   out   (B, T, H) f32, read and written: holds x W_ih^T + b_ih + b_hh on entry, h after
 *         each step on return (the carried h at masked steps); it is all the backward needs
 *   hLast (B, H) f32, written (h0 when T == 0)
 *   work  rnn_seq_workspace_bytes(B, H, G) of scratch, 16-byte aligned
 *   relu  0: tanh, else ReLU
 * No buffer may overlap another. Any B, T >= 0, H >= 1.
 */
export function rnn_seq_fwd_f32(whh: usize, h0: usize, mask: usize, out: usize, hLast: usize, work: usize,
                                B: i32, T: i32, H: i32, relu: i32, reverse: i32): void {
  const hb = <usize>H << 2;
  const ap = work_ap(work, H, 1);
  const tile = work_tile(work, B, H, 1);
  pack_whole(whh, work, H, H, H, true);
  for (let s = 0; s < T; s++) {
    const t = reverse != 0 ? T - 1 - s : s;
    const p = reverse != 0 ? t + 1 : t - 1;
    const first = s == 0;
    step_gemm(first ? h0 : out + at(0, p, T, H), first ? H : T * H, work, 0, out + at(0, t, T, H), T * H,
      ap, tile, B, H, H, true);
    for (let b = 0; b < B; b++) {
      const h = out + at(b, t, T, H);
      if (!kept(mask, b, t, T)) {
        copy_row(prev_row(first, h0, out, b, p, T, H), h, H);
        continue;
      }
      let j = 0;
      if (relu != 0) {
        for (; j + 4 <= H; j += 4) rnn_unit(h, <usize>j << 2, true, true);
        for (; j < H; j++) rnn_unit(h, <usize>j << 2, true, false);
      } else {
        for (; j + 4 <= H; j += 4) rnn_unit(h, <usize>j << 2, false, true);
        for (; j < H; j++) rnn_unit(h, <usize>j << 2, false, false);
      }
    }
  }
  const last = reverse != 0 ? 0 : T - 1;
  for (let b = 0; b < B; b++) {
    copy_row(T > 0 ? out + at(b, last, T, H) : h0 + <usize>b * hb, hLast + <usize>b * hb, H);
  }
}

/** One RNN unit group of the backward: dpre = (dh + dout) act'(h); dh = 0. */
// @ts-ignore: decorator
@inline function rnn_unit_bwd(h: usize, dout: usize, dh: usize, dp: usize, o: usize, relu: bool, full: bool): void {
  let dhv = ld(dh + o, full);
  if (dout != 0) dhv = f32x4.add(dhv, ld(dout + o, full));
  const hv = ld(h + o, full);
  // ReLU: the derivative is 1 where h > 0 (so 0 at a pre-activation <= 0).
  const d = relu
    ? v128.and(dhv, f32x4.gt(hv, f32x4.splat(0)))
    : f32x4.mul(dhv, f32x4.sub(f32x4.splat(1), f32x4.mul(hv, hv)));
  st(dp + o, d, full);
  st(dh + o, f32x4.splat(0), full);
}

/**
 * Elman RNN backward through time.
 *   out   (B, T, H) from rnn_seq_fwd_f32, read;  whh (H, H), read
 *   dout (B, T, H) or 0;  dhLast (B, H) or 0;  mask as in the forward, read
 *   dpre  (B, T, H) f32, written: d loss / d pre-activation, 0 at masked steps
 *   dh0   (B, H) f32, read and written: ACCUMULATES; or 0
 *   carry (B, H) f32 scratch;  work rnn_seq_workspace_bytes(B, H, G), 16-byte aligned
 *   relu  as in the forward
 * No buffer may overlap another.
 */
export function rnn_seq_bwd_f32(out: usize, whh: usize, dout: usize, dhLast: usize, mask: usize,
                                dpre: usize, dh0: usize, carry: usize, work: usize,
                                B: i32, T: i32, H: i32, relu: i32, reverse: i32): void {
  const hb = <usize>H << 2;
  const BH = B * H;
  const dh = carry;
  const ap = work_ap(work, H, 1);
  const tile = work_tile(work, B, H, 1);
  pack_whole(whh, work, H, H, H, false);
  if (dhLast != 0) copy_row(dhLast, dh, BH);
  else zero_row(dh, BH);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse != 0 ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const dhb = dh + <usize>b * hb;
      const dp = dpre + at(b, t, T, H);
      const dob = dout != 0 ? dout + at(b, t, T, H) : 0;
      if (!kept(mask, b, t, T)) {
        if (dob != 0) add_row(dob, dhb, H);
        zero_row(dp, H);
        continue;
      }
      const h = out + at(b, t, T, H);
      let j = 0;
      if (relu != 0) {
        for (; j + 4 <= H; j += 4) rnn_unit_bwd(h, dob, dhb, dp, <usize>j << 2, true, true);
        for (; j < H; j++) rnn_unit_bwd(h, dob, dhb, dp, <usize>j << 2, true, false);
      } else {
        for (; j + 4 <= H; j += 4) rnn_unit_bwd(h, dob, dhb, dp, <usize>j << 2, false, true);
        for (; j < H; j++) rnn_unit_bwd(h, dob, dhb, dp, <usize>j << 2, false, false);
      }
    }
    step_gemm(dpre + at(0, t, T, H), T * H, work, 0, dh, H, ap, tile, B, H, H, true);
  }
  if (dh0 != 0) add_row(dh, dh0, BH);
}
