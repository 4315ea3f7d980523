// Vectorised elementary functions on f32x4, shared by the kernel families.
//
// Every function is built from SIMD128 operations that are exactly specified
// (IEEE add/mul/div/sqrt, min/max, conversions), never from Math.* of the host,
// so the same input gives the same bits in every runtime. The scalar forms run
// the vector code on lane 0, so a row's tail gives the value a full vector would.
//
// Accuracy, measured by tests/core/vmath.test.ts against float64 Math.* (the
// figures are the test's bounds; the docs quote the measured maxima):
//   exp_v   relative error <= 2e-7 on [-87, 88]; +inf above ~88.72, 0 below
//           ~-103.97 (denormals in between), NaN stays NaN.
//   tanh_v  absolute error <= 1e-6 everywhere; +-1 for huge inputs and +-inf.
//   sigmoid_v absolute error <= 1e-6; 0 and 1 at the ends, no NaN for +-inf.
//   erf_v   absolute error <= 5e-7 (Abramowitz & Stegun 7.1.26 form).

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269502163;
// ln 2 split in two (Cody-Waite): LN2_HI has 9 significant bits, so n * LN2_HI
// is exact for |n| < 2^15 and the reduction loses nothing there.
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;
// Inputs are clamped to [EXP_LO, EXP_HI] before reduction so 2^n stays
// representable as two normal factors; exp(EXP_HI) overflows to +inf and
// exp(EXP_LO) underflows to 0 by ordinary rounding.
// @ts-ignore: decorator
@inline const EXP_HI: f32 = 88.8;
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -104.0;
// 1.5 * 2^23 and its bit pattern: x + ROUND_MAGIC rounds x to an integer for |x| < 2^22.
// @ts-ignore: decorator
@inline const ROUND_MAGIC: f32 = 12582912.0;
// @ts-ignore: decorator
@inline const ROUND_MAGIC_BITS: i32 = 0x4b400000;

/**
 * e^x per lane. x = n ln2 + r with |r| <= ln2/2; e^r by its Taylor series to
 * r^7 (truncation error < 6e-9 relative on that interval); then e^r * 2^h * 2^(n-h)
 * with h = n >> 1, two exponent-field constructions, so n from -150 to 129
 * needs no special cases: overflow gives +inf, underflow 0 or a denormal.
 */
// @ts-ignore: decorator
@inline export function exp_v(x: v128): v128 {
  // pmin/pmax (one instruction each on x64) keep a NaN x, as min/max would.
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  // n = round-to-nearest-even(x log2 e) by the 1.5 * 2^23 trick: adding it leaves
  // n in the low mantissa bits (|n| <= 151 < 2^22), as f32x4.nearest would round,
  // and an integer subtract reads n off without a float -> int conversion.
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const fn = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(fn, f32x4.splat(LN2_HI))), f32x4.mul(fn, f32x4.splat(LN2_LO)));
  // 1 + r + r^2 (1/2 + r (1/6 + r (1/24 + r (1/120 + r (1/720 + r/5040)))))
  let p = f32x4.add(f32x4.mul(r, f32x4.splat(<f32>(1.0 / 5040.0))), f32x4.splat(<f32>(1.0 / 720.0)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 120.0)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 24.0)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 6.0)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>0.5));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r);
  p = f32x4.add(p, f32x4.splat(1));
  // NaN input: n is garbage, but p is NaN already and so is the product.
  const n = i32x4.sub(t, i32x4.splat(ROUND_MAGIC_BITS));
  const h = i32x4.shr_s(n, 1);
  const s1 = i32x4.shl(i32x4.add(h, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(n, h), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** e^x for one f32, bit-identical to a lane of exp_v. */
// @ts-ignore: decorator
@inline export function exp_s(x: f32): f32 {
  return f32x4.extract_lane(exp_v(f32x4.splat(x)), 0);
}

/**
 * tanh per lane: sign(x) (1 - 2 / (e^(2|x|) + 1)). Absolute error stays below
 * 1e-6 (relative error of tiny results is larger; callers needing tanh'(x) use
 * 1 - tanh^2, which this keeps accurate). e^(2|x|) = +inf gives exactly +-1.
 */
// @ts-ignore: decorator
@inline export function tanh_v(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = exp_v(f32x4.add(ax, ax));
  const t = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(e, f32x4.splat(1))));
  // Copy the sign of x onto t (t >= 0); NaN stays NaN.
  const sign = v128.and(x, i32x4.splat(<i32>0x80000000));
  return v128.or(t, sign);
}

/** tanh for one f32, bit-identical to a lane of tanh_v. */
// @ts-ignore: decorator
@inline export function tanh_s(x: f32): f32 {
  return f32x4.extract_lane(tanh_v(f32x4.splat(x)), 0);
}

/** Logistic sigmoid per lane: 1 / (1 + e^-x); exact 0 and 1 at -inf and +inf. */
// @ts-ignore: decorator
@inline export function sigmoid_v(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp_v(f32x4.neg(x))));
}

/** sigmoid for one f32, bit-identical to a lane of sigmoid_v. */
// @ts-ignore: decorator
@inline export function sigmoid_s(x: f32): f32 {
  return f32x4.extract_lane(sigmoid_v(f32x4.splat(x)), 0);
}

// Abramowitz & Stegun 7.1.26: erf(x) = 1 - (a1 t + ... + a5 t^5) e^(-x^2), t = 1/(1 + p x), x >= 0.
// @ts-ignore: decorator
@inline const ERF_P: f32 = 0.3275911;
// @ts-ignore: decorator
@inline const ERF_A1: f32 = 0.254829592;
// @ts-ignore: decorator
@inline const ERF_A2: f32 = -0.284496736;
// @ts-ignore: decorator
@inline const ERF_A3: f32 = 1.421413741;
// @ts-ignore: decorator
@inline const ERF_A4: f32 = -1.453152027;
// @ts-ignore: decorator
@inline const ERF_A5: f32 = 1.061405429;

/**
 * The A&S 7.1.26 factor of erf for |x| = ax >= 0: p(t) t with t = 1/(1 + P ax),
 * so erf(ax) = 1 - erf_poly_v(ax) e^(-ax^2).
 */
// @ts-ignore: decorator
@inline export function erf_poly_v(ax: v128): v128 {
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(ax, f32x4.splat(ERF_P))));
  let p = f32x4.add(f32x4.mul(t, f32x4.splat(ERF_A5)), f32x4.splat(ERF_A4));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERF_A3));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERF_A2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(ERF_A1));
  return f32x4.mul(p, t);
}

/**
 * erf(x) from its parts: poly = erf_poly_v(|x|) and e = e^(-x^2), for callers
 * that need e^(-x^2) too (the GELU backward); erf_v is exactly this.
 */
// @ts-ignore: decorator
@inline export function erf_from_v(x: v128, poly: v128, e: v128): v128 {
  const y = f32x4.sub(f32x4.splat(1), f32x4.mul(poly, e));
  return v128.or(y, v128.and(x, i32x4.splat(<i32>0x80000000)));
}

/** erf per lane (odd; +-1 for huge inputs and +-inf). */
// @ts-ignore: decorator
@inline export function erf_v(x: v128): v128 {
  const ax = f32x4.abs(x);
  return erf_from_v(x, erf_poly_v(ax), exp_v(f32x4.neg(f32x4.mul(ax, ax))));
}

/** erf for one f32, bit-identical to a lane of erf_v. */
// @ts-ignore: decorator
@inline export function erf_s(x: f32): f32 {
  return f32x4.extract_lane(erf_v(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline const LN2_F64: f64 = 0.6931471805599453;
// @ts-ignore: decorator
@inline const SQRT2_F64: f64 = 1.4142135623730951;

/**
 * ln(x) for a positive, finite, normal f64 (NaN stays NaN). x = 2^e m with
 * m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716,
 * by its odd series to s^17 (truncation < 1e-15 relative). Plain IEEE f64 ops only.
 */
// @ts-ignore: decorator
@inline export function log_f64(x: f64): f64 {
  if (x != x) return x;
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > SQRT2_F64) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1.0) / (m + 1.0);
  const z = s * s;
  let p: f64 = 1.0 / 17.0;
  p = p * z + 1.0 / 15.0;
  p = p * z + 1.0 / 13.0;
  p = p * z + 1.0 / 11.0;
  p = p * z + 1.0 / 9.0;
  p = p * z + 1.0 / 7.0;
  p = p * z + 1.0 / 5.0;
  p = p * z + 1.0 / 3.0;
  p = p * z + 1.0;
  return <f64>e * LN2_F64 + 2.0 * s * p;
}

/**
 * sum_c a[c] b[c] over n floats: one f32x4 accumulator over groups of 4, its
 * lanes summed by hsum, then the scalar tail in order (an order fixed by n).
 */
// @ts-ignore: decorator
@inline export function dot_f32(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    acc = f32x4.add(acc, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let s = hsum(acc);
  for (; c < n; c++) s += load<f32>(a + (<usize>c << 2)) * load<f32>(b + (<usize>c << 2));
  return s;
}

/** y[c] += a x[c] over n floats. */
// @ts-ignore: decorator
@inline export function axpy_inline(x: usize, y: usize, n: i32, a: f32): void {
  const av = f32x4.splat(a);
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
  }
  for (; c < n; c++) {
    const o = <usize>c << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

/** Sum of the four lanes in a fixed order ((l0 + l1) + (l2 + l3)), the same everywhere. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Maximum of the four lanes. */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

// Exported probes for tests/core/vmath.test.ts: out[i] = f(x[i]) over n floats
// (vector path for full groups of 4, the scalar form for the tail).
function map_fn(x: usize, out: usize, n: i32, which: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    let y: v128;
    if (which == 0) y = exp_v(v);
    else if (which == 1) y = tanh_v(v);
    else if (which == 2) y = sigmoid_v(v);
    else y = erf_v(v);
    v128.store(out + o, y);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    let y: f32;
    if (which == 0) y = exp_s(v);
    else if (which == 1) y = tanh_s(v);
    else if (which == 2) y = sigmoid_s(v);
    else y = erf_s(v);
    store<f32>(out + o, y);
  }
}

/** out = exp(x), n floats (a test probe of exp_v). */
export function vmath_exp(x: usize, out: usize, n: i32): void { map_fn(x, out, n, 0); }
/** out = tanh(x). */
export function vmath_tanh(x: usize, out: usize, n: i32): void { map_fn(x, out, n, 1); }
/** out = sigmoid(x). */
export function vmath_sigmoid(x: usize, out: usize, n: i32): void { map_fn(x, out, n, 2); }
/** out = erf(x). */
export function vmath_erf(x: usize, out: usize, n: i32): void { map_fn(x, out, n, 3); }
