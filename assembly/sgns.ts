// word2vec / fastText unsupervised training: skip-gram and CBOW with negative
// sampling or hierarchical softmax, the whole loop over a chunk of word ids in
// Wasm (no host call per word pair).
//
// Per sentence (the ids between two EOS ids, or at most SGNS_MAX_SENTENCE raw
// tokens, or the chunk's ends; with flag SGNS_EOS_WORD the EOS that ends a
// sentence belongs to it as its last word, as in fastText: subsampled, trained,
// counted in `processed`, a possible negative):
//   1. lr = lr0 * max(1e-4, 1 - processed / total) (processed = raw tokens before it);
//   2. subsampling: token w is kept iff u < keep[w], u = (r >>> 8) * 2^-24 (one
//      RNG word per token; no word drawn when keep == 0, i.e. sample = 0);
//   3. for each kept position i: b = mulhi(r, window), effective window
//      window - b over the kept tokens of this sentence only;
//   4. skip-gram: for each context c the input is the centre word (its row, or
//      the mean of its subword rows) and the output the context word; CBOW: the
//      input is the mean of every context word's rows, the output the centre.
//   5. outputs: NS = the true word (label 1) and `negative` draws from the alias
//      table (label 0; a draw equal to the true word is skipped, as word2vec
//      does, or drawn again with flag SGNS_REDRAW, as fastText does: at most
//      SGNS_MAX_REDRAWS times, then skipped); HS = the Huffman path of the word (label 1 - code, as word2vec).
//      All dots are taken first (the input vector does not change within a
//      pair), then g_k = lr (label_k - sigmoid(f_k)), neu1e += g_k wout_k,
//      wout_k += g_k h; then neu1e is added to EVERY input row (word2vec and
//      fastText's unsupervised rule: the full gradient, not divided by the
//      number of rows).
// Loss: sum over outputs of softplus(-(2 label - 1) f) = -log sigmoid(+-f), per
// pair; the state accumulates the sum (f64) and the number of pairs.
//
// RNG: the Philox4x32-10 word stream of rng.ts (word i = lane i % 4 of block
// i / 4 for (key, stream)); the kernel consumes words strictly in order, in the
// order listed above (subsampling words, then per centre its window word and,
// NS only, its negative draws in pair order), buffering 64 blocks at a time.
// The state keeps the index of the next word, so chunks continue the stream.

import { philox_x4_store } from './rng';
import { axpy_inline as axpy, dot_f32 as dot, exp_v, hsum } from './vmath';

/** Longest sentence in raw tokens; longer runs are cut into pieces (word2vec's MAX_SENTENCE_LENGTH). */
// @ts-ignore: decorator
@inline export const SGNS_MAX_SENTENCE: i32 = 1000;
/** Flag: the EOS id is a word, the last of its sentence (fastText); else it only separates sentences (word2vec). */
// @ts-ignore: decorator
@inline export const SGNS_EOS_WORD: i32 = 1;
/** Flag: a negative equal to the true word is drawn again (fastText); else it is skipped (word2vec). */
// @ts-ignore: decorator
@inline export const SGNS_REDRAW: i32 = 2;
/** Redraws of one negative before giving up on it (only a noise distribution with almost all its mass on one word gets there). */
// @ts-ignore: decorator
@inline const SGNS_MAX_REDRAWS: i32 = 64;
/** RNG words buffered per refill (64 Philox blocks). */
// @ts-ignore: decorator
@inline const RNG_WORDS: i32 = 256;
/** RNG header bytes in scratch: pos i32, key0, key1, stream u32, next block counter u64, pad. */
// @ts-ignore: decorator
@inline const RNG_HEAD: i32 = 32;

// State layout (bytes): f64 lr0 @0, total @8, processed @16, lossSum @24,
// lossCount @32, lr (written) @40, next RNG word index @48 (an integer < 2^53);
// u32 key0 @56, key1 @60, stream @64.

/** Rounds n up to a multiple of 4 (floats per v128). */
// @ts-ignore: decorator
@inline function pad4(n: i32): i32 { return (n + 3) & ~3; }

/**
 * Scratch bytes sgns_train needs: sentence buffer, RNG buffer, h and neu1e
 * (dim each), targets/labels/g (maxTargets each) and the CBOW row list.
 * maxTargets = max(1 + negative, longest Huffman code); maxRows = most input
 * rows of one word (1 without subwords).
 */
export function sgns_scratch_bytes(dim: i32, window: i32, maxTargets: i32, maxRows: i32): i32 {
  return (SGNS_MAX_SENTENCE << 2) + RNG_HEAD + (RNG_WORDS << 2) + (pad4(dim) << 3)
    + 3 * (pad4(maxTargets) << 2) + (pad4(2 * window * maxRows + maxRows) << 2);
}

/** Refill the RNG buffer with RNG_WORDS words from the next block counter. */
function rng_refill(rng: usize): void {
  const key0 = load<u32>(rng, 4), key1 = load<u32>(rng, 8), stream = load<u32>(rng, 12);
  let ctr = load<u64>(rng, 16);
  const buf = rng + RNG_HEAD;
  for (let i = 0; i < RNG_WORDS; i += 16) {
    philox_x4_store(buf + (<usize>i << 2), key0, key1, ctr, stream);
    ctr += 4;
  }
  store<u64>(rng, ctr, 16);
  store<i32>(rng, 0);
}

/** The next word of the stream. */
// @ts-ignore: decorator
@inline function rng_next(rng: usize): u32 {
  let pos = load<i32>(rng);
  if (pos == RNG_WORDS) { rng_refill(rng); pos = 0; }
  store<i32>(rng, pos + 1);
  return load<u32>(rng + RNG_HEAD + (<usize>pos << 2));
}

/** A draw from the alias table: index = mulhi(r, V), accept it iff the low word of r V < prob[index]. */
// @ts-ignore: decorator
@inline function alias_draw(r: u32, prob: usize, alias: usize, V: i32): i32 {
  const p = <u64>r * <u64>V;
  const idx = <usize>(p >> 32);
  return <u32>p < load<u32>(prob + (idx << 2)) ? <i32>idx : load<i32>(alias + (idx << 2));
}

/**
 * Four dots h . b_j at once, each bit for bit dot(h, b_j): four independent
 * accumulators hide the add latency, the four rows stream in together (their
 * cache misses overlap) and h is loaded once. Writes out[0..3].
 */
// @ts-ignore: decorator
@inline function dots4(h: usize, b0: usize, b1: usize, b2: usize, b3: usize, dim: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= dim; c += 4) {
    const o = <usize>c << 2;
    const hv = v128.load(h + o);
    a0 = f32x4.add(a0, f32x4.mul(hv, v128.load(b0 + o)));
    a1 = f32x4.add(a1, f32x4.mul(hv, v128.load(b1 + o)));
    a2 = f32x4.add(a2, f32x4.mul(hv, v128.load(b2 + o)));
    a3 = f32x4.add(a3, f32x4.mul(hv, v128.load(b3 + o)));
  }
  let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
  for (; c < dim; c++) {
    const o = <usize>c << 2;
    const x = load<f32>(h + o);
    s0 += x * load<f32>(b0 + o);
    s1 += x * load<f32>(b1 + o);
    s2 += x * load<f32>(b2 + o);
    s3 += x * load<f32>(b3 + o);
  }
  store<f32>(out, s0);
  store<f32>(out, s1, 4);
  store<f32>(out, s2, 8);
  store<f32>(out, s3, 12);
}

/** Fused: e[c] += g w[c]; w[c] += g h[c] (w read once). */
// @ts-ignore: decorator
@inline function axpy2(h: usize, w: usize, e: usize, dim: i32, g: f32): void {
  const gv = f32x4.splat(g);
  let c = 0;
  for (; c + 4 <= dim; c += 4) {
    const o = <usize>c << 2;
    const wv = v128.load(w + o);
    v128.store(e + o, f32x4.add(v128.load(e + o), f32x4.mul(gv, wv)));
    v128.store(w + o, f32x4.add(wv, f32x4.mul(gv, v128.load(h + o))));
  }
  for (; c < dim; c++) {
    const o = <usize>c << 2;
    const wv = load<f32>(w + o);
    store<f32>(e + o, load<f32>(e + o) + g * wv);
    store<f32>(w + o, wv + g * load<f32>(h + o));
  }
}

/**
 * Four axpy2 in one pass, bit for bit the four calls in order when the rows are
 * distinct (callers check): e[c] = (((e + g0 w0) + g1 w1) + g2 w2) + g3 w3 with
 * the rows before their update, then w_j += g_j h. e and h are loaded once.
 */
// @ts-ignore: decorator
@inline function axpy2x4(h: usize, w0: usize, w1: usize, w2: usize, w3: usize, e: usize, dim: i32, g: usize): void {
  const g0 = load<f32>(g), g1 = load<f32>(g, 4), g2 = load<f32>(g, 8), g3 = load<f32>(g, 12);
  const v0 = f32x4.splat(g0), v1 = f32x4.splat(g1), v2 = f32x4.splat(g2), v3 = f32x4.splat(g3);
  let c = 0;
  for (; c + 4 <= dim; c += 4) {
    const o = <usize>c << 2;
    const hv = v128.load(h + o);
    const x0 = v128.load(w0 + o), x1 = v128.load(w1 + o), x2 = v128.load(w2 + o), x3 = v128.load(w3 + o);
    let ev = f32x4.add(v128.load(e + o), f32x4.mul(v0, x0));
    ev = f32x4.add(ev, f32x4.mul(v1, x1));
    ev = f32x4.add(ev, f32x4.mul(v2, x2));
    v128.store(e + o, f32x4.add(ev, f32x4.mul(v3, x3)));
    v128.store(w0 + o, f32x4.add(x0, f32x4.mul(v0, hv)));
    v128.store(w1 + o, f32x4.add(x1, f32x4.mul(v1, hv)));
    v128.store(w2 + o, f32x4.add(x2, f32x4.mul(v2, hv)));
    v128.store(w3 + o, f32x4.add(x3, f32x4.mul(v3, hv)));
  }
  for (; c < dim; c++) {
    const o = <usize>c << 2;
    const hv = load<f32>(h + o);
    const x0 = load<f32>(w0 + o), x1 = load<f32>(w1 + o), x2 = load<f32>(w2 + o), x3 = load<f32>(w3 + o);
    store<f32>(e + o, (((load<f32>(e + o) + g0 * x0) + g1 * x1) + g2 * x2) + g3 * x3);
    store<f32>(w0 + o, x0 + g0 * hv);
    store<f32>(w1 + o, x1 + g1 * hv);
    store<f32>(w2 + o, x2 + g2 * hv);
    store<f32>(w3 + o, x3 + g3 * hv);
  }
}

/**
 * The output side of one pair: K targets (rows of wout) with labels (f32 0/1)
 * against the input vector h. g (pad4(K) floats) is scratch for the dots and
 * then the gradient scales. neu1e (dim) must be zero on entry and receives
 * sum_k g_k wout_k. Returns the pair's loss sum_k softplus(-(2 label_k - 1) f_k).
 */
function outputs_update(h: usize, wout: usize, targets: usize, labels: usize, g: usize, neu1e: usize,
                        K: i32, dim: i32, lr: f32): f64 {
  const rowBytes = <usize>dim << 2;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const t = targets + (<usize>k << 2);
    dots4(h, wout + <usize>load<i32>(t) * rowBytes, wout + <usize>load<i32>(t, 4) * rowBytes,
          wout + <usize>load<i32>(t, 8) * rowBytes, wout + <usize>load<i32>(t, 12) * rowBytes, dim, g + (<usize>k << 2));
  }
  for (; k < K; k++) {
    store<f32>(g + (<usize>k << 2), dot(h, wout + <usize>load<i32>(targets + (<usize>k << 2)) * rowBytes, dim));
  }
  // sigmoid and loss four at a time: e = exp(-|f|); sigmoid(f) = 1/(1+e) (f >= 0)
  // or e/(1+e); softplus(-s f) = max(-s f, 0) + log(1 + e), s = 2 label - 1.
  let loss: f64 = 0;
  const one = f32x4.splat(1), two = f32x4.splat(2);
  for (k = 0; k < K; k += 4) {
    const o = <usize>k << 2;
    const f = v128.load(g + o), y = v128.load(labels + o);
    const e = exp_v(f32x4.neg(f32x4.abs(f)));
    const inv = f32x4.div(one, f32x4.add(one, e));
    const sig = v128.bitselect(inv, f32x4.mul(e, inv), f32x4.ge(f, f32x4.splat(0)));
    v128.store(g + o, f32x4.mul(f32x4.splat(lr), f32x4.sub(y, sig)));
    // log(1 + e) = 2 atanh(s), s = e / (2 + e) in [0, 1/3]: series to s^11 (error < 1e-7).
    const s = f32x4.div(e, f32x4.add(two, e));
    const s2 = f32x4.mul(s, s);
    let p = f32x4.add(f32x4.mul(s2, f32x4.splat(<f32>(1.0 / 11.0))), f32x4.splat(<f32>(1.0 / 9.0)));
    p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 7.0)));
    p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 5.0)));
    p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(<f32>(1.0 / 3.0)));
    p = f32x4.add(f32x4.mul(p, s2), one);
    const l1p = f32x4.mul(f32x4.add(s, s), p);
    const sf = f32x4.mul(f32x4.sub(f32x4.add(y, y), one), f);
    const l = f32x4.add(f32x4.max(f32x4.neg(sf), f32x4.splat(0)), l1p);
    loss += <f64>f32x4.extract_lane(l, 0);
    if (k + 1 < K) loss += <f64>f32x4.extract_lane(l, 1);
    if (k + 2 < K) loss += <f64>f32x4.extract_lane(l, 2);
    if (k + 3 < K) loss += <f64>f32x4.extract_lane(l, 3);
  }
  k = 0;
  for (; k + 4 <= K; k += 4) {
    const t = targets + (<usize>k << 2);
    const i0 = load<i32>(t), i1 = load<i32>(t, 4), i2 = load<i32>(t, 8), i3 = load<i32>(t, 12);
    // A repeated negative must see its own earlier update: then one row at a time.
    if (i0 != i1 && i0 != i2 && i0 != i3 && i1 != i2 && i1 != i3 && i2 != i3) {
      axpy2x4(h, wout + <usize>i0 * rowBytes, wout + <usize>i1 * rowBytes, wout + <usize>i2 * rowBytes,
              wout + <usize>i3 * rowBytes, neu1e, dim, g + (<usize>k << 2));
    } else {
      for (let j = 0; j < 4; j++) {
        axpy2(h, wout + <usize>load<i32>(t + (<usize>j << 2)) * rowBytes, neu1e, dim, load<f32>(g + (<usize>(k + j) << 2)));
      }
    }
  }
  for (; k < K; k++) {
    axpy2(h, wout + <usize>load<i32>(targets + (<usize>k << 2)) * rowBytes, neu1e, dim,
          load<f32>(g + (<usize>k << 2)));
  }
  return loss;
}

/** Fill targets/labels for word w: NS = w then negatives; HS = its Huffman path. Returns the count. */
// @ts-ignore: decorator
@inline function make_targets(w: i32, targets: usize, labels: usize, rng: usize, hs: i32, negative: i32,
                              prob: usize, alias: usize, V: i32, hsOff: usize, hsCodes: usize, hsPoints: usize, redraw: bool): i32 {
  let K = 0;
  if (hs != 0) {
    const a = load<i32>(hsOff + (<usize>w << 2)), b = load<i32>(hsOff + (<usize>(w + 1) << 2));
    for (let j = a; j < b; j++) {
      store<i32>(targets + (<usize>K << 2), load<i32>(hsPoints + (<usize>j << 2)));
      store<f32>(labels + (<usize>K << 2), <f32>(<i32>1 - load<i32>(hsCodes + (<usize>j << 2))));
      K++;
    }
  } else {
    store<i32>(targets, w);
    store<f32>(labels, 1);
    K = 1;
    for (let d = 0; d < negative; d++) {
      let t = alias_draw(rng_next(rng), prob, alias, V);
      if (redraw) {
        for (let a = 0; t == w && a < SGNS_MAX_REDRAWS; a++) t = alias_draw(rng_next(rng), prob, alias, V);
      }
      if (t == w) continue;
      store<i32>(targets + (<usize>K << 2), t);
      store<f32>(labels + (<usize>K << 2), 0);
      K++;
    }
  }
  return K;
}

/** The RNG buffer from `state`: key and stream, refilled from the block of the next word, positioned on it. */
// @ts-ignore: decorator
@inline function rng_resume(rng: usize, state: usize): void {
  const word0 = <u64>load<f64>(state, 48);
  store<u32>(rng, load<u32>(state, 56), 4);
  store<u32>(rng, load<u32>(state, 60), 8);
  store<u32>(rng, load<u32>(state, 64), 12);
  store<u64>(rng, word0 >> 2, 16);
  rng_refill(rng);
  store<i32>(rng, <i32>(word0 & 3));
}

/** The index of the next unused RNG word back into `state`, so the next call continues the stream. */
// @ts-ignore: decorator
@inline function rng_suspend(rng: usize, state: usize): void {
  const next = (load<u64>(rng, 16) - <u64>(RNG_WORDS >> 2)) * 4 + <u64>load<i32>(rng);
  store<f64>(state, <f64>next, 48);
}

/** v[c] = 0 for c < dim (pad4). */
// @ts-ignore: decorator
@inline function zero(v: usize, dim: i32): void {
  for (let c = 0; c < dim; c += 4) v128.store(v + (<usize>c << 2), i32x4.splat(0));
}

/**
 * Train on one chunk of ids.
 *   ids      (n) i32 in [0, V) or == eos, read
 *   keep     (V) f32 keep probabilities, read; 0 = no subsampling (no RNG word drawn)
 *   prob     (V) u32 alias acceptance thresholds, alias (V) i32, read (NS only)
 *   hsOff    (V+1) i32 CSR offsets into hsCodes (i32 0/1) and hsPoints (i32
 *            inner node rows of wout), read (HS only)
 *   subOff   (V+1) i32 CSR offsets into subRows (i32 rows of win), read; 0 = row = word id
 *   win      (rowsIn, dim) f32 input rows, read and written
 *   wout     (V or V-1, dim) f32 output rows, read and written (must not overlap win)
 *   state    80 bytes, read and written (layout above)
 *   scratch  sgns_scratch_bytes(dim, window, maxTargets, maxRows) bytes, 16-aligned
 * maxTargets >= 1 + negative (NS) or the longest code (HS), as given to sgns_scratch_bytes.
 * model: 0 skip-gram, 1 CBOW; hs: 0 negative sampling, 1 hierarchical softmax;
 * flags: SGNS_EOS_WORD | SGNS_REDRAW (fastText), 0 (word2vec).
 * Any dim >= 1 (scalar tails). All pointers 16-byte aligned.
 */
export function sgns_train(ids: usize, keep: usize, prob: usize, alias: usize,
                           hsOff: usize, hsCodes: usize, hsPoints: usize, subOff: usize, subRows: usize,
                           win: usize, wout: usize, state: usize, scratch: usize,
                           n: i32, V: i32, dim: i32, window: i32, negative: i32, maxTargets: i32, model: i32, hs: i32, eos: i32,
                           flags: i32): void {
  const dp = pad4(dim);
  const sent = scratch;
  const rng = sent + (<usize>SGNS_MAX_SENTENCE << 2);
  const h = rng + RNG_HEAD + (<usize>RNG_WORDS << 2);
  const neu1e = h + (<usize>dp << 2);
  const maxT = pad4(maxTargets);
  const targets = neu1e + (<usize>dp << 2);
  const labels = targets + (<usize>maxT << 2);
  const g = labels + (<usize>maxT << 2);
  const rows = g + (<usize>maxT << 2);
  const rowBytes = <usize>dim << 2;
  const eosWord = (flags & SGNS_EOS_WORD) != 0;
  const redraw = (flags & SGNS_REDRAW) != 0;

  const lr0 = load<f64>(state, 0), total = load<f64>(state, 8);
  let processed = load<f64>(state, 16);
  let lossSum = load<f64>(state, 24), lossCount = load<f64>(state, 32);
  rng_resume(rng, state);
  // Labels past K stay finite for the 4-wide sigmoid.
  zero(labels, maxT);
  zero(g, maxT);
  let lr: f32 = 0;

  let i = 0;
  while (i < n) {
    // One sentence: raw tokens [i, end).
    let end = i;
    while (end < n && end - i < SGNS_MAX_SENTENCE && load<i32>(ids + (<usize>end << 2)) != eos) end++;
    // fastText: the EOS that ends the sentence is its last word.
    if (eosWord && end < n && load<i32>(ids + (<usize>end << 2)) == eos) end++;
    let frac = 1.0 - processed / total;
    if (frac < 1e-4) frac = 1e-4;
    lr = <f32>(lr0 * frac);
    let m = 0;
    for (let j = i; j < end; j++) {
      const w = load<i32>(ids + (<usize>j << 2));
      if (keep != 0) {
        const u = <f32>(rng_next(rng) >>> 8) * <f32>5.9604644775390625e-8;
        if (!(u < load<f32>(keep + (<usize>w << 2)))) continue;
      }
      store<i32>(sent + (<usize>m << 2), w);
      m++;
    }
    processed += <f64>(end - i);
    // word2vec: skip the EOS that ended the sentence (a cut at the length cap has none).
    i = !eosWord && end < n && load<i32>(ids + (<usize>end << 2)) == eos ? end + 1 : end;

    for (let p = 0; p < m; p++) {
      const b = <i32>((<u64>rng_next(rng) * <u64>window) >> 32);
      const span = window - b;
      const c0 = p - span < 0 ? 0 : p - span;
      const c1 = p + span >= m ? m - 1 : p + span;
      const centre = load<i32>(sent + (<usize>p << 2));
      if (model == 0) {
        // Skip-gram: input = centre (its rows), output = each context word.
        let ra = centre, rb = centre + 1;
        if (subOff != 0) { ra = load<i32>(subOff + (<usize>centre << 2)); rb = load<i32>(subOff + (<usize>(centre + 1) << 2)); }
        for (let c = c0; c <= c1; c++) {
          if (c == p) continue;
          const ctx = load<i32>(sent + (<usize>c << 2));
          const K = make_targets(ctx, targets, labels, rng, hs, negative, prob, alias, V, hsOff, hsCodes, hsPoints, redraw);
          zero(neu1e, dim);
          let hv: usize;
          if (subOff == 0) {
            hv = win + <usize>centre * rowBytes;
          } else {
            zero(h, dim);
            for (let r = ra; r < rb; r++) axpy(win + <usize>load<i32>(subRows + (<usize>r << 2)) * rowBytes, h, dim, 1);
            scale(h, dim, <f32>1 / <f32>(rb - ra));
            hv = h;
          }
          lossSum += outputs_update(hv, wout, targets, labels, g, neu1e, K, dim, lr);
          lossCount += 1;
          if (subOff == 0) {
            axpy(neu1e, hv, dim, 1);
          } else {
            for (let r = ra; r < rb; r++) axpy(neu1e, win + <usize>load<i32>(subRows + (<usize>r << 2)) * rowBytes, dim, 1);
          }
        }
      } else {
        // CBOW: input = mean of all context rows, output = the centre.
        let nr = 0;
        for (let c = c0; c <= c1; c++) {
          if (c == p) continue;
          const w = load<i32>(sent + (<usize>c << 2));
          if (subOff == 0) {
            store<i32>(rows + (<usize>nr << 2), w);
            nr++;
          } else {
            const a = load<i32>(subOff + (<usize>w << 2)), z = load<i32>(subOff + (<usize>(w + 1) << 2));
            for (let r = a; r < z; r++) { store<i32>(rows + (<usize>nr << 2), load<i32>(subRows + (<usize>r << 2))); nr++; }
          }
        }
        if (nr == 0) continue;
        const K = make_targets(centre, targets, labels, rng, hs, negative, prob, alias, V, hsOff, hsCodes, hsPoints, redraw);
        zero(h, dim);
        for (let r = 0; r < nr; r++) axpy(win + <usize>load<i32>(rows + (<usize>r << 2)) * rowBytes, h, dim, 1);
        scale(h, dim, <f32>1 / <f32>nr);
        zero(neu1e, dim);
        lossSum += outputs_update(h, wout, targets, labels, g, neu1e, K, dim, lr);
        lossCount += 1;
        for (let r = 0; r < nr; r++) axpy(neu1e, win + <usize>load<i32>(rows + (<usize>r << 2)) * rowBytes, dim, 1);
      }
    }
  }

  store<f64>(state, processed, 16);
  store<f64>(state, lossSum, 24);
  store<f64>(state, lossCount, 32);
  store<f64>(state, <f64>lr, 40);
  rng_suspend(rng, state);
}

/** v[c] *= s. */
// @ts-ignore: decorator
@inline function scale(v: usize, dim: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let c = 0;
  for (; c + 4 <= dim; c += 4) v128.store(v + (<usize>c << 2), f32x4.mul(v128.load(v + (<usize>c << 2)), sv));
  for (; c < dim; c++) store<f32>(v + (<usize>c << 2), load<f32>(v + (<usize>c << 2)) * s);
}

/**
 * Negative draws for tests: out[i] = the alias draw of the next RNG word, for
 * the stream in `state` (its word index advances by n).
 *   prob (V) u32, alias (V) i32, read; out (n) i32, written; state as sgns_train;
 *   scratch as sgns_train.
 */
export function sgns_draw_negatives(prob: usize, alias: usize, out: usize, state: usize, scratch: usize, n: i32, V: i32): void {
  const rng = scratch + (<usize>SGNS_MAX_SENTENCE << 2);
  rng_resume(rng, state);
  for (let i = 0; i < n; i++) store<i32>(out + (<usize>i << 2), alias_draw(rng_next(rng), prob, alias, V));
  rng_suspend(rng, state);
}
