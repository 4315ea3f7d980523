// fastText's supervised classifier: a bag of input rows (words and hashed word
// n-grams) averaged into a hidden vector, a linear output layer over the labels,
// and one SGD step per example, for a whole batch of examples per call.
//
// Per example e (rows in[off[e] .. off[e+1]), labels lab[loff[e] .. loff[e+1])):
//   h = mean of input rows;  g = 0
//   softmax  target t = one of the example's labels (uniform), p = softmax(O h),
//            for every label i: a = lr (1[i = t] - p_i); g += a O_i; O_i += a h
//   ns       binary logistic on t (label 1) and on `neg` labels drawn from a
//            table (label 0; draws equal to t are skipped)
//   hs       binary logistic along t's Huffman path (node rows, codes 0/1)
//   ova      binary logistic on every label, 1 for the example's labels
//   then every input row += g / (number of rows)
// where binary logistic (row j, y): s = sigmoid(O_j . h), a = lr (y - s),
// g += a O_j, O_j += a h (g is taken before O_j moves, as fastText does).
// The loss adds -log(p + 1e-5) terms per update, as fastText reports it.
// Learning rates come per example from TypeScript (fastText's linear decay at
// its lrUpdateRate cadence). Random draws use Philox blocks from `rng`
// (key0, key1, stream, counterLo, counterHi as u32, advanced in place), so a
// call is deterministic and a later call continues the stream.

import { philox_block } from './rng';
import { axpy_inline, dot_f32 as dot, exp_s, log_f64, sigmoid_s } from './vmath';

// @ts-ignore: decorator
@inline export const FT_LOSS_SOFTMAX: i32 = 0;
// @ts-ignore: decorator
@inline export const FT_LOSS_NS: i32 = 1;
// @ts-ignore: decorator
@inline export const FT_LOSS_HS: i32 = 2;
// @ts-ignore: decorator
@inline export const FT_LOSS_OVA: i32 = 3;

/** Next u32 of the stream in `rng` (5 u32 words of state + a 4-word buffer + lane index). */
function next_u32(rng: usize): u32 {
  let lane = load<u32>(rng, 36);
  if (lane >= 4) {
    let lo = load<u32>(rng, 12);
    let hi = load<u32>(rng, 16);
    v128.store(rng, philox_block(load<u32>(rng), load<u32>(rng, 4), lo, hi, load<u32>(rng, 8), 0), 20);
    lo++;
    if (lo == 0) hi++;
    store<u32>(rng, lo, 12);
    store<u32>(rng, hi, 16);
    lane = 0;
  }
  store<u32>(rng, lane + 1, 36);
  return load<u32>(rng + 20 + (<usize>lane << 2));
}

/** Uniform integer in [0, n) (n >= 1), by multiply-shift of a 32-bit word. */
// @ts-ignore: decorator
@inline function uniform_int(rng: usize, n: u32): u32 {
  return <u32>((<u64>next_u32(rng) * <u64>n) >> 32);
}

/** x *= s over dim floats. */
// @ts-ignore: decorator
@inline function scale(x: usize, s: f32, dim: i32): void {
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= dim; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), vs));
  }
  for (; i < dim; i++) store<f32>(x + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * s);
}

/** One binary-logistic update of output row j towards y; returns its loss term. */
// @ts-ignore: decorator
@inline function binary_logistic(out: usize, j: i32, y: bool, hidden: usize, grad: usize, dim: i32, lr: f32): f64 {
  const row = out + (<usize>j * <usize>dim << 2);
  const s = sigmoid_s(dot(row, hidden, dim));
  const a = lr * ((y ? <f32>1 : <f32>0) - s);
  axpy_inline(row, grad, dim, a);
  axpy_inline(hidden, row, dim, a);
  return -log_f64(<f64>(y ? s : <f32>1 - s) + 1e-5);
}

/**
 * Train on n examples. Layout (all i32 unless said):
 *   rows (total) input row ids, off (n + 1) offsets into rows;
 *   labels (total) label ids in [0, nlabels), loff (n + 1) offsets;
 *   lrs (n) f32 learning rate of each example;
 *   negTable (negSize) label ids for ns; hsPoints/hsCodes (total) node rows and
 *   0/1 codes of each label's Huffman path, hsOff (nlabels + 1) offsets (hs only);
 *   input (rows of the input matrix, dim) f32 and output (nlabels, or nlabels - 1
 *   tree nodes for hs, dim) f32, both updated in place;
 *   scratch (>= 2 dim + nlabels f32, 16-byte aligned); rng (40 bytes, see next_u32);
 *   lossOut (2 f64): += sum of loss terms, += number of examples used.
 * Examples with no rows or no labels are skipped (as fastText does).
 */
export function ft_supervised_train_f32(
  rows: usize, off: usize, labels: usize, loff: usize, lrs: usize,
  negTable: usize, hsPoints: usize, hsCodes: usize, hsOff: usize,
  input: usize, output: usize, scratch: usize, rng: usize, lossOut: usize,
  n: i32, dim: i32, nlabels: i32, negSize: i32, loss: i32, neg: i32,
): void {
  const hidden = scratch;
  const grad = scratch + ((<usize>dim + 3) & ~3) * 4;
  const scores = grad + ((<usize>dim + 3) & ~3) * 4;
  let lossSum: f64 = 0;
  let used: f64 = 0;
  for (let e = 0; e < n; e++) {
    const r0 = load<i32>(off + (<usize>e << 2));
    const r1 = load<i32>(off + (<usize>(e + 1) << 2));
    const l0 = load<i32>(loff + (<usize>e << 2));
    const l1 = load<i32>(loff + (<usize>(e + 1) << 2));
    if (r1 <= r0 || l1 <= l0) continue;
    const lr = load<f32>(lrs + (<usize>e << 2));
    // hidden = mean of the input rows
    memory.fill(hidden, 0, <usize>dim << 2);
    for (let r = r0; r < r1; r++) {
      const id = load<i32>(rows + (<usize>r << 2));
      axpy_inline(input + (<usize>id * <usize>dim << 2), hidden, dim, 1);
    }
    scale(hidden, <f32>1 / <f32>(r1 - r0), dim);
    memory.fill(grad, 0, <usize>dim << 2);
    let ex: f64 = 0;
    if (loss == FT_LOSS_OVA) {
      for (let i = 0; i < nlabels; i++) {
        let y = false;
        for (let l = l0; l < l1; l++) if (load<i32>(labels + (<usize>l << 2)) == i) y = true;
        ex += binary_logistic(output, i, y, hidden, grad, dim, lr);
      }
    } else {
      const t = load<i32>(labels + (<usize>(l0 + <i32>uniform_int(rng, <u32>(l1 - l0))) << 2));
      if (loss == FT_LOSS_SOFTMAX) {
        let mx: f32 = -Infinity;
        for (let i = 0; i < nlabels; i++) {
          const s = dot(output + (<usize>i * <usize>dim << 2), hidden, dim);
          store<f32>(scores + (<usize>i << 2), s);
          mx = max(mx, s);
        }
        let z: f32 = 0;
        for (let i = 0; i < nlabels; i++) {
          const p = exp_s(load<f32>(scores + (<usize>i << 2)) - mx);
          store<f32>(scores + (<usize>i << 2), p);
          z += p;
        }
        const iz = <f32>1 / z;
        for (let i = 0; i < nlabels; i++) {
          const p = load<f32>(scores + (<usize>i << 2)) * iz;
          const a = lr * ((i == t ? <f32>1 : <f32>0) - p);
          const row = output + (<usize>i * <usize>dim << 2);
          axpy_inline(row, grad, dim, a);
          axpy_inline(hidden, row, dim, a);
          if (i == t) ex = -log_f64(<f64>p + 1e-5);
        }
      } else if (loss == FT_LOSS_NS) {
        ex += binary_logistic(output, t, true, hidden, grad, dim, lr);
        for (let k = 0; k < neg; k++) {
          let j = t;
          // Redraw while the draw is the target (a table of one label would loop).
          for (let tries = 0; j == t && tries < 64; tries++) j = load<i32>(negTable + (<usize>uniform_int(rng, <u32>negSize) << 2));
          if (j == t) continue;
          ex += binary_logistic(output, j, false, hidden, grad, dim, lr);
        }
      } else {
        const p0 = load<i32>(hsOff + (<usize>t << 2));
        const p1 = load<i32>(hsOff + (<usize>(t + 1) << 2));
        for (let p = p0; p < p1; p++) {
          const node = load<i32>(hsPoints + (<usize>p << 2));
          const code = load<i32>(hsCodes + (<usize>p << 2));
          ex += binary_logistic(output, node, code != 0, hidden, grad, dim, lr);
        }
      }
    }
    // every input row += grad / rows
    const gs = <f32>1 / <f32>(r1 - r0);
    for (let r = r0; r < r1; r++) {
      const id = load<i32>(rows + (<usize>r << 2));
      axpy_inline(grad, input + (<usize>id * <usize>dim << 2), dim, gs);
    }
    lossSum += ex;
    used += 1;
  }
  store<f64>(lossOut, load<f64>(lossOut) + lossSum);
  store<f64>(lossOut, load<f64>(lossOut, 8) + used, 8);
}

/**
 * Label probabilities for n examples: probs (n, nlabels) f32 written.
 *   softmax: softmax(O h); ns and ova: sigmoid(O_i h) per label (independent);
 *   hs: product of sigmoid(+-O_node h) along each label's path.
 * Examples with no rows get all-zero probabilities. Same layouts as training.
 */
export function ft_supervised_predict_f32(
  rows: usize, off: usize, hsPoints: usize, hsCodes: usize, hsOff: usize,
  input: usize, output: usize, scratch: usize, probs: usize,
  n: i32, dim: i32, nlabels: i32, loss: i32,
): void {
  const hidden = scratch;
  for (let e = 0; e < n; e++) {
    const r0 = load<i32>(off + (<usize>e << 2));
    const r1 = load<i32>(off + (<usize>(e + 1) << 2));
    const pr = probs + (<usize>e * <usize>nlabels << 2);
    if (r1 <= r0) {
      memory.fill(pr, 0, <usize>nlabels << 2);
      continue;
    }
    memory.fill(hidden, 0, <usize>dim << 2);
    for (let r = r0; r < r1; r++) {
      const id = load<i32>(rows + (<usize>r << 2));
      axpy_inline(input + (<usize>id * <usize>dim << 2), hidden, dim, 1);
    }
    scale(hidden, <f32>1 / <f32>(r1 - r0), dim);
    if (loss == FT_LOSS_SOFTMAX) {
      let mx: f32 = -Infinity;
      for (let i = 0; i < nlabels; i++) {
        const s = dot(output + (<usize>i * <usize>dim << 2), hidden, dim);
        store<f32>(pr + (<usize>i << 2), s);
        mx = max(mx, s);
      }
      let z: f32 = 0;
      for (let i = 0; i < nlabels; i++) {
        const p = exp_s(load<f32>(pr + (<usize>i << 2)) - mx);
        store<f32>(pr + (<usize>i << 2), p);
        z += p;
      }
      const iz = <f32>1 / z;
      for (let i = 0; i < nlabels; i++) store<f32>(pr + (<usize>i << 2), load<f32>(pr + (<usize>i << 2)) * iz);
    } else if (loss == FT_LOSS_HS) {
      for (let i = 0; i < nlabels; i++) {
        const p0 = load<i32>(hsOff + (<usize>i << 2));
        const p1 = load<i32>(hsOff + (<usize>(i + 1) << 2));
        let p: f32 = 1;
        for (let q = p0; q < p1; q++) {
          const node = load<i32>(hsPoints + (<usize>q << 2));
          const s = dot(output + (<usize>node * <usize>dim << 2), hidden, dim);
          p *= sigmoid_s(load<i32>(hsCodes + (<usize>q << 2)) != 0 ? s : -s);
        }
        store<f32>(pr + (<usize>i << 2), p);
      }
    } else {
      for (let i = 0; i < nlabels; i++) {
        store<f32>(pr + (<usize>i << 2), sigmoid_s(dot(output + (<usize>i * <usize>dim << 2), hidden, dim)));
      }
    }
  }
}
