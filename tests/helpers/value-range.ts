// The spread of a parameter's values, for the initialisation tests of the layers.

/** The smallest and largest value of `v` and its mean (the sum of v[i] / length, in index order). */
export function valueRange(v: ArrayLike<number>): { lo: number; hi: number; mean: number } {
  let lo = Infinity;
  let hi = -Infinity;
  let mean = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
    mean += x / v.length;
  }
  return { lo, hi, mean };
}
