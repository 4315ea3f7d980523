import { describe } from '../core/check.js';
import { ArgumentError, DTypeError } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { Tensor } from '../core/tensor.js';

// Summary statistics of a float32 tensor computed in Wasm, for monitoring
// activations and gradients without reading whole tensors out of linear memory.

/** What `tensorStats` returns. */
export interface TensorStats {
  /** Mean of the elements. */
  mean: number;
  /** Population standard deviation (divides by count). */
  std: number;
  /** Fraction of elements that are exactly 0 (+0 or -0). */
  zeroFraction: number;
  /** Largest |x|. */
  absMax: number;
  /** Number of elements. */
  count: number;
}

function expectF32(fn: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${fn}: x must be a Tensor, got ${describe(x)}`);
  if (x.dtype !== 'float32') throw new DTypeError(`${fn}: x must have dtype float32, got ${x.dtype}`);
  return x;
}

/**
 * Mean, population std, fraction of exact zeros and largest magnitude of every
 * element of x (any shape), in one pass of tensor_stats_f32: float64 sums of x
 * and x² in an order fixed by the size, std = sqrt(max(0, E[x²] − mean²)) (the
 * one-pass formula: for |mean| ≫ std its relative error grows as 1e-16 ·
 * mean²/std²). An empty tensor gives zeros and count 0. A NaN element makes mean,
 * std and absMax NaN; an infinity makes mean ±Infinity (NaN with both signs),
 * std NaN and absMax Infinity; zeroFraction stays exact.
 */
export function tensorStats(x: Tensor): TensorStats {
  const fn = 'tensorStats';
  const r = rt(fn);
  expectF32(fn, x);
  const n = x.size;
  if (n === 0) return { mean: 0, std: 0, zeroFraction: 0, absMax: 0, count: 0 };
  const out = r.heap.alloc(32);
  let sum: number, sq: number, zeros: number, absMax: number;
  try {
    r.kernels.tensor_stats_f32(x.offset, out, n);
    const v = new Float64Array(r.memory.buffer, out, 4);
    [sum, sq, zeros, absMax] = [v[0]!, v[1]!, v[2]!, v[3]!];
  } finally {
    r.heap.free(out);
  }
  const mean = sum / n;
  // Math.max(0, NaN) is NaN, so a NaN (or Infinity - Infinity) stays visible in std.
  const variance = Math.max(0, sq / n - mean * mean);
  return { mean, std: Math.sqrt(variance), zeroFraction: zeros / n, absMax, count: n };
}

/**
 * Σ x² over every element of x in float64 (the first pass of clipGradNorm, over
 * sum_squares_f32: f32x4 blocks of 1024 widened to f64, an order fixed by the
 * size). 0 for an empty tensor.
 */
export function sumOfSquares(x: Tensor): number {
  const fn = 'sumOfSquares';
  const r = rt(fn);
  expectF32(fn, x);
  return x.size === 0 ? 0 : r.kernels.sum_squares_f32(x.offset, x.size);
}
