import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { gradCheck } from '../helpers/gradcheck.js';
import { poolCase, raggedMask } from '../helpers/pool-case.js';
import { seededValues } from '../reference/softmax.js';
import { refLastPool, refLastPoolBackward } from '../reference/pool.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { lastPool, lastPoolBackward } from '../../src/ops/pool.js';
import * as F from '../../src/autograd/functional.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
});

const CASES: [number, number, number][] = [];
for (const B of [1, 3, 4]) for (const S of [1, 2, 7]) for (const D of [1, 3, 4, 5, 17]) CASES.push([B, S, D]);

describe('lastPool = float64 reference (forward and accumulating backward)', () => {
  for (const [B, S, D] of CASES) {
    for (const masked of ['none', 'int32', 'float32'] as const) {
      test(`B=${B} S=${S} D=${D} mask ${masked}`, () => {
        tidy(() => {
          const { xv, x, mv, mask, dout, dx0 } = poolCase(B, S, D, masked, true);
          // A copy: the very bits of x.
          expectClose(lastPool(x, { mask }).toArray(), refLastPool(xv, mv, B, S, D), { rtol: 0, atol: 0 });
          const dx = Tensor.fromArray(dx0, [B, S, D]);
          lastPoolBackward(Tensor.fromArray(dout, [B, D]), dx, { mask });
          expectClose(dx.toArray(), refLastPoolBackward(dout, dx0, mv, B, S, D), { rtol: 1e-7, atol: 1e-7 });
        });
      });
    }
  }

  test('no mask takes position S - 1; an all-padding row pools to 0 and gets no gradient', () => {
    tidy(() => {
      const x = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
      expect(Array.from(lastPool(x).toArray())).toEqual([5, 6, 11, 12]);
      const mask = Tensor.fromArray(Int32Array.from([1, 1, 0, 0, 0, 0]), [2, 3], 'int32');
      expect(Array.from(lastPool(x, { mask }).toArray())).toEqual([3, 4, 0, 0]);
      const dx = Tensor.zeros([2, 3, 2]);
      lastPoolBackward(Tensor.fromArray([1, 2, 3, 4], [2, 2]), dx, { mask });
      lastPoolBackward(Tensor.fromArray([1, 2, 3, 4], [2, 2]), dx, { mask });
      expect(Array.from(dx.toArray())).toEqual([0, 0, 2, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
    });
  });

  test('errors: rank, dtype, empty sequence, mask shape and values, dout shape', () => {
    tidy(() => {
      const x = Tensor.zeros([2, 3, 4]);
      expect(() => lastPool(Tensor.zeros([2, 3]))).toThrow(ShapeError);
      expect(() => lastPool(Tensor.zeros([2, 3, 4], 'int32'))).toThrow(DTypeError);
      expect(() => lastPool(Tensor.zeros([2, 0, 4]))).toThrow(/x must have seq >= 1/);
      expect(() => lastPool(x, { mask: Tensor.zeros([2, 4], 'int32') })).toThrow(/mask must have shape \[2, 3\]/);
      expect(() =>
        lastPool(x, { mask: Tensor.fromArray(Int32Array.from([1, 2, 0, 1, 1, 1]), [2, 3], 'int32') }),
      ).toThrow(ArgumentError);
      expect(() => lastPoolBackward(Tensor.zeros([2, 5]), x)).toThrow(/dout must have shape \[2, 4\]/);
      expect(() => lastPoolBackward(Tensor.zeros([2, 4]), Tensor.zeros([2, 0, 4]))).toThrow(ShapeError);
    });
  });
});

describe('F.lastPool: gradients = finite differences', () => {
  for (const [B, S, D] of [
    [1, 1, 3],
    [3, 5, 2],
    [4, 7, 5],
  ] as const) {
    test(`B=${B} S=${S} D=${D}, with and without a mask`, () => {
      tidy(() => {
        const x = Tensor.fromArray(seededValues(B * S * D, 3 + S), [B, S, D]);
        gradCheck((v) => F.lastPool(v), [x]);
        const mask = Tensor.fromArray(raggedMask(B, S, true), [B, S], 'int32');
        gradCheck((v) => F.lastPool(v, { mask }), [x]);
      });
    });
  }
});
