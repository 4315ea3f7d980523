import { checkFinite, checkObject, describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { Tensor } from '../core/tensor.js';

/** Throws unless `t` is a float32 Tensor (any rank); returns its shape. */
function expectF32(fn: string, arg: string, t: unknown): readonly number[] {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}: ${arg} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32') throw new DTypeError(`${fn}: ${arg} must have dtype float32, got ${t.dtype}`);
  return t.shape;
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Checks that `t` has `shape` (message names `what` it must match). */
function expectShape(fn: string, arg: string, t: Tensor, shape: readonly number[], what: string): void {
  if (!sameShape(t.shape, shape))
    throw new ShapeError(`${fn}: ${arg} must have shape ${formatShape(shape)} (${what}), got ${formatShape(t.shape)}`);
}

/** The given `out` (checked: float32, `shape`) or a new tensor of `shape`. Lane-wise ops may write over an input. */
function output(fn: string, out: Tensor | undefined, shape: readonly number[]): Tensor {
  if (out === undefined) return Tensor.empty(shape);
  expectF32(fn, 'out', out);
  expectShape(fn, 'out', out, shape, 'the shape of the result');
  return out;
}

/** (rows, cols) of x viewed as a matrix over its last dimension; rank >= 1. */
function rowsCols(fn: string, arg: string, shape: readonly number[]): [number, number] {
  if (shape.length < 1) throw new ShapeError(`${fn}: ${arg} must have rank >= 1, got shape ${formatShape(shape)}`);
  const cols = shape[shape.length - 1]!;
  let rows = 1;
  for (let d = 0; d < shape.length - 1; d++) rows *= shape[d]!;
  return [rows, cols];
}

/**
 * a + b elementwise. `b` has the shape of `a`, or is a row vector [C] with C
 * the last dimension of `a` (then this is `biasAdd(a, b)`). `out` may be `a`
 * or `b` (in place).
 */
export function add(a: Tensor, b: Tensor, options: { out?: Tensor } = {}): Tensor {
  const fn = 'add';
  const r = rt(fn);
  const as = expectF32(fn, 'a', a);
  const bs = expectF32(fn, 'b', b);
  if (!sameShape(as, bs)) {
    if (bs.length === 1 && as.length >= 1 && bs[0] === as[as.length - 1]) return biasAdd(a, b, options);
    throw new ShapeError(
      `${fn}: b must have shape ${formatShape(as)} or [${as[as.length - 1] ?? 1}] (a row broadcast), got ${formatShape(bs)}`,
    );
  }
  const out = output(fn, options.out, as);
  if (a.size > 0) r.kernels.add_f32(a.offset, b.offset, out.offset, a.size);
  return out;
}

/** a * b elementwise (same shape). `out` may be `a` or `b`. */
export function mul(a: Tensor, b: Tensor, options: { out?: Tensor } = {}): Tensor {
  const fn = 'mul';
  const r = rt(fn);
  const as = expectF32(fn, 'a', a);
  expectF32(fn, 'b', b);
  expectShape(fn, 'b', b, as, 'the shape of a');
  const out = output(fn, options.out, as);
  if (a.size > 0) r.kernels.mul_f32(a.offset, b.offset, out.offset, a.size);
  return out;
}

/** s * x, with s rounded to float32. `out` may be `x`. */
export function scale(x: Tensor, s: number, options: { out?: Tensor } = {}): Tensor {
  const fn = 'scale';
  const r = rt(fn);
  const xs = expectF32(fn, 'x', x);
  checkFinite(fn, 's', s);
  const out = output(fn, options.out, xs);
  if (x.size > 0) r.kernels.scale_f32(x.offset, out.offset, x.size, s);
  return out;
}

/** y += alpha * x (same shape; alpha rounded to float32). `y` may be `x`. */
export function axpy(alpha: number, x: Tensor, y: Tensor): void {
  const fn = 'axpy';
  const r = rt(fn);
  checkFinite(fn, 'alpha', alpha);
  const xs = expectF32(fn, 'x', x);
  expectF32(fn, 'y', y);
  expectShape(fn, 'y', y, xs, 'the shape of x');
  if (x.size > 0) r.kernels.axpy_f32(x.offset, y.offset, x.size, alpha);
}

/** x + bias with x [..., C] and bias [C] added to every row. `out` may be `x`. */
export function biasAdd(x: Tensor, bias: Tensor, options: { out?: Tensor } = {}): Tensor {
  const fn = 'biasAdd';
  const r = rt(fn);
  const xs = expectF32(fn, 'x', x);
  const [rows, cols] = rowsCols(fn, 'x', xs);
  expectF32(fn, 'bias', bias);
  expectShape(fn, 'bias', bias, [cols], 'the last dimension of x');
  const out = output(fn, options.out, xs);
  if (out === bias) throw new ArgumentError(`${fn}: out must not be bias, got the same Tensor`);
  if (x.size > 0) r.kernels.bias_add_f32(x.offset, bias.offset, out.offset, rows, cols);
  return out;
}

/**
 * Column sums, the bias gradient: out[c] += sum over all leading positions of
 * x[..., c]. x is [..., C], out is [C]; ACCUMULATES into `out`. Each column is
 * summed in row order in f32, then added to out once.
 */
export function sumRows(x: Tensor, out: Tensor): void {
  const fn = 'sumRows';
  const r = rt(fn);
  const xs = expectF32(fn, 'x', x);
  const [rows, cols] = rowsCols(fn, 'x', xs);
  expectF32(fn, 'out', out);
  expectShape(fn, 'out', out, [cols], 'the last dimension of x');
  if (out === x) throw new ArgumentError(`${fn}: out must not be x, got the same Tensor`);
  if (cols > 0 && rows > 0) r.kernels.sum_rows_f32(x.offset, out.offset, rows, cols);
}

/**
 * Row sums: out[r] += sum_c x[r, c] over the last dimension. x is [..., C]; out
 * has the leading shape of x or is flat [rows]; ACCUMULATES into `out`.
 */
export function sumCols(x: Tensor, out: Tensor): void {
  const fn = 'sumCols';
  const r = rt(fn);
  const xs = expectF32(fn, 'x', x);
  const [rows, cols] = rowsCols(fn, 'x', xs);
  const os = expectF32(fn, 'out', out);
  const lead = xs.slice(0, -1);
  if (!sameShape(os, lead) && !sameShape(os, [rows])) {
    throw new ShapeError(
      `${fn}: out must have shape ${formatShape(lead)} or [${rows}] (the rows of x), got ${formatShape(os)}`,
    );
  }
  if (out === x) throw new ArgumentError(`${fn}: out must not be x, got the same Tensor`);
  if (rows > 0) r.kernels.sum_cols_f32(x.offset, out.offset, rows, cols);
}

/**
 * Dropout randomness. Element i (flat index) of the masked tensor uses word
 * i & 3 of the Philox4x32-10 block (seed, stream, counter + (i >> 2)), the word
 * `new Philox(seed, stream, counter)` gives at its i-th nextU32(); it is dropped
 * iff (word >>> 8) < round(p * 2^24); kept elements are multiplied by
 * fround(1 / (1 - p)). A call uses ceil(size / 4) counter values: advance the
 * counter by that much for an independent next mask.
 */
export interface DropoutOptions {
  /** Drop probability in [0, 1). */
  p: number;
  /** Integer in [0, 2^53). */
  seed: number;
  /** Integer in [0, 2^32); default 0. */
  stream?: number;
  /** Philox block counter of element 0, integer in [0, 2^53); default 0. */
  counter?: number;
}

interface DropoutParams {
  key0: number;
  key1: number;
  stream: number;
  lo: number;
  hi: number;
  threshold: number;
  scale: number;
  p: number;
}

function dropoutParams(fn: string, o: DropoutOptions): DropoutParams {
  checkObject(fn, 'options', o, 'an object with p and seed');
  const { p, seed } = o;
  const stream = o.stream ?? 0;
  const counter = o.counter ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1))
    throw new ArgumentError(`${fn}: p must be a number in [0, 1), got ${String(p)}`);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ArgumentError(`${fn}: seed must be an integer in [0, 2^53), got ${String(seed)}`);
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
    throw new ArgumentError(`${fn}: stream must be an integer in [0, 2^32), got ${String(stream)}`);
  }
  if (!Number.isSafeInteger(counter) || counter < 0)
    throw new ArgumentError(`${fn}: counter must be an integer in [0, 2^53), got ${String(counter)}`);
  const threshold = Math.round(p * 2 ** 24);
  if (threshold >= 2 ** 24) throw new ArgumentError(`${fn}: p must round to below 1 at 24 bits, got ${p}`);
  return {
    key0: seed >>> 0,
    key1: Math.floor(seed / 2 ** 32) >>> 0,
    stream: stream >>> 0,
    lo: counter >>> 0,
    hi: Math.floor(counter / 2 ** 32) >>> 0,
    threshold,
    scale: Math.fround(1 / (1 - p)),
    p,
  };
}

/**
 * Inverted dropout: out = x * mask / (1 - p), the mask from the counter-based
 * RNG (see DropoutOptions); p = 0 copies x. `out` may be `x`.
 */
export function dropout(x: Tensor, options: DropoutOptions & { out?: Tensor }): Tensor {
  const fn = 'dropout';
  const r = rt(fn);
  const xs = expectF32(fn, 'x', x);
  const d = dropoutParams(fn, options);
  const out = output(fn, options.out, xs);
  if (x.size === 0) return out;
  if (d.p === 0) {
    if (out !== x) out.view().set(x.view());
    return out;
  }
  r.kernels.dropout_fwd_f32(x.offset, out.offset, x.size, d.key0, d.key1, d.stream, d.lo, d.hi, d.threshold, d.scale);
  return out;
}

/**
 * Dropout backward: dx += dy * mask / (1 - p), the mask regenerated from the
 * same options as the forward (nothing stored). ACCUMULATES into `dx`.
 */
export function dropoutBackward(dy: Tensor, dx: Tensor, options: DropoutOptions): void {
  const fn = 'dropoutBackward';
  const r = rt(fn);
  const ys = expectF32(fn, 'dy', dy);
  expectF32(fn, 'dx', dx);
  expectShape(fn, 'dx', dx, ys, 'the shape of dy');
  const d = dropoutParams(fn, options);
  if (dy.size === 0) return;
  if (d.p === 0) {
    r.kernels.add_f32(dx.offset, dy.offset, dx.offset, dy.size);
    return;
  }
  r.kernels.dropout_bwd_f32(dy.offset, dx.offset, dy.size, d.key0, d.key1, d.stream, d.lo, d.hi, d.threshold, d.scale);
}

/**
 * Sinusoidal position encodings (Vaswani et al. 2017), a [seq, dim] float32 tensor:
 * PE[pos, 2i] = sin(pos / 10000^(2i/dim)), PE[pos, 2i+1] = cos(pos / 10000^(2i/dim)).
 * Computed in the kernel in float64 with the module's own pow/sin/cos (compiled
 * Wasm code, not the host's Math), rounded once to float32: the same bits in
 * every runtime.
 */
export function sinusoidalPositions(seq: number, dim: number): Tensor {
  const fn = 'sinusoidalPositions';
  const r = rt(fn);
  if (!Number.isInteger(seq) || seq < 0)
    throw new ArgumentError(`${fn}: seq must be a non-negative integer, got ${String(seq)}`);
  if (!Number.isInteger(dim) || dim < 0)
    throw new ArgumentError(`${fn}: dim must be a non-negative integer, got ${String(dim)}`);
  const out = Tensor.empty([seq, dim]);
  if (seq > 0 && dim > 0) r.kernels.sinusoidal_positions_f32(out.offset, seq, dim);
  return out;
}
