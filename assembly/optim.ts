// Optimizer steps fused over flat f32 parameter buffers: SGD (momentum,
// coupled weight decay, Nesterov), Adam / AdamW, and the first pass of
// global-norm clipping (sum of squares; the second pass is scale_f32).
//
// Each step is one pass over its buffers with v128 loads and stores and the
// same f32 operations in the scalar tail, so an element's update does not
// depend on its position. Scalars that depend on the step (bias corrections)
// are computed in TypeScript in float64 and passed rounded to f32.

/**
 * SGD step, PyTorch semantics (torch.optim.SGD, dampening 0):
 *   g' = g + wd * p
 *   with momentum (momentum != 0):  buf = mu * buf + g'
 *                                    d = nesterov ? g' + mu * buf : buf
 *   without (mu == 0):              d = g'
 *   p -= lr * d
 *   grad     (n) f32, read
 *   param    (n) f32, read and written
 *   momentum (n) f32, read and written when mu != 0 (zeros before the first step:
 *            mu * 0 + g' = g' is PyTorch's first-step buf = g'); ignored (may be 0) when mu == 0
 * No alias between the three buffers.
 */
export function sgd_step_f32(grad: usize, param: usize, momentum: usize, n: i32,
                             lr: f32, mu: f32, wd: f32, nesterov: i32): void {
  const lrv = f32x4.splat(lr), muv = f32x4.splat(mu), wdv = f32x4.splat(wd);
  let i = 0;
  if (mu == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const p = v128.load(param + o);
      const g = f32x4.add(v128.load(grad + o), f32x4.mul(wdv, p));
      v128.store(param + o, f32x4.sub(p, f32x4.mul(lrv, g)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const p = load<f32>(param + o);
      const g = load<f32>(grad + o) + wd * p;
      store<f32>(param + o, p - lr * g);
    }
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const g = f32x4.add(v128.load(grad + o), f32x4.mul(wdv, p));
    const b = f32x4.add(f32x4.mul(muv, v128.load(momentum + o)), g);
    v128.store(momentum + o, b);
    const d = nesterov ? f32x4.add(g, f32x4.mul(muv, b)) : b;
    v128.store(param + o, f32x4.sub(p, f32x4.mul(lrv, d)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    const g = load<f32>(grad + o) + wd * p;
    const b = mu * load<f32>(momentum + o) + g;
    store<f32>(momentum + o, b);
    const d = nesterov ? g + mu * b : b;
    store<f32>(param + o, p - lr * d);
  }
}

/**
 * Adam / AdamW step (Kingma & Ba 2015; Loshchilov & Hutter 2019), PyTorch semantics:
 *   g' = g + wd * p                      (coupled L2; wd = 0 for AdamW)
 *   m  = beta1 * m + (1 - beta1) * g'
 *   v  = beta2 * v + (1 - beta2) * g'^2
 *   p  = decay * p - stepSize * m / (sqrt(v) + epsHat)
 * with, from TypeScript in float64 (t = step >= 1, bc1 = 1 - beta1^t, bc2 = 1 - beta2^t):
 *   stepSize = lr * sqrt(bc2) / bc1,  epsHat = eps * sqrt(bc2),
 *   decay    = 1 - lr * weightDecay for AdamW (decoupled, applied to the old p), else 1,
 *   oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2 (from float64: 1 - fround(0.999) in
 *   f32 would be 1.3e-5 off, an error v would carry forever).
 * This is PyTorch's p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) with numerator and
 * denominator multiplied by sqrt(bc2): the same value in real arithmetic, one
 * division fewer per element.
 *   grad  (n) f32, read
 *   param, m, v (n) f32, read and written (m, v zeros before step 1)
 * No alias between the four buffers. One pass, 4 loads and 3 stores per vector.
 */
export function adam_step_f32(grad: usize, param: usize, m: usize, v: usize, n: i32,
                              stepSize: f32, beta1: f32, beta2: f32, oneMinusB1: f32, oneMinusB2: f32,
                              epsHat: f32, wd: f32, decay: f32): void {
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(oneMinusB1);
  const b2 = f32x4.splat(beta2), c2 = f32x4.splat(oneMinusB2);
  const st = f32x4.splat(stepSize), ep = f32x4.splat(epsHat);
  const wdv = f32x4.splat(wd), dec = f32x4.splat(decay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    const g = f32x4.add(v128.load(grad + o), f32x4.mul(wdv, p));
    const mm = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, g));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(g, g)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const upd = f32x4.div(f32x4.mul(st, mm), f32x4.add(f32x4.sqrt(vv), ep));
    v128.store(param + o, f32x4.sub(f32x4.mul(dec, p), upd));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(param + o);
    const g = load<f32>(grad + o) + wd * p;
    const mm = beta1 * load<f32>(m + o) + oneMinusB1 * g;
    const vv = beta2 * load<f32>(v + o) + oneMinusB2 * (g * g);
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(param + o, decay * p - (stepSize * mm) / (Mathf.sqrt(vv) + epsHat));
  }
}

/** Floats per f32 block of sum_squares_f32 before the block's sum moves to f64. */
// @ts-ignore: decorator
@inline const SUMSQ_BLOCK: i32 = 1024;

/**
 * Sum of squares of n floats, returned in f64 (the first pass of global-norm
 * clipping). Fixed order: each block of 1024 floats is summed in four f32x4
 * accumulators (lane j of accumulator a holds elements 16q + 4a + j), combined
 * as (a0 + a1) + (a2 + a3) and widened to two f64x2 running sums; the tail
 * after the last group of 16 is added in f64 in order; the f64x2 lanes are added
 * last. Blocking keeps the f32 partial sums short (relative error ~ 1e-6
 * whatever n is). The order depends only on n.
 *   x (n) f32, read, 16-byte aligned for the vector loads to be aligned.
 */
export function sum_squares_f32(x: usize, n: i32): f64 {
  let t0 = f64x2.splat(0), t1 = f64x2.splat(0);
  let i = 0;
  while (i + 16 <= n) {
    const end = min(n & ~15, i + SUMSQ_BLOCK);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (; i < end; i += 16) {
      const p = x + (<usize>i << 2);
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      a0 = f32x4.add(a0, f32x4.mul(v0, v0));
      a1 = f32x4.add(a1, f32x4.mul(v1, v1));
      a2 = f32x4.add(a2, f32x4.mul(v2, v2));
      a3 = f32x4.add(a3, f32x4.mul(v3, v3));
    }
    const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    t0 = f64x2.add(t0, f64x2.promote_low_f32x4(s));
    t1 = f64x2.add(t1, f64x2.promote_low_f32x4(i32x4.shuffle(s, s, 2, 3, 0, 1)));
  }
  let tail: f64 = 0;
  for (; i < n; i++) {
    const g = <f64>load<f32>(x + (<usize>i << 2));
    tail += g * g;
  }
  const t = f64x2.add(t0, t1);
  return (f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1)) + tail;
}
