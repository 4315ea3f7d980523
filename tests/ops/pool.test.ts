import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { poolCase } from '../helpers/pool-case.js';
import { refFirstPool, refMaxPool, refMaxPoolBackward, refMeanPool, refMeanPoolBackward } from '../reference/pool.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import {
  firstPool,
  firstPoolBackward,
  maxPool,
  maxPoolBackward,
  meanPool,
  meanPoolBackward,
} from '../../src/ops/pool.js';
import { ArgumentError, ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
});

const CASES: [number, number, number][] = [];
for (const B of [1, 3]) for (const S of [1, 7]) for (const D of [1, 3, 5, 17]) CASES.push([B, S, D]);

describe('pooling = float64 reference (forward and accumulating backward)', () => {
  for (const [B, S, D] of CASES) {
    for (const masked of ['none', 'int32', 'float32'] as const) {
      test(`B=${B} S=${S} D=${D} mask ${masked}`, () => {
        tidy(() => {
          const { xv, x, mv, mask, dout, dx0 } = poolCase(B, S, D, masked);

          expectClose(meanPool(x, { mask }).toArray(), refMeanPool(xv, mv, B, S, D), { rtol: 1e-6, atol: 1e-6 });
          const dxm = Tensor.fromArray(dx0, [B, S, D]);
          meanPoolBackward(Tensor.fromArray(dout, [B, D]), dxm, { mask });
          expectClose(dxm.toArray(), refMeanPoolBackward(dout, dx0, mv, B, S, D), { rtol: 1e-6, atol: 1e-6 });

          const mp = maxPool(x, { mask });
          const ref = refMaxPool(xv, mv, B, S, D);
          expectClose(mp.out.toArray(), ref.out, { rtol: 0, atol: 0 });
          expect(Array.from(mp.argmax.toArray())).toEqual(Array.from(ref.argmax));
          const dxx = Tensor.fromArray(dx0, [B, S, D]);
          maxPoolBackward(mp.argmax, Tensor.fromArray(dout, [B, D]), dxx);
          expectClose(dxx.toArray(), refMaxPoolBackward(ref.argmax, dout, dx0, B, S, D), { rtol: 1e-7, atol: 1e-7 });

          expectClose(firstPool(x).toArray(), refFirstPool(xv, B, S, D), { rtol: 0, atol: 0 });
          const dxf = Tensor.fromArray(dx0, [B, S, D]);
          firstPoolBackward(Tensor.fromArray(dout, [B, D]), dxf);
          const want = Float64Array.from(dx0);
          for (let b = 0; b < B; b++) for (let c = 0; c < D; c++) want[b * S * D + c]! += dout[b * D + c]!;
          expectClose(dxf.toArray(), want, { rtol: 1e-7, atol: 1e-7 });
        });
      });
    }
  }

  test('ties go to the first position; an all-padding row pools to 0 with argmax -1', () => {
    tidy(() => {
      const x = Tensor.fromArray([1, 2, 1, 2, 0, 5], [1, 3, 2]);
      const { out, argmax } = maxPool(x);
      expect(Array.from(out.toArray())).toEqual([1, 5]);
      expect(Array.from(argmax.toArray())).toEqual([0, 2]);
      const none = maxPool(x, { mask: Tensor.fromArray(new Int32Array(3), [1, 3], 'int32') });
      expect(Array.from(none.out.toArray())).toEqual([0, 0]);
      expect(Array.from(none.argmax.toArray())).toEqual([-1, -1]);
      expect(Array.from(meanPool(x, { mask: Tensor.fromArray(new Int32Array(3), [1, 3], 'int32') }).toArray())).toEqual(
        [0, 0],
      );
    });
  });

  test('errors: rank, mask shape and values, empty sequence for firstPool', () => {
    tidy(() => {
      const x = Tensor.zeros([2, 3, 4]);
      expect(() => meanPool(Tensor.zeros([2, 3]))).toThrow(ShapeError);
      expect(() => meanPool(x, { mask: Tensor.zeros([2, 4], 'int32') })).toThrow(/mask must have shape \[2, 3\]/);
      expect(() => maxPool(x, { mask: Tensor.fromArray(new Int32Array([1, 2, 0, 1, 1, 1]), [2, 3], 'int32') })).toThrow(
        ArgumentError,
      );
      expect(() => firstPool(Tensor.zeros([2, 0, 4]))).toThrow(ShapeError);
      expect(() =>
        maxPoolBackward(Tensor.fromArray(new Int32Array(8).fill(3), [2, 4], 'int32'), Tensor.zeros([2, 4]), x),
      ).toThrow(ArgumentError);
    });
  });
});
