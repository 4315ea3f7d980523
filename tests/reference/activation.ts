// Float64 references for the activations and their derivatives.

/** erf to about 1e-15 (Taylor series below 3, continued fraction of erfc above). */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax < 3) {
    // erf x = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc x = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated bottom-up
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const K = Math.sqrt(2 / Math.PI);
const A = 0.044715;

export const refRelu = (x: number) => (x > 0 ? x : 0);
export const refReluD = (x: number) => (x > 0 ? 1 : 0);
export const refGeluErf = (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2));
export const refGeluErfD = (x: number) =>
  0.5 * (1 + erf64(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
export const refGeluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(K * (x + A * x ** 3)));
export function refGeluTanhD(x: number): number {
  const t = Math.tanh(K * (x + A * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * A * x * x);
}
export const refTanh = (x: number) => Math.tanh(x);
export const refSigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Element-wise map to a Float64Array. */
export function map64(x: ArrayLike<number>, f: (v: number) => number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
  return out;
}
