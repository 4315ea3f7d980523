import { checkOptions, checkPositiveInt, describe } from '../core/check.js';
import { ArgumentError, ShapeError, formatShape } from '../core/errors.js';
import { ACT_NONE } from '../core/kernels.js';
import { rt } from '../core/runtime.js';
import { Tensor, expectTensor } from '../core/tensor.js';
import { gemmWorkspace } from './matmul.js';
import { gemmF32 } from './parallel.js';
import { expectShape, maskPtr } from './pool.js';

// PyTorch's F.conv1d on our channels-last sequence layout: x [B, T, Cin] and a
// PyTorch weight [Cout, Cin, K]. The forward lays every receptive field out as
// one row of cols [B * Tout, Cin * K] (im2col, in the flatten order of the
// weight) and runs ONE GEMM y = cols W^T + bias through the threaded GEMM op;
// the backward is dW += dout^T cols, dbias += column sums of dout, and
// dcols = dout W added back into dx (col2im). cols is scratch, recomputed by
// the backward instead of stored.

/** Options of `conv1d`: padding, dilation, stride and the padding mask. */
export interface Conv1dOptions {
  /**
   * Zeros added at both ends of the sequence: an integer >= 0 (that many on each
   * side, PyTorch's int padding), 'valid' (= 0) or 'same' (stride 1 only, as
   * PyTorch: dilation * (K - 1) in total, the floor of half of it on the left,
   * so Tout = T). Default 0.
   */
  padding?: 'same' | 'valid' | number;
  /** Spacing of the taps; default 1. */
  dilation?: number;
  /** Step between output positions; default 1. */
  stride?: number;
  /**
   * [B, T] padding mask, int32 or float32, every value 0 or 1: input positions with
   * 0 read as zeros (padding tokens do not leak into real positions) and get no
   * gradient. Output positions are all computed. Absent: all kept.
   */
  mask?: Tensor;
}

/** The gradients `conv1dBackward` accumulates into (each optional). */
export interface Conv1dGrads {
  /** [B, T, Cin]; dx += the taps of dout W at each kept input position. */
  dx?: Tensor;
  /** [Cout, Cin, K]; dweight += dout^T cols. */
  dweight?: Tensor;
  /** [Cout]; dbias += the sums of dout over batch and positions. */
  dbias?: Tensor;
}

const OPTION_KEYS = ['padding', 'dilation', 'stride', 'mask'] as const;

/** Checked stride, dilation and padding mode of a convolution (no sequence length involved). */
export interface Conv1dParams {
  stride: number;
  dilation: number;
  padding: 'same' | number;
}

/** @internal Checks the option values of a convolution (not the mask) and resolves 'valid' to 0. */
export function conv1dParams(
  fn: string,
  options: Pick<Conv1dOptions, 'padding' | 'dilation' | 'stride'>,
): Conv1dParams {
  const stride = options.stride === undefined ? 1 : checkPositiveInt(fn, 'stride', options.stride);
  const dilation = options.dilation === undefined ? 1 : checkPositiveInt(fn, 'dilation', options.dilation);
  const p = options.padding ?? 0;
  let padding: 'same' | number;
  if (p === 'valid') padding = 0;
  else if (p === 'same') {
    if (stride !== 1)
      throw new ArgumentError(`${fn}: stride must be 1 with padding 'same' (as PyTorch), got ${stride}`);
    padding = 'same';
  } else if (typeof p === 'number' && Number.isSafeInteger(p) && p >= 0) padding = p;
  else
    throw new ArgumentError(
      `${fn}: padding must be 'same', 'valid' or an integer >= 0, got ${typeof p === 'number' ? p : describe(p)}`,
    );
  return { stride, dilation, padding };
}

interface Geometry {
  Tout: number;
  padLeft: number;
  stride: number;
  dilation: number;
}

/** Output length and left padding for a sequence of T positions and kernel size K. */
function geometry(fn: string, T: number, K: number, p: Conv1dParams): Geometry {
  const total = p.padding === 'same' ? p.dilation * (K - 1) : 2 * p.padding;
  const padLeft = p.padding === 'same' ? Math.floor(total / 2) : p.padding;
  const padded = T + total;
  // Positions are i32 in the kernels: t * stride + j * dilation stays below the padded length.
  if (padded > 2 ** 31 - 1)
    throw new ArgumentError(
      `${fn}: padding must keep the padded length below 2^31, got ${T} positions + ${total} of padding`,
    );
  const span = p.dilation * (K - 1) + 1;
  if (padded < span) {
    throw new ShapeError(
      `${fn}: x must have at least ${span - total} positions (the kernel spans dilation * (K - 1) + 1 = ${span}, ` +
        `padding adds ${total}), got ${T}`,
    );
  }
  return { Tout: Math.floor((padded - span) / p.stride) + 1, padLeft, stride: p.stride, dilation: p.dilation };
}

/** The options bag, checked for unknown keys. */
function optionsOf(fn: string, options: unknown): Conv1dOptions {
  return checkOptions<Conv1dOptions>(fn, 'options', options ?? {}, OPTION_KEYS);
}

/**
 * The output length of a convolution over T positions with kernel size K:
 * floor((T + total padding - dilation * (K - 1) - 1) / stride) + 1 (T for 'same').
 * Throws a ShapeError when the kernel does not fit in the padded sequence.
 */
export function conv1dOutputLength(T: number, K: number, options: Conv1dOptions = {}): number {
  const fn = 'conv1dOutputLength';
  if (typeof T !== 'number' || !Number.isSafeInteger(T) || T < 0)
    throw new ArgumentError(`${fn}: T must be a non-negative integer, got ${typeof T === 'number' ? T : describe(T)}`);
  checkPositiveInt(fn, 'K', K);
  return geometry(fn, T, K, conv1dParams(fn, optionsOf(fn, options))).Tout;
}

/** Checks x [B, T, Cin] and weight [Cout, Cin, K]; returns [B, T, Cin, Cout, K]. */
function dims(fn: string, x: Tensor, weight: Tensor): [number, number, number, number, number] {
  const [B, T, Cin] = expectTensor(fn, 'x', x, 3) as [number, number, number];
  const [Cout, Cw, K] = expectTensor(fn, 'weight', weight, 3) as [number, number, number];
  if (Cw !== Cin || K < 1) {
    throw new ShapeError(
      `${fn}: weight must have shape [out, ${Cin}, K] with K >= 1 (in = the channels of x ${formatShape(x.shape)}), ` +
        `got ${formatShape(weight.shape)}`,
    );
  }
  return [B, T, Cin, Cout, K];
}

/**
 * 1-D convolution over the sequence axis (PyTorch's F.conv1d with channels last):
 * x [B, T, Cin], weight [Cout, Cin, K] (PyTorch's layout), bias [Cout] or null →
 * [B, Tout, Cout] with out[b, t, o] = bias[o] + Σ_{c, j} W[o, c, j] · x[b, t·stride +
 * j·dilation − padLeft, c], positions outside the sequence (or masked out) reading 0.
 * One GEMM over the im2col rows; the sum over (c, j) is the GEMM's fixed order.
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const fn = 'conv1d';
  const r = rt(fn);
  const [B, T, Cin, Cout, K] = dims(fn, x, weight);
  if (bias !== null && bias !== undefined) expectShape(fn, 'bias', bias, [Cout]);
  const o = optionsOf(fn, options);
  const g = geometry(fn, T, K, conv1dParams(fn, o));
  const M = B * g.Tout;
  const KK = Cin * K;
  const m = maskPtr(fn, o.mask, B, T);
  let cols: Tensor | undefined;
  try {
    if (M > 0 && Cout > 0 && KK > 0) {
      cols = Tensor.empty([M, KK]);
      r.kernels.conv1d_im2col_f32(x.offset, m.ptr, cols.offset, B, T, Cin, g.Tout, K, g.stride, g.dilation, g.padLeft);
    }
    const y = Tensor.empty([B, g.Tout, Cout]);
    if (M > 0 && Cout > 0) {
      // Cin = 0 leaves k = 0: the GEMM writes the bias (or zeros) without reading cols.
      gemmF32(
        r,
        cols?.offset ?? 0,
        weight.offset,
        bias?.offset ?? 0,
        y.offset,
        gemmWorkspace(r),
        M,
        Cout,
        KK,
        KK,
        KK,
        Cout,
        0,
        1,
        1,
        0,
        ACT_NONE,
      );
    }
    return y;
  } finally {
    cols?.dispose();
    m.done();
  }
}

/**
 * Gradients of `conv1d` for dout [B, Tout, Cout]; ACCUMULATES into each buffer of
 * `into` that is given: dweight += dout^T cols (cols recomputed from x), dbias +=
 * the sums of dout over (b, t), dx += col2im(dout W) (masked and padding positions
 * get nothing). Options (and mask) as in the forward.
 */
export function conv1dBackward(
  x: Tensor,
  weight: Tensor,
  dout: Tensor,
  into: Conv1dGrads,
  options: Conv1dOptions = {},
): void {
  const fn = 'conv1dBackward';
  const r = rt(fn);
  const [B, T, Cin, Cout, K] = dims(fn, x, weight);
  const o = optionsOf(fn, options);
  const g = geometry(fn, T, K, conv1dParams(fn, o));
  expectShape(fn, 'dout', dout, [B, g.Tout, Cout]);
  if (into === null || typeof into !== 'object')
    throw new ArgumentError(`${fn}: into must be an object of gradient Tensors, got ${describe(into)}`);
  const { dx, dweight, dbias } = into;
  if (dx !== undefined) expectShape(fn, 'dx', dx, [B, T, Cin]);
  if (dweight !== undefined) expectShape(fn, 'dweight', dweight, [Cout, Cin, K]);
  if (dbias !== undefined) expectShape(fn, 'dbias', dbias, [Cout]);
  const M = B * g.Tout;
  const KK = Cin * K;
  const m = maskPtr(fn, o.mask, B, T);
  let cols: Tensor | undefined;
  try {
    if (M === 0 || Cout === 0) return;
    if (dbias !== undefined) r.kernels.sum_rows_f32(dout.offset, dbias.offset, M, Cout);
    if (KK === 0 || (dx === undefined && dweight === undefined)) return;
    // One scratch [M, Cin * K]: first the im2col rows for dW, then dcols for dx.
    cols = Tensor.empty([M, KK]);
    const work = gemmWorkspace(r);
    if (dweight !== undefined) {
      r.kernels.conv1d_im2col_f32(x.offset, m.ptr, cols.offset, B, T, Cin, g.Tout, K, g.stride, g.dilation, g.padLeft);
      gemmF32(r, dout.offset, cols.offset, 0, dweight.offset, work, Cout, KK, M, Cout, KK, KK, 1, 0, 1, 1, ACT_NONE);
    }
    if (dx !== undefined) {
      gemmF32(r, dout.offset, weight.offset, 0, cols.offset, work, M, KK, Cout, Cout, KK, KK, 0, 0, 1, 0, ACT_NONE);
      r.kernels.conv1d_col2im_f32(cols.offset, m.ptr, dx.offset, B, T, Cin, g.Tout, K, g.stride, g.dilation, g.padLeft);
    }
  } finally {
    cols?.dispose();
    m.done();
  }
}
