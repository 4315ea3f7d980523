// Summary statistics of a float buffer in one pass (activation and gradient
// monitoring without copying tensors out of linear memory).

/**
 * Sum, sum of squares, count of exact zeros and largest magnitude of n floats.
 *   x   (n) f32, read; 16-byte aligned for the vector loads to be aligned
 *   out (4) f64, written: [sum, sum of squares, zeros, max |x|] (all 0 for n = 0)
 * Each float is widened to f64 first, so its square is exact (24-bit
 * significands) and only the f64 additions round. Fixed order: elements
 * 4q + {0, 1} go to the f64x2 accumulators s0 / q0, 4q + {2, 3} to s1 / q1, in
 * increasing q; the tail after the last group of 4 is added in f64 in order,
 * after ((s0.0 + s0.1) + (s1.0 + s1.1)). The order depends only on n. Zeros
 * (+0 and -0) are counted exactly in i32x4 lanes; max |x| uses f32 max, which
 * is exact and gives NaN when any element is NaN (as do the sums).
 */
export function tensor_stats_f32(x: usize, out: usize, n: i32): void {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  let zeros = i32x4.splat(0);
  let amax = f32x4.splat(0);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    s0 = f64x2.add(s0, lo);
    s1 = f64x2.add(s1, hi);
    q0 = f64x2.add(q0, f64x2.mul(lo, lo));
    q1 = f64x2.add(q1, f64x2.mul(hi, hi));
    // eq is all ones (-1) in a lane holding ±0: subtracting counts it.
    zeros = i32x4.sub(zeros, f32x4.eq(v, zero));
    amax = f32x4.max(amax, f32x4.abs(v));
  }
  let sum = (f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1)) +
            (f64x2.extract_lane(s1, 0) + f64x2.extract_lane(s1, 1));
  let sq = (f64x2.extract_lane(q0, 0) + f64x2.extract_lane(q0, 1)) +
           (f64x2.extract_lane(q1, 0) + f64x2.extract_lane(q1, 1));
  let nz = i32x4.extract_lane(zeros, 0) + i32x4.extract_lane(zeros, 1) +
           i32x4.extract_lane(zeros, 2) + i32x4.extract_lane(zeros, 3);
  let m = max(max(f32x4.extract_lane(amax, 0), f32x4.extract_lane(amax, 1)),
              max(f32x4.extract_lane(amax, 2), f32x4.extract_lane(amax, 3)));
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    const d = <f64>v;
    sum += d;
    sq += d * d;
    if (v == 0) nz++;
    m = max(m, abs(v));
  }
  store<f64>(out, sum);
  store<f64>(out, sq, 8);
  store<f64>(out, <f64>nz, 16);
  store<f64>(out, <f64>m, 24);
}
