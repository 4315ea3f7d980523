import { describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { Tensor, expectTensor } from '../core/tensor.js';

/** Options of `layerNorm`: eps and an output buffer. */
export interface LayerNormOptions {
  /** Added to the variance before the square root; default 1e-5 (PyTorch). Finite, >= 0. */
  eps?: number;
  /**
   * float32 tensor of x's shape to write y into instead of allocating one. It may be
   * x itself (in place), but then x is gone and layerNormBackward needs x.
   */
  out?: Tensor;
}

/** What `layerNorm` returns: the output, and the per-row mean and 1 / std saved for the backward. */
export interface LayerNormResult {
  /** Normalised output, x's shape. */
  y: Tensor;
  /** (rows) per-row mean, saved for the backward. */
  mean: Tensor;
  /** (rows) per-row 1 / sqrt(var + eps), biased variance, saved for the backward. */
  rstd: Tensor;
}

/** The gradients `layerNormBackward` accumulates into (each optional). */
export interface LayerNormGrads {
  /** x's shape; dx += d loss / d x. */
  dx?: Tensor;
  /** (C); dgamma += d loss / d gamma. */
  dgamma?: Tensor;
  /** (C); dbeta += d loss / d beta. */
  dbeta?: Tensor;
}

/** Any-rank float32 x with a last dimension >= 1: returns [rows, C]. */
function rowsAndCols(fn: string, name: string, x: unknown): [number, number] {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${fn}: ${name} must be a Tensor, got ${describe(x)}`);
  if (x.dtype !== 'float32') throw new DTypeError(`${fn}: ${name} must have dtype float32, got ${x.dtype}`);
  if (x.rank < 1) throw new ShapeError(`${fn}: ${name} must have rank >= 1, got shape ${formatShape(x.shape)}`);
  const C = x.shape[x.rank - 1]!;
  if (C < 1) throw new ShapeError(`${fn}: ${name} must have a last dimension >= 1, got shape ${formatShape(x.shape)}`);
  return [x.size / C, C];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function expectVector(fn: string, name: string, t: unknown, n: number): void {
  const [len] = expectTensor(fn, name, t, 1);
  if (len !== n) throw new ShapeError(`${fn}: ${name} must have shape [${n}], got ${formatShape((t as Tensor).shape)}`);
}

function expectLike(fn: string, name: string, t: unknown, x: Tensor): void {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}: ${name} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32') throw new DTypeError(`${fn}: ${name} must have dtype float32, got ${t.dtype}`);
  if (!sameShape(t.shape, x.shape))
    throw new ShapeError(`${fn}: ${name} must have shape ${formatShape(x.shape)}, got ${formatShape(t.shape)}`);
}

/**
 * Layer normalisation over the last dimension: x is viewed as (rows, C) with
 * C = x.shape[rank - 1]; y = (x - mean) / sqrt(var + eps) * gamma + beta per row,
 * biased variance (PyTorch `nn.LayerNorm`, BERT). Returns y and the saved
 * per-row statistics for `layerNormBackward`.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, options: LayerNormOptions = {}): LayerNormResult {
  const fn = 'layerNorm';
  const r = rt(fn);
  const [rows, C] = rowsAndCols(fn, 'x', x);
  expectVector(fn, 'gamma', gamma, C);
  expectVector(fn, 'beta', beta, C);
  const eps = options.eps ?? 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new ArgumentError(`${fn}: eps must be a finite number >= 0, got ${eps}`);
  }
  let y = options.out;
  if (y !== undefined) {
    expectLike(fn, 'out', y, x);
    if (y === gamma || y === beta) throw new ArgumentError(`${fn}: out must not be gamma or beta, got the same Tensor`);
  } else {
    y = Tensor.empty(x.shape);
  }
  const mean = Tensor.empty([rows]);
  const rstd = Tensor.empty([rows]);
  if (rows > 0) {
    r.kernels.layer_norm_fwd_f32(x.offset, gamma.offset, beta.offset, y.offset, mean.offset, rstd.offset, rows, C, eps);
  }
  return { y, mean, rstd };
}

/**
 * Layer norm backward; ACCUMULATES into each gradient given (absent ones are not
 * computed): dx += rstd (g - mean(g) - xhat mean(g xhat)) with g = dy gamma and
 * xhat = (x - mean) rstd; dgamma += sum over rows of dy xhat; dbeta += sum of dy.
 * `mean` and `rstd` are the ones `layerNorm` returned for this x.
 */
export function layerNormBackward(
  x: Tensor,
  gamma: Tensor,
  mean: Tensor,
  rstd: Tensor,
  dy: Tensor,
  grads: LayerNormGrads,
): void {
  const fn = 'layerNormBackward';
  const r = rt(fn);
  const [rows, C] = rowsAndCols(fn, 'x', x);
  expectVector(fn, 'gamma', gamma, C);
  expectVector(fn, 'mean', mean, rows);
  expectVector(fn, 'rstd', rstd, rows);
  expectLike(fn, 'dy', dy, x);
  if (grads === null || typeof grads !== 'object') {
    throw new ArgumentError(`${fn}: grads must be an object { dx?, dgamma?, dbeta? }, got ${describe(grads)}`);
  }
  const { dx, dgamma, dbeta } = grads;
  const inputs: unknown[] = [x, gamma, mean, rstd, dy];
  if (dx !== undefined) expectLike(fn, 'dx', dx, x);
  if (dgamma !== undefined) expectVector(fn, 'dgamma', dgamma, C);
  if (dbeta !== undefined) expectVector(fn, 'dbeta', dbeta, C);
  const outs = [dx, dgamma, dbeta].filter((t) => t !== undefined);
  for (const [i, t] of outs.entries()) {
    if (inputs.includes(t) || outs.indexOf(t) !== i) {
      throw new ArgumentError(`${fn}: each gradient must be a distinct Tensor that is not an input, got an alias`);
    }
  }
  if (rows === 0 || outs.length === 0) return;
  r.kernels.layer_norm_bwd_f32(
    x.offset,
    gamma.offset,
    mean.offset,
    rstd.offset,
    dy.offset,
    dx?.offset ?? 0,
    dgamma?.offset ?? 0,
    dbeta?.offset ?? 0,
    rows,
    C,
  );
}
