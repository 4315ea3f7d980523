import { describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { type DType, Tensor, expectTensor } from '../core/tensor.js';

/** Throws unless `t` is a Tensor of `dtype` (any rank); returns its shape. */
function expectAnyRank(fn: string, arg: string, t: unknown, dtype: DType): readonly number[] {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}: ${arg} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== dtype) throw new DTypeError(`${fn}: ${arg} must have dtype ${dtype}, got ${t.dtype}`);
  return t.shape;
}

/** `[1, 2]` for flat index 5 of shape [2, 3]: positions in messages. */
function position(shape: readonly number[], flat: number): string {
  const idx: number[] = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    idx[d] = flat % n;
    flat = Math.floor(flat / n);
  }
  return `[${idx.join(', ')}]`;
}

/** Scans the int32 ids once: every id must be in [0, vocab). */
function checkIds(fn: string, ids: Tensor, vocab: number): void {
  const v = ids.view() as Int32Array;
  for (let i = 0; i < v.length; i++) {
    const id = v[i]!;
    if (id < 0 || id >= vocab) {
      throw new ArgumentError(
        `${fn}: ids${position(ids.shape, i)} must be in [0, ${vocab}), got ${id} (flat position ${i})`,
      );
    }
  }
}

/**
 * Embedding lookup: rows of `weight` (V, D) gathered by the int32 `ids` (any
 * shape); the result has shape [...ids.shape, D] and the table's exact bits.
 * Every id is checked against [0, V) before the kernel runs (ArgumentError
 * naming the position and the value). `out`, when given, is written instead of
 * a new tensor and must not be `weight`.
 */
export function embedding(weight: Tensor, ids: Tensor, options: { out?: Tensor } = {}): Tensor {
  const fn = 'embedding';
  const r = rt(fn);
  const [vocab, dim] = expectTensor(fn, 'weight', weight, 2) as [number, number];
  const idShape = expectAnyRank(fn, 'ids', ids, 'int32');
  const shape = [...idShape, dim];
  let out = options.out;
  if (out !== undefined) {
    const os = expectAnyRank(fn, 'out', out, 'float32');
    if (formatShape(os) !== formatShape(shape))
      throw new ShapeError(`${fn}: out must have shape ${formatShape(shape)}, got ${formatShape(os)}`);
    if (out === weight) throw new ArgumentError(`${fn}: out must not be weight, got the same Tensor`);
  }
  checkIds(fn, ids, vocab);
  out ??= Tensor.empty(shape);
  if (ids.size > 0 && dim > 0) r.kernels.embedding_fwd_f32(weight.offset, ids.offset, out.offset, ids.size, dim, vocab);
  return out;
}

/**
 * Embedding backward: dweight[ids[i]] += dy[i] (rows of D) for every position i
 * in flat order, so repeated ids add up, deterministically. ACCUMULATES into
 * `dweight` (V, D); `dy` has shape [...ids.shape, D].
 */
export function embeddingBackward(ids: Tensor, dy: Tensor, dweight: Tensor): void {
  const fn = 'embeddingBackward';
  const r = rt(fn);
  const idShape = expectAnyRank(fn, 'ids', ids, 'int32');
  const [vocab, dim] = expectTensor(fn, 'dweight', dweight, 2) as [number, number];
  const shape = [...idShape, dim];
  const ds = expectAnyRank(fn, 'dy', dy, 'float32');
  if (formatShape(ds) !== formatShape(shape))
    throw new ShapeError(`${fn}: dy must have shape ${formatShape(shape)}, got ${formatShape(ds)}`);
  if (dy === dweight) throw new ArgumentError(`${fn}: dy must not be dweight, got the same Tensor`);
  checkIds(fn, ids, vocab);
  if (ids.size > 0 && dim > 0) r.kernels.embedding_bwd_f32(ids.offset, dy.offset, dweight.offset, ids.size, dim, vocab);
}
