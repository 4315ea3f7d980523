import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { refGemm, seeded } from '../reference/gemm.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { matmul, gemm } from '../../src/ops/matmul.js';
import { ArgumentError, DTypeError, ShapeError, WasmNlpError } from '../../src/core/errors.js';
import { memoryInUse } from '../../src/core/runtime.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const VARIANTS = [
  { name: 'NN', ta: false, tb: false },
  { name: 'NT', ta: false, tb: true },
  { name: 'TN', ta: true, tb: false },
  { name: 'TT', ta: true, tb: true },
];

// (m, k, n): awkward sizes (1, primes, non-multiples of 4), squares and non-square mixes. 257
// crosses the K block (256) and the M block (128); 2100 crosses the N block (2048).
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [2, 2, 2],
  [3, 3, 3],
  [7, 7, 7],
  [17, 17, 17],
  [31, 31, 31],
  [33, 33, 33],
  [64, 64, 64],
  [127, 127, 127],
  [257, 257, 257],
  [1, 257, 3],
  [257, 1, 7],
  [7, 33, 257],
  [33, 127, 17],
  [127, 17, 33],
  [64, 257, 31],
  [3, 1, 2],
  [2, 7, 1],
  [31, 64, 127],
  [257, 31, 64],
  [5, 3, 2100],
  [129, 300, 9],
];

function stored(m: number, k: number, n: number, ta: boolean, tb: boolean) {
  return { aShape: ta ? [k, m] : [m, k], bShape: tb ? [n, k] : [k, n] };
}

describe('matmul = float64 reference', () => {
  for (const [m, k, n] of SHAPES) {
    for (const v of VARIANTS) {
      test(`${v.name} m=${m} k=${k} n=${n}`, () => {
        const { aShape, bShape } = stored(m, k, n, v.ta, v.tb);
        const a = seeded(m * k, m * 1000 + k);
        const b = seeded(k * n, n * 1000 + k + 1);
        tidy(() => {
          const c = matmul(Tensor.fromArray(a, aShape), Tensor.fromArray(b, bShape), {
            transposeA: v.ta,
            transposeB: v.tb,
          });
          expect(c.shape).toEqual([m, n]);
          const ref = refGemm(a, b, undefined, { m, n, k, transA: v.ta, transB: v.tb });
          expectClose(c.toArray(), ref.out, { tol: ref.tol });
        });
      });
    }
  }
});

describe('alpha, beta and epilogues', () => {
  const cases = [
    { m: 17, k: 33, n: 31, alpha: 0.5, beta: -1.5 },
    { m: 257, k: 257, n: 9, alpha: -2, beta: 0.25, bias: true, relu: true },
    { m: 7, k: 300, n: 13, alpha: 1, beta: 0, bias: true },
    { m: 33, k: 7, n: 64, alpha: 1, beta: 1, relu: true },
    { m: 5, k: 0, n: 6, alpha: 1, beta: 2, bias: true },
    { m: 4, k: 0, n: 8, alpha: 1, beta: 0, relu: true },
  ];
  for (const cs of cases) {
    for (const v of VARIANTS.slice(0, 3)) {
      test(`${v.name} ${JSON.stringify(cs)}`, () => {
        const { m, k, n, alpha, beta } = cs;
        const { aShape, bShape } = stored(m, k, n, v.ta, v.tb);
        const a = seeded(m * k, 11);
        const b = seeded(k * n, 12);
        const c0 = seeded(m * n, 13);
        const bias = cs.bias ? seeded(n, 14) : undefined;
        tidy(() => {
          const out = Tensor.fromArray(c0, [m, n]);
          const res = matmul(Tensor.fromArray(a, aShape), Tensor.fromArray(b, bShape), {
            transposeA: v.ta,
            transposeB: v.tb,
            alpha,
            beta,
            out,
            bias: bias ? Tensor.fromArray(bias) : undefined,
            activation: cs.relu ? 'relu' : 'none',
          });
          expect(res).toBe(out);
          const ref = refGemm(a, b, c0, { m, n, k, transA: v.ta, transB: v.tb, alpha, beta, bias, relu: cs.relu });
          expectClose(out.toArray(), ref.out, { tol: ref.tol });
          if (cs.relu) expect(out.toArray().every((x) => x >= 0)).toBe(true);
        });
      });
    }
  }

  test('beta = 0 does not read C: NaN in out is overwritten', () => {
    tidy(() => {
      const out = Tensor.fromArray(new Float32Array(9 * 10).fill(NaN), [9, 10]);
      matmul(Tensor.fromArray(seeded(9 * 5, 1), [9, 5]), Tensor.fromArray(seeded(5 * 10, 2), [5, 10]), { out });
      expect(out.toArray().some(Number.isNaN)).toBe(false);
    });
  });

  test('empty products: m = 0 and n = 0 give empty tensors', () => {
    tidy(() => {
      expect(matmul(Tensor.zeros([0, 5]), Tensor.zeros([5, 3])).shape).toEqual([0, 3]);
      expect(matmul(Tensor.zeros([4, 5]), Tensor.zeros([5, 0])).shape).toEqual([4, 0]);
    });
  });
});

describe('gemm on Float32Arrays with strided views', () => {
  const cases = [
    { m: 7, n: 9, k: 5, lda: 8, ldb: 12, ldc: 11 },
    { m: 33, n: 17, k: 257, lda: 300, ldb: 20, ldc: 19, ta: false, tb: false },
    { m: 31, n: 33, k: 17, lda: 40, ldb: 21, ldc: 64, ta: true, tb: true },
    { m: 64, n: 3, k: 127, lda: 70, ldb: 130, ldc: 4, ta: true, tb: true, beta: 0.5, bias: true, relu: true },
  ];
  for (const cs of cases) {
    for (const v of VARIANTS) {
      test(`${v.name} ${JSON.stringify(cs)}`, () => {
        const { m, n, k } = cs;
        const ta = v.ta;
        const tb = v.tb;
        const [aRows, aCols] = ta ? [k, m] : [m, k];
        const [bRows, bCols] = tb ? [n, k] : [k, n];
        const lda = Math.max(cs.lda, aCols);
        const ldb = Math.max(cs.ldb, bCols);
        const a = seeded((aRows - 1) * lda + aCols + 3, 21);
        const b = seeded((bRows - 1) * ldb + bCols + 5, 22);
        const c = seeded((m - 1) * cs.ldc + n + 2, 23);
        const before = c.slice();
        const bias = cs.bias ? seeded(n, 24) : undefined;
        const beta = cs.beta ?? 0;
        const res = gemm(a, b, {
          m,
          n,
          k,
          transposeA: ta,
          transposeB: tb,
          lda,
          ldb,
          ldc: cs.ldc,
          beta,
          c,
          bias,
          activation: cs.relu ? 'relu' : 'none',
        });
        expect(res).toBe(c);
        const ref = refGemm(a, b, before, {
          m,
          n,
          k,
          transA: ta,
          transB: tb,
          lda,
          ldb,
          ldc: cs.ldc,
          beta,
          bias,
          relu: cs.relu,
        });
        for (let i = 0; i < m; i++) {
          const row = i * cs.ldc;
          expectClose(c.subarray(row, row + n), ref.out.subarray(row, row + n), {
            tol: ref.tol.subarray(row, row + n),
          });
          // The gap between rows and the tail past C are untouched.
          const gapEnd = i === m - 1 ? c.length : row + cs.ldc;
          for (let j = row + n; j < gapEnd; j++) expect(c[j]).toBe(before[j]);
        }
      });
    }
  }

  test('allocates c when not given and reuses the staging memory', () => {
    const a = seeded(6, 1);
    const b = seeded(6, 2);
    const c1 = gemm(a, b, { m: 2, n: 2, k: 3 });
    const inUse = memoryInUse();
    const c2 = gemm(a, b, { m: 2, n: 2, k: 3, c: new Float32Array(4) });
    expect(Array.from(c2)).toEqual(Array.from(c1));
    expect(memoryInUse()).toBe(inUse);
  });
});

describe('against @tensorflow/tfjs-core (CPU backend)', () => {
  const shapes: [number, number, number][] = [
    [1, 7, 3],
    [17, 33, 31],
    [64, 127, 65],
    [130, 257, 33],
  ];
  for (const [m, k, n] of shapes) {
    for (const v of VARIANTS) {
      test(`${v.name} m=${m} k=${k} n=${n}, bias + relu via tf.fused.matMul`, () => {
        const { aShape, bShape } = stored(m, k, n, v.ta, v.tb);
        const a = seeded(m * k, 31);
        const b = seeded(k * n, 32);
        const bias = seeded(n, 33);
        const expected = tf.tidy(() => {
          const ta = tf.tensor2d(a, aShape as [number, number]);
          const tb = tf.tensor2d(b, bShape as [number, number]);
          return [
            tf.matMul(ta, tb, v.ta, v.tb).dataSync().slice(),
            tf.fused
              .matMul({ a: ta, b: tb, transposeA: v.ta, transposeB: v.tb, bias: tf.tensor1d(bias), activation: 'relu' })
              .dataSync()
              .slice(),
          ];
        });
        tidy(() => {
          const A = Tensor.fromArray(a, aShape);
          const B = Tensor.fromArray(b, bShape);
          const plain = matmul(A, B, { transposeA: v.ta, transposeB: v.tb }).toArray();
          const fused = matmul(A, B, {
            transposeA: v.ta,
            transposeB: v.tb,
            bias: Tensor.fromArray(bias),
            activation: 'relu',
          }).toArray();
          // Both are float32 sums in different orders: tolerance from K.
          const tol = { rtol: 4 * k * 2 ** -23, atol: 4 * k * 2 ** -23 };
          expectClose(plain, expected[0]!, tol);
          expectClose(fused, expected[1]!, tol);
        });
      });
    }
  }
});

describe('typed errors, checked before the kernel runs', () => {
  test('mismatched inner dimensions -> ShapeError naming both shapes', () => {
    tidy(() => {
      const a = Tensor.zeros([2, 3]);
      const b = Tensor.zeros([4, 5]);
      expect(() => matmul(a, b)).toThrow(ShapeError);
      expect(() => matmul(a, b)).toThrow('matmul: b must have 3 rows to match a [2, 3], got shape [4, 5]');
      expect(() => matmul(a, Tensor.zeros([5, 4]), { transposeB: true })).toThrow(/columns \(transposeB\)/);
    });
  });
  test('wrong rank and wrong dtype', () => {
    tidy(() => {
      expect(() => matmul(Tensor.zeros([6]), Tensor.zeros([6, 1]))).toThrow(ShapeError);
      expect(() => matmul(Tensor.zeros([2, 3], 'int32'), Tensor.zeros([3, 2]))).toThrow(DTypeError);
      expect(() => matmul(Tensor.zeros([2, 3], 'int32'), Tensor.zeros([3, 2]))).toThrow(
        'matmul: a must have dtype float32, got int32',
      );
      expect(() => matmul([1, 2] as unknown as Tensor, Tensor.zeros([3, 2]))).toThrow(ArgumentError);
    });
  });
  test('bad bias, out, activation, alpha, beta', () => {
    tidy(() => {
      const a = Tensor.zeros([2, 3]);
      const b = Tensor.zeros([3, 4]);
      expect(() => matmul(a, b, { bias: Tensor.zeros([3]) })).toThrow('matmul: bias must have shape [4], got [3]');
      expect(() => matmul(a, b, { out: Tensor.zeros([4, 2]) })).toThrow(
        'matmul: out must have shape [2, 4], got [4, 2]',
      );
      expect(() => matmul(a, b, { activation: 'gelu' as 'relu' })).toThrow(ArgumentError);
      expect(() => matmul(a, b, { alpha: NaN })).toThrow('matmul: alpha must be a finite number, got NaN');
      expect(() => matmul(a, b, { beta: 1 })).toThrow(/beta must be 0 without out/);
      expect(() => matmul(a, b, { out: a as Tensor })).toThrow(ShapeError);
    });
  });
  test('gemm: short arrays, small leading dimensions, wrong types', () => {
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    expect(() => gemm(a, b, { m: 2, n: 3, k: 4 })).toThrow(
      'gemm: a must have at least 8 elements for 2x4 with lda 4, got 6',
    );
    expect(() => gemm(a, b, { m: 2, n: 2, k: 3, lda: 2 })).toThrow(
      'gemm: lda must be >= 3 (columns of the stored A), got 2',
    );
    expect(() => gemm(a, b, { m: 2, n: 2, k: 3, ldc: 1 })).toThrow(ArgumentError);
    expect(() => gemm(a, b, { m: 2, n: 2, k: 3, c: new Float32Array(3) })).toThrow(ShapeError);
    expect(() => gemm(new Float64Array(6) as unknown as Float32Array, b, { m: 2, n: 2, k: 3 })).toThrow(
      'gemm: a must be a Float32Array, got Float64Array',
    );
    expect(() => gemm(a, b, { m: -1, n: 2, k: 3 })).toThrow('gemm: m must be a non-negative integer, got -1');
    expect(() => gemm(a, b, { m: 2, n: 2, k: 3, bias: new Float32Array(3) })).toThrow(
      'gemm: bias must have 2 elements, got 3',
    );
  });
  test('every error is a WasmNlpError', () => {
    tidy(() => {
      try {
        matmul(Tensor.zeros([2, 3]), Tensor.zeros([2, 3]));
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(WasmNlpError);
        expect((e as Error).name).toBe('ShapeError');
      }
    });
  });
});
