import { describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { Tensor, expectTensor } from '../core/tensor.js';

/** Options of the pooling ops: the padding mask. */
export interface PoolOptions {
  /**
   * [batch, seq] padding mask, int32 or float32, every value 0 or 1 (Hugging Face's
   * `attention_mask`): positions with 0 are left out of the pool. Absent: all kept.
   */
  mask?: Tensor;
}

/** Checks x [B, S, D] (float32) and returns its dims. */
function dims(fn: string, name: string, x: unknown): [number, number, number] {
  return expectTensor(fn, name, x, 3) as [number, number, number];
}

/** dims, and S >= 1 (the first or last position must exist). */
function seqDims(fn: string, name: string, x: unknown): [number, number, number] {
  const d = dims(fn, name, x);
  if (d[1] < 1) throw new ShapeError(`${fn}: ${name} must have seq >= 1, got shape ${formatShape(d)}`);
  return d;
}

/** @internal Throws unless `t` is a Tensor of `dtype` with exactly `shape`; returns it. */
export function expectShape(
  fn: string,
  name: string,
  t: unknown,
  shape: readonly number[],
  dtype: 'float32' | 'int32' = 'float32',
): Tensor {
  expectTensor(fn, name, t, shape.length, dtype);
  const s = (t as Tensor).shape;
  if (s.some((d, i) => d !== shape[i]))
    throw new ShapeError(`${fn}: ${name} must have shape ${formatShape(shape)}, got ${formatShape(s)}`);
  return t as Tensor;
}

/** @internal Throws unless `mask` is absent or a [B, S] Tensor of dtype int32 or float32 (its values unchecked). */
export function checkMask(fn: string, mask: unknown, B: number, S: number): Tensor | undefined {
  if (mask === undefined) return undefined;
  if (!(mask instanceof Tensor)) throw new ArgumentError(`${fn}: mask must be a Tensor, got ${describe(mask)}`);
  if (mask.dtype !== 'int32' && mask.dtype !== 'float32')
    throw new DTypeError(`${fn}: mask must have dtype int32 or float32, got ${mask.dtype}`);
  if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== S) {
    throw new ShapeError(`${fn}: mask must have shape [${B}, ${S}], got ${formatShape(mask.shape)}`);
  }
  return mask;
}

/**
 * @internal The mask [B, S] as the int32 tensor a kernel reads, after checkMask and
 * checking that it holds only 0 and 1: the mask itself, or a float mask's int32 copy
 * (`owned`: the caller frees it); undefined for none.
 */
export function maskInt32(
  fn: string,
  mask: Tensor | undefined,
  B: number,
  S: number,
): { t: Tensor | undefined; owned: boolean } {
  if (checkMask(fn, mask, B, S) === undefined) return { t: undefined, owned: false };
  const v = mask!.view();
  for (let i = 0; i < v.length; i++) {
    const m = v[i]!;
    if (m !== 0 && m !== 1) throw new ArgumentError(`${fn}: mask must hold only 0 and 1, got ${m} at index ${i}`);
  }
  if (mask!.dtype === 'int32') return { t: mask, owned: false };
  const t = Tensor.empty([B, S], 'int32');
  t.view().set(mask!.view());
  return { t, owned: true };
}

/**
 * @internal The mask [B, S] as an int32 tensor for a kernel (pointer 0 for none),
 * checked by maskInt32. A float mask is copied into a temporary that `done()` frees.
 */
export function maskPtr(fn: string, mask: Tensor | undefined, B: number, S: number): { ptr: number; done: () => void } {
  const { t, owned } = maskInt32(fn, mask, B, S);
  return { ptr: t?.offset ?? 0, done: owned ? () => t!.dispose() : () => {} };
}

/**
 * Mean over the sequence of x [B, S, D] at the positions the mask keeps: [B, D].
 * A row whose mask is all 0 pools to 0. Sums in position order, then multiplies
 * by the float32 reciprocal of the count.
 */
export function meanPool(x: Tensor, options: PoolOptions = {}): Tensor {
  const fn = 'meanPool';
  const r = rt(fn);
  const [B, S, D] = dims(fn, 'x', x);
  const m = maskPtr(fn, options.mask, B, S);
  const out = Tensor.empty([B, D]);
  try {
    if (B > 0 && D > 0) r.kernels.mean_pool_fwd(x.offset, m.ptr, out.offset, B, S, D);
  } finally {
    m.done();
  }
  return out;
}

/** dx [B, S, D] += dout[b] / count_b at the kept positions. Same mask as the forward. ACCUMULATES. */
export function meanPoolBackward(dout: Tensor, dx: Tensor, options: PoolOptions = {}): void {
  const fn = 'meanPoolBackward';
  const r = rt(fn);
  const [B, S, D] = dims(fn, 'dx', dx);
  expectShape(fn, 'dout', dout, [B, D]);
  const m = maskPtr(fn, options.mask, B, S);
  try {
    if (B > 0 && D > 0) r.kernels.mean_pool_bwd(dout.offset, m.ptr, dx.offset, B, S, D);
  } finally {
    m.done();
  }
}

/**
 * Max over the sequence of x [B, S, D] at the kept positions, per feature: `out` [B, D]
 * and `argmax` [B, D] int32 (the first position reaching the max; -1 and out 0 for a
 * row with no kept position), which maxPoolBackward needs.
 */
export function maxPool(x: Tensor, options: PoolOptions = {}): { out: Tensor; argmax: Tensor } {
  const fn = 'maxPool';
  const r = rt(fn);
  const [B, S, D] = dims(fn, 'x', x);
  const m = maskPtr(fn, options.mask, B, S);
  const out = Tensor.empty([B, D]);
  const argmax = Tensor.empty([B, D], 'int32');
  try {
    if (B > 0 && D > 0) r.kernels.max_pool_fwd(x.offset, m.ptr, out.offset, argmax.offset, B, S, D);
  } finally {
    m.done();
  }
  return { out, argmax };
}

/** dx[b, argmax[b, c], c] += dout[b, c] (rows with argmax -1 get nothing). ACCUMULATES. */
export function maxPoolBackward(argmax: Tensor, dout: Tensor, dx: Tensor): void {
  const fn = 'maxPoolBackward';
  const r = rt(fn);
  const [B, S, D] = dims(fn, 'dx', dx);
  expectShape(fn, 'argmax', argmax, [B, D], 'int32');
  expectShape(fn, 'dout', dout, [B, D]);
  const a = argmax.view() as Int32Array;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < -1 || a[i]! >= S)
      throw new ArgumentError(`${fn}: argmax must be in [-1, ${S}), got ${a[i]} at index ${i}`);
  }
  if (B > 0 && D > 0) r.kernels.max_pool_bwd(argmax.offset, dout.offset, dx.offset, B, S, D);
}

/** The first position of each sequence (BERT's [CLS]): x [B, S, D] -> [B, D]; S >= 1. */
export function firstPool(x: Tensor): Tensor {
  const fn = 'firstPool';
  const r = rt(fn);
  const [B, S, D] = seqDims(fn, 'x', x);
  const out = Tensor.empty([B, D]);
  if (B > 0 && D > 0) r.kernels.first_pool_fwd(x.offset, out.offset, B, S, D);
  return out;
}

/** dx[b, 0, :] += dout[b, :]. ACCUMULATES. */
export function firstPoolBackward(dout: Tensor, dx: Tensor): void {
  const fn = 'firstPoolBackward';
  const r = rt(fn);
  const [B, S, D] = seqDims(fn, 'dx', dx);
  expectShape(fn, 'dout', dout, [B, D]);
  if (B > 0 && D > 0) r.kernels.first_pool_bwd(dout.offset, dx.offset, B, S, D);
}

/**
 * The last position of each sequence that the mask keeps (x[:, S - 1] without a
 * mask; the final state of a recurrent encoder over right-padded rows): x [B, S, D]
 * -> [B, D]; a row whose mask is all 0 pools to 0. S >= 1.
 */
export function lastPool(x: Tensor, options: PoolOptions = {}): Tensor {
  const fn = 'lastPool';
  const r = rt(fn);
  const [B, S, D] = seqDims(fn, 'x', x);
  const m = maskPtr(fn, options.mask, B, S);
  const out = Tensor.empty([B, D]);
  try {
    if (B > 0 && D > 0) r.kernels.last_pool_fwd(x.offset, m.ptr, out.offset, B, S, D);
  } finally {
    m.done();
  }
  return out;
}

/** dx[b, last kept s, :] += dout[b, :] (rows with no kept position get nothing). Same mask as the forward. ACCUMULATES. */
export function lastPoolBackward(dout: Tensor, dx: Tensor, options: PoolOptions = {}): void {
  const fn = 'lastPoolBackward';
  const r = rt(fn);
  const [B, S, D] = seqDims(fn, 'dx', dx);
  expectShape(fn, 'dout', dout, [B, D]);
  const m = maskPtr(fn, options.mask, B, S);
  try {
    if (B > 0 && D > 0) r.kernels.last_pool_bwd(dout.offset, m.ptr, dx.offset, B, S, D);
  } finally {
    m.done();
  }
}
