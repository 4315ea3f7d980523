// Padding masks for the ops that take one ([B, T], every value 0 or 1).
import { Tensor } from '../../src/core/tensor.js';

/** Mask values as the tensor an op takes: int32 for `dtype` 'int32', else a float32 copy; undefined without values. */
export function maskTensor(
  values: ArrayLike<number> | undefined,
  shape: [number, number],
  dtype: 'none' | 'int32' | 'float32',
): Tensor | undefined {
  if (values === undefined) return undefined;
  return dtype === 'int32'
    ? Tensor.fromArray(values, shape, 'int32')
    : Tensor.fromArray(Float32Array.from(values), shape);
}
