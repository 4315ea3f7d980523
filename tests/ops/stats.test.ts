import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { seededValues } from '../reference/softmax.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { sumOfSquares, tensorStats } from '../../src/ops/stats.js';
import { ArgumentError, DTypeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
});

/** Float64 statistics of float32 values: two-pass variance. */
function refStats(x: Float32Array) {
  const n = x.length;
  let sum = 0,
    zeros = 0,
    absMax = 0,
    sq = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
    if (v === 0) zeros++;
    absMax = Math.max(absMax, Math.abs(v));
  }
  const mean = n === 0 ? 0 : sum / n;
  let dev = 0;
  for (const v of x) dev += (v - mean) ** 2;
  return { mean, std: n === 0 ? 0 : Math.sqrt(dev / n), zeroFraction: n === 0 ? 0 : zeros / n, absMax, count: n, sq };
}

/** Seeded values with an offset, and exact zeros (+0 and -0) at every 5th and 7th element. */
function values(n: number, seed: number, offset: number): Float32Array {
  const x = Float32Array.from(seededValues(n, seed, 2), (v) => v + offset);
  for (let i = 0; i < n; i += 5) x[i] = 0;
  for (let i = 3; i < n; i += 7) x[i] = -0;
  return x;
}

describe('tensorStats and sumOfSquares = float64 reference', () => {
  for (const n of [0, 1, 3, 4, 17, 1000, 1000003]) {
    for (const offset of [0, 0.75, -30]) {
      test(`n=${n} offset ${offset}`, () => {
        tidy(() => {
          const xv = values(n, n + 11, offset);
          const x = Tensor.fromArray(xv, [n]);
          const got = tensorStats(x);
          const want = refStats(xv);
          expect(got.count).toBe(n);
          expect(got.zeroFraction).toBe(want.zeroFraction);
          expect(got.absMax).toBe(want.absMax);
          expectClose([got.mean], [want.mean], { rtol: 1e-12, atol: 1e-14 });
          // The one-pass variance loses ~1e-16 mean²/var relative.
          expectClose([got.std], [want.std], { rtol: 1e-10, atol: 1e-14 });
          expectClose([sumOfSquares(x)], [want.sq], { rtol: 1e-6, atol: 0 });
        });
      });
    }
  }

  test('any shape: the statistics of all elements', () => {
    tidy(() => {
      const xv = values(3 * 5 * 7, 4, 0.5);
      const a = tensorStats(Tensor.fromArray(xv, [3, 5, 7]));
      const b = refStats(xv);
      expect(a.count).toBe(105);
      expectClose([a.mean, a.std, a.zeroFraction, a.absMax], [b.mean, b.std, b.zeroFraction, b.absMax], {
        rtol: 1e-12,
        atol: 1e-14,
      });
    });
  });

  test('an empty tensor gives zeros and count 0; an all-zero tensor mean 0, std 0, zeroFraction 1', () => {
    tidy(() => {
      expect(tensorStats(Tensor.zeros([2, 0, 3]))).toEqual({ mean: 0, std: 0, zeroFraction: 0, absMax: 0, count: 0 });
      expect(sumOfSquares(Tensor.zeros([0]))).toBe(0);
      for (const n of [1, 6, 33]) {
        expect(tensorStats(Tensor.zeros([n]))).toEqual({ mean: 0, std: 0, zeroFraction: 1, absMax: 0, count: n });
        expect(sumOfSquares(Tensor.zeros([n]))).toBe(0);
      }
    });
  });

  test('a constant tensor has std ~0, never NaN from a negative rounded variance', () => {
    tidy(() => {
      const s = tensorStats(Tensor.fromArray(new Float32Array(1001).fill(0.1), [1001]));
      expect(s.std).toBeGreaterThanOrEqual(0);
      expect(s.std).toBeLessThan(1e-8);
      expectClose([s.mean], [Math.fround(0.1)], { rtol: 1e-12, atol: 0 });
    });
  });

  test('NaN makes mean, std and absMax NaN; Infinity gives mean Infinity, std NaN; zero counts stay exact', () => {
    tidy(() => {
      // Positions in the vector body and in the scalar tail.
      for (const at of [2, 9]) {
        const xv = values(10, 3, 0);
        xv[at] = NaN;
        const s = tensorStats(Tensor.fromArray(xv, [10]));
        expect(s.mean).toBeNaN();
        expect(s.std).toBeNaN();
        expect(s.absMax).toBeNaN();
        expect(s.zeroFraction).toBe(refStats(xv).zeroFraction);
        expect(sumOfSquares(Tensor.fromArray(xv, [10]))).toBeNaN();

        const yv = values(10, 3, 0);
        yv[at] = -Infinity;
        const t = tensorStats(Tensor.fromArray(yv, [10]));
        expect(t.mean).toBe(-Infinity);
        expect(t.std).toBeNaN();
        expect(t.absMax).toBe(Infinity);
        expect(sumOfSquares(Tensor.fromArray(yv, [10]))).toBe(Infinity);

        yv[(at + 1) % 10] = Infinity;
        expect(tensorStats(Tensor.fromArray(yv, [10])).mean).toBeNaN();
      }
    });
  });

  test('errors: not a Tensor, int32', () => {
    tidy(() => {
      expect(() => tensorStats(new Float32Array(3) as never)).toThrow(ArgumentError);
      expect(() => tensorStats(Tensor.zeros([3], 'int32'))).toThrow(DTypeError);
      expect(() => sumOfSquares(Tensor.zeros([3], 'int32'))).toThrow(/sumOfSquares: x must have dtype float32/);
    });
  });
});
