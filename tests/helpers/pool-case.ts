// The inputs of the pooling tests (x [B, S, D], mask [B, S]), seeded by the shape.
import { Tensor } from '../../src/core/tensor.js';
import { seededValues } from '../reference/softmax.js';
import { maskTensor } from './masks.js';

/**
 * A [B, S] mask with a ragged length per row (S − (3b mod S), at least 1); row 1
 * (when B > 2) is all padding. With `hole`, the last row (when B > 1 and S > 2)
 * keeps only positions 0 and S − 2, so its last kept position is not the end of a prefix.
 */
export function raggedMask(B: number, S: number, hole = false): Int32Array {
  const m = new Int32Array(B * S);
  for (let b = 0; b < B; b++) {
    const len = B > 2 && b === 1 ? 0 : Math.max(1, S - ((b * 3) % S));
    for (let s = 0; s < len; s++) m[b * S + s] = 1;
  }
  if (hole && B > 1 && S > 2) {
    const o = (B - 1) * S;
    m.fill(0, o, o + S);
    m[o] = 1;
    m[o + S - 2] = 1;
  }
  return m;
}

/**
 * x [B, S, D] (values `xv`), the mask (values `mv`: raggedMask(B, S, hole), as the
 * tensor `masked` says, none for 'none'), the values of dout [B, D] and of dx0
 * [B, S, D] (the gradient a backward accumulates onto).
 */
export function poolCase(B: number, S: number, D: number, masked: 'none' | 'int32' | 'float32', hole = false) {
  const xv = Float32Array.from(seededValues(B * S * D, B * 100 + S * 10 + D));
  const x = Tensor.fromArray(xv, [B, S, D]);
  const mv = masked === 'none' ? undefined : raggedMask(B, S, hole);
  const mask = maskTensor(mv, [B, S], masked);
  const dout = Float32Array.from(seededValues(B * D, 7 + D));
  const dx0 = Float32Array.from(seededValues(B * S * D, 9 + S));
  return { xv, x, mv, mask, dout, dx0 };
}
