// Element-wise activations and their derivatives: ReLU, GELU (erf and tanh
// forms), tanh, sigmoid.
//
// Every kernel maps n floats with a vector body of 4 lanes and a scalar tail
// that runs the same vector function on a splat and keeps lane 0, so a value
// never depends on its position. Transcendentals come from vmath (exp_v,
// tanh_v, sigmoid_v, erf_v); their error bounds are documented there.
//
// Forwards: y may equal x (in place); no other alias. Backwards accumulate:
// dx += dy * f'(...); dx must not alias the inputs.
//
// Infinities and huge inputs: no NaN from a finite or infinite input (NaN in
// gives NaN out). GELU clamps x where the exact float32 result no longer
// changes, so inf * 0 never happens (see gelu_erf_v and friends).

import { erf_from_v, erf_poly_v, erf_v, exp_v, sigmoid_v, tanh_v } from './vmath';

/** Codes of the `approximate` flag of gelu_fwd_f32 / gelu_bwd_f32. */
// @ts-ignore: decorator
@inline export const GELU_ERF: i32 = 0;
// @ts-ignore: decorator
@inline export const GELU_TANH: i32 = 1;

// @ts-ignore: decorator
@inline const SQRT1_2: f32 = 0.70710678118654752;
// 1 / sqrt(2 pi)
// @ts-ignore: decorator
@inline const INV_SQRT_2PI: f32 = 0.39894228040143268;
// sqrt(2 / pi) and the cubic coefficient of the tanh form
// @ts-ignore: decorator
@inline const GELU_K: f32 = 0.79788456080286536;
// @ts-ignore: decorator
@inline const GELU_A: f32 = 0.044715;
// Forward: below -20 both forms are exactly -0 in float32 (Phi(-20) ~ 3e-89),
// so x is clamped there and -inf * 0 cannot occur.
// @ts-ignore: decorator
@inline const GELU_FWD_LO: f32 = -20.0;
// Backward, erf form: at |x| >= 20, exp(-x^2/2) is 0 and the derivative is
// exactly 0 or 1, so clamping x to [-20, 20] changes nothing and keeps inf out.
// @ts-ignore: decorator
@inline const GELU_ERF_BWD_LIM: f32 = 20.0;
// Backward, tanh form: exp(-2u) must stay finite (2|u| < 88), which holds for
// |x| <= 10, so x is clamped to [-10, 10]. Beyond, the float32 derivative is 1
// (x > 10) or 0 (x < -10: its magnitude is below 1e-40); the clamp gives 1 at
// +10 and a mask gives exactly 0 below -10.
// @ts-ignore: decorator
@inline const GELU_TANH_BWD_LIM: f32 = 10.0;

// ---- per-vector functions -------------------------------------------------

/** gelu erf form: x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2. */
// @ts-ignore: decorator
@inline function gelu_erf_v(x: v128): v128 {
  const phi = f32x4.mul(f32x4.add(f32x4.splat(1), erf_v(f32x4.mul(x, f32x4.splat(SQRT1_2)))), f32x4.splat(0.5));
  return f32x4.mul(f32x4.max(x, f32x4.splat(GELU_FWD_LO)), phi);
}

/**
 * gelu tanh form: 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed
 * as x * sigmoid(2u) (the same function; no cancellation in 1 + tanh for x < 0).
 */
// @ts-ignore: decorator
@inline function gelu_tanh_v(x: v128): v128 {
  const xc = f32x4.max(x, f32x4.splat(GELU_FWD_LO));
  const x2 = f32x4.mul(xc, xc);
  const u2 = f32x4.mul(xc, f32x4.add(f32x4.splat(2 * GELU_K), f32x4.mul(x2, f32x4.splat(2 * GELU_K * GELU_A))));
  return f32x4.mul(xc, sigmoid_v(u2));
}

/**
 * d/dx of the erf form: Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi).
 * erf(z) with z = x / sqrt 2 needs exp(-z^2) = exp(-x^2/2), which is phi's
 * exponential too: built from vmath's erf parts (the same bits as erf_v), one
 * exp_v per vector instead of two. x is clamped to [-20, 20] (derivative exactly 0 / 1 there).
 */
// @ts-ignore: decorator
@inline function gelu_erf_d_v(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(-GELU_ERF_BWD_LIM)), f32x4.splat(GELU_ERF_BWD_LIM));
  const z = f32x4.mul(xc, f32x4.splat(SQRT1_2));
  const az = f32x4.abs(z);
  const e = exp_v(f32x4.neg(f32x4.mul(az, az)));
  const erf = erf_from_v(z, erf_poly_v(az), e);
  const cdf = f32x4.mul(f32x4.add(f32x4.splat(1), erf), f32x4.splat(0.5));
  return f32x4.add(cdf, f32x4.mul(xc, f32x4.mul(e, f32x4.splat(INV_SQRT_2PI))));
}

/**
 * d/dx of the tanh form. With s = sigmoid(2u) and e = exp(-2u): s = 1 / (1 + e),
 * 1 - s = e s (accurate where s is near 1), and
 *   d/dx = s + x s (1 - s) 2u',  2u' = 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2),
 * which equals 0.5 (1 + t) + 0.5 x (1 - t^2) u' with t = tanh(u).
 */
// @ts-ignore: decorator
@inline function gelu_tanh_d_v(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, f32x4.splat(-GELU_TANH_BWD_LIM)), f32x4.splat(GELU_TANH_BWD_LIM));
  const x2 = f32x4.mul(xc, xc);
  const u2 = f32x4.mul(xc, f32x4.add(f32x4.splat(2 * GELU_K), f32x4.mul(x2, f32x4.splat(2 * GELU_K * GELU_A))));
  const e = exp_v(f32x4.neg(u2));
  const s = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  const du2 = f32x4.add(f32x4.splat(2 * GELU_K), f32x4.mul(x2, f32x4.splat(6 * GELU_K * GELU_A)));
  const s1ms = f32x4.mul(s, f32x4.mul(e, s));
  const d = f32x4.add(s, f32x4.mul(f32x4.mul(xc, s1ms), du2));
  // 0 where x < -10 (NaN compares false and stays NaN).
  return v128.andnot(d, f32x4.lt(x, f32x4.splat(-GELU_TANH_BWD_LIM)));
}

// ---- kernels ---------------------------------------------------------------

/**
 * ReLU forward: y = max(x, 0) over n floats.
 *   x (n) f32 read; y (n) f32 written (may equal x). Any n.
 */
export function relu_fwd_f32(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.max(v128.load(x + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, max<f32>(load<f32>(x + o), 0));
  }
}

/**
 * ReLU backward: dx += x > 0 ? dy : 0 (derivative 0 at 0; a mask, so dy = inf
 * where x <= 0 adds 0, not NaN).
 *   x (n) read; dy (n) read; dx (n) read and written, no alias. Any n.
 */
export function relu_bwd_f32(x: usize, dy: usize, dx: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), zero));
    v128.store(dx + o, f32x4.add(v128.load(dx + o), g));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g: f32 = load<f32>(x + o) > 0 ? load<f32>(dy + o) : 0;
    store<f32>(dx + o, load<f32>(dx + o) + g);
  }
}

/**
 * GELU forward over n floats; approximate = GELU_ERF (0) for x Phi(x), GELU_TANH (1)
 * for 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 *   x (n) read; y (n) written (may equal x). Any n.
 * gelu(-inf) = -0, gelu(+inf) = +inf.
 */
export function gelu_fwd_f32(x: usize, y: usize, n: i32, approximate: i32): void {
  let i = 0;
  if (approximate == GELU_TANH) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, gelu_tanh_v(v128.load(x + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, f32x4.extract_lane(gelu_tanh_v(f32x4.splat(load<f32>(x + o))), 0));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, gelu_erf_v(v128.load(x + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, f32x4.extract_lane(gelu_erf_v(f32x4.splat(load<f32>(x + o))), 0));
    }
  }
}

/**
 * GELU backward: dx += dy * gelu'(x), the exact derivative of the chosen form
 * (approximate as in gelu_fwd_f32). gelu'(-inf) = 0, gelu'(+inf) = 1.
 *   x (n) read; dy (n) read; dx (n) read and written, no alias. Any n.
 */
export function gelu_bwd_f32(x: usize, dy: usize, dx: usize, n: i32, approximate: i32): void {
  let i = 0;
  if (approximate == GELU_TANH) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = f32x4.mul(v128.load(dy + o), gelu_tanh_d_v(v128.load(x + o)));
      v128.store(dx + o, f32x4.add(v128.load(dx + o), g));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const d = f32x4.extract_lane(gelu_tanh_d_v(f32x4.splat(load<f32>(x + o))), 0);
      store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * d);
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = f32x4.mul(v128.load(dy + o), gelu_erf_d_v(v128.load(x + o)));
      v128.store(dx + o, f32x4.add(v128.load(dx + o), g));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const d = f32x4.extract_lane(gelu_erf_d_v(f32x4.splat(load<f32>(x + o))), 0);
      store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * d);
    }
  }
}

/**
 * tanh forward: y = tanh(x) (vmath tanh_v: absolute error <= 1e-6, +-1 at +-inf).
 *   x (n) read; y (n) written (may equal x). Any n.
 */
export function tanh_fwd_f32(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, tanh_v(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(tanh_v(f32x4.splat(load<f32>(x + o))), 0));
  }
}

/**
 * tanh backward from the forward's output: dx += dy * (1 - y^2).
 *   y (n) read; dy (n) read; dx (n) read and written, no alias. Any n.
 */
export function tanh_bwd_f32(y: usize, dy: usize, dx: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const t = v128.load(y + o);
    const g = f32x4.mul(v128.load(dy + o), f32x4.sub(one, f32x4.mul(t, t)));
    v128.store(dx + o, f32x4.add(v128.load(dx + o), g));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const t = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * (<f32>1 - t * t));
  }
}

/**
 * Sigmoid forward: y = 1 / (1 + exp(-x)) (vmath sigmoid_v; 0 and 1 at the ends).
 *   x (n) read; y (n) written (may equal x). Any n.
 */
export function sigmoid_fwd_f32(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, sigmoid_v(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(sigmoid_v(f32x4.splat(load<f32>(x + o))), 0));
  }
}

/**
 * Sigmoid backward from the forward's output: dx += dy * y (1 - y).
 *   y (n) read; dy (n) read; dx (n) read and written, no alias. Any n.
 */
export function sigmoid_bwd_f32(y: usize, dy: usize, dx: usize, n: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const s = v128.load(y + o);
    const g = f32x4.mul(v128.load(dy + o), f32x4.mul(s, f32x4.sub(one, s)));
    v128.store(dx + o, f32x4.add(v128.load(dx + o), g));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const s = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * (s * (<f32>1 - s)));
  }
}
