// References for the counter-based generator: block streams with a true 64-bit
// counter (BigInt, so the carry and the wrap at 2^64 are exact), and the
// Box-Muller transform of assembly/rng.ts computed in float64 from the words.
import { philox4x32 } from '../../src/core/rng.js';

const U64 = (1n << 64n) - 1n;

/**
 * Words of Philox4x32-10 as the Wasm fills number them: word i is lane i % 4
 * of the block with counter words (lo, hi, stream, 0), where (hi:lo) is
 * (counter + floor(i / 4)) mod 2^64.
 */
export function philoxWords(
  key0: number,
  key1: number,
  stream: number,
  counterLo: number,
  counterHi: number,
  n: number,
): Uint32Array {
  const out = new Uint32Array(Math.ceil(n / 4) * 4);
  let ctr = (BigInt(counterHi >>> 0) << 32n) | BigInt(counterLo >>> 0);
  for (let b = 0; b * 4 < n; b++) {
    philox4x32(key0, key1, Number(ctr & 0xffffffffn), Number(ctr >> 32n), stream, 0, out, b * 4);
    ctr = (ctr + 1n) & U64;
  }
  return out.subarray(0, n);
}

/**
 * Normal samples from words, float64 throughout (the kernel works in f64 and
 * rounds to f32 at the end): per block, (w0, w1) and (w2, w3) give
 * r = sqrt(-2 ln u) with u = ((w >>> 8) + 1) 2^-24 and t = 2 pi (w >>> 8) 2^-24,
 * then mean + std * r cos t and mean + std * r sin t. `words` must hold whole
 * blocks: at least ceil(n / 4) * 4 words.
 */
export function boxMuller(words: Uint32Array, n: number, mean = 0, std = 1): Float64Array {
  // The last, cut block still uses all four words (the second pair feeds element 4b + 2).
  if (words.length < Math.ceil(n / 4) * 4)
    throw new Error(`boxMuller: words must cover whole blocks (${Math.ceil(n / 4) * 4}), got ${words.length}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = i - (i % 4);
    const pair = i % 4 < 2 ? b : b + 2;
    const r = Math.sqrt(-2 * Math.log(((words[pair]! >>> 8) + 1) * 2 ** -24));
    const t = 2 * Math.PI * ((words[pair + 1]! >>> 8) * 2 ** -24);
    out[i] = mean + std * (i % 2 === 0 ? r * Math.cos(t) : r * Math.sin(t));
  }
  return out;
}

/** Mean, standard deviation (population), skewness and excess kurtosis, in float64. */
export function moments(x: ArrayLike<number>): { mean: number; std: number; skew: number; exkurt: number } {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  const mean = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { mean, std: Math.sqrt(m2), skew: m3 / m2 ** 1.5, exkurt: m4 / (m2 * m2) - 3 };
}

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
export function chiSquareUniform(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  const e = total / counts.length;
  let chi = 0;
  for (let i = 0; i < counts.length; i++) chi += (counts[i]! - e) ** 2 / e;
  return chi;
}
