import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import {
  refDropout,
  refDropoutBackward,
  refDropoutKeep,
  refSinusoidal,
  refSumCols,
  refSumRows,
} from '../reference/elementwise.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import {
  add,
  axpy,
  biasAdd,
  dropout,
  dropoutBackward,
  mul,
  scale,
  sinusoidalPositions,
  sumCols,
  sumRows,
} from '../../src/ops/elementwise.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const f = Math.fround;
const SIZES = [1, 3, 5, 7, 17, 33, 1001];
const SHAPES: number[][] = [
  [1, 1],
  [1, 3],
  [3, 5],
  [5, 7],
  [7, 17],
  [17, 1],
  [33, 33],
  [3, 1001],
  [2, 3, 5],
];

// One IEEE f32 operation per element: the kernels must give exactly the rounded float64 value.
describe('lane-wise ops = float64 reference rounded once (bit-exact)', () => {
  for (const n of SIZES) {
    const a = seeded(n, n + 1);
    const b = seeded(n, n + 2);
    test(`add, mul, scale, axpy n=${n}`, () => {
      tidy(() => {
        const ta = Tensor.fromArray(a);
        const tb = Tensor.fromArray(b);
        expectSameBits(
          add(ta, tb).toArray() as Float32Array,
          Float32Array.from(a, (v, i) => v + b[i]!),
        );
        expectSameBits(
          mul(ta, tb).toArray() as Float32Array,
          Float32Array.from(a, (v, i) => v * b[i]!),
        );
        const s = 0.3;
        expectSameBits(
          scale(ta, s).toArray() as Float32Array,
          Float32Array.from(a, (v) => v * f(s)),
        );
        const y = Tensor.fromArray(b);
        axpy(-1.7, ta, y);
        expectSameBits(
          y.toArray() as Float32Array,
          Float32Array.from(b, (v, i) => v + f(f(-1.7) * a[i]!)),
        );
      });
    });
  }

  for (const shape of SHAPES) {
    const cols = shape[shape.length - 1]!;
    const n = shape.reduce((x, y) => x * y, 1);
    test(`biasAdd ${JSON.stringify(shape)}, and add broadcasting a row`, () => {
      const x = seeded(n, n + 3);
      const bias = seeded(cols, cols + 4);
      const ref = Float32Array.from(x, (v, i) => v + bias[i % cols]!);
      tidy(() => {
        const tx = Tensor.fromArray(x, shape);
        const tb = Tensor.fromArray(bias);
        const out = biasAdd(tx, tb);
        expect(out.shape).toEqual(shape);
        expectSameBits(out.toArray() as Float32Array, ref);
        expectSameBits(add(tx, tb).toArray() as Float32Array, ref);
      });
    });
  }

  test('in place: out may be an input', () => {
    const a = seeded(17, 1);
    const b = seeded(17, 2);
    tidy(() => {
      const ta = Tensor.fromArray(a);
      expect(add(ta, Tensor.fromArray(b), { out: ta })).toBe(ta);
      expectSameBits(
        ta.toArray() as Float32Array,
        Float32Array.from(a, (v, i) => v + b[i]!),
      );
      const tx = Tensor.fromArray(a, [1, 17]);
      biasAdd(tx, Tensor.fromArray(b), { out: tx });
      expectSameBits(
        tx.toArray() as Float32Array,
        Float32Array.from(a, (v, i) => v + b[i]!),
      );
      const ts = Tensor.fromArray(a);
      scale(ts, 2, { out: ts });
      expectSameBits(
        ts.toArray() as Float32Array,
        Float32Array.from(a, (v) => 2 * v),
      );
    });
  });
});

describe('sumRows (column sums) and sumCols (row sums) accumulate', () => {
  for (const shape of SHAPES) {
    const cols = shape[shape.length - 1]!;
    const n = shape.reduce((x, y) => x * y, 1);
    const rows = n / cols;
    test(`${JSON.stringify(shape)}`, () => {
      const x = seeded(n, n + 5);
      const o1 = seeded(cols, 6);
      const o2 = seeded(rows, 7);
      tidy(() => {
        const tx = Tensor.fromArray(x, shape);
        const s1 = Tensor.fromArray(o1);
        sumRows(tx, s1);
        // f32 sums of at most `rows` terms below 1 in magnitude, plus the add into out.
        expectClose(s1.toArray(), refSumRows(x, o1, rows, cols), { rtol: 0, atol: (rows + 2) * 2 ** -23 * (rows + 1) });
        const s2 = Tensor.fromArray(o2, shape.slice(0, -1));
        sumCols(tx, s2);
        expectClose(s2.toArray(), refSumCols(x, o2, rows, cols), { rtol: 0, atol: (cols + 2) * 2 ** -23 * (cols + 1) });
      });
    });
  }

  test('sumRows is the bias gradient: central finite differences of sum(R * biasAdd(x, b)) in b', () => {
    const rows = 7;
    const cols = 5;
    const x = seeded(rows * cols, 1);
    const r = seeded(rows * cols, 2);
    const b = seeded(cols, 3);
    const loss = (bv: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < rows * cols; i++) s += r[i]! * (x[i]! + bv[i % cols]!);
      return s;
    };
    const h = 1e-3;
    const fd = Float64Array.from(b, (_, j) => {
      const bp = Float64Array.from(b);
      const bm = Float64Array.from(b);
      bp[j] = bp[j]! + h;
      bm[j] = bm[j]! - h;
      return (loss(bp) - loss(bm)) / (2 * h);
    });
    tidy(() => {
      const db = Tensor.zeros([cols]);
      sumRows(Tensor.fromArray(r, [rows, cols]), db);
      expectClose(db.toArray(), fd, { rtol: 1e-5, atol: 1e-5 });
    });
  });
});

describe('tfjs-core (cpu)', () => {
  test('add, mul and add with a broadcast row match tf.add / tf.mul', () => {
    const a = seeded(3 * 17, 1);
    const b = seeded(3 * 17, 2);
    const row = seeded(17, 3);
    const [r1, r2, r3] = tf.tidy(() => {
      const ta = tf.tensor2d(a, [3, 17]);
      return [
        tf.add(ta, tf.tensor2d(b, [3, 17])),
        tf.mul(ta, tf.tensor2d(b, [3, 17])),
        tf.add(ta, tf.tensor1d(row)),
      ].map((t) => t.dataSync() as Float32Array);
    });
    tidy(() => {
      const ta = Tensor.fromArray(a, [3, 17]);
      expectSameBits(add(ta, Tensor.fromArray(b, [3, 17])).toArray() as Float32Array, r1!);
      expectSameBits(mul(ta, Tensor.fromArray(b, [3, 17])).toArray() as Float32Array, r2!);
      expectSameBits(add(ta, Tensor.fromArray(row)).toArray() as Float32Array, r3!);
    });
  });
});

describe('dropout', () => {
  const cases = [
    { n: 1, p: 0.5, seed: 1, stream: 0, counter: 0 },
    { n: 3, p: 0.1, seed: 2, stream: 3, counter: 5 },
    { n: 5, p: 0.9, seed: 2 ** 40 + 3, stream: 1, counter: 0 },
    { n: 17, p: 0.25, seed: 4, stream: 0xffffffff, counter: 2 ** 32 - 2 }, // the counter carries into the high word
    { n: 1001, p: 0.3, seed: 5, stream: 2, counter: 123456 },
  ];
  for (const c of cases) {
    test(`forward and backward = reference mask from new Philox(seed, stream, counter): ${JSON.stringify(c)}`, () => {
      const x = seeded(c.n, c.n + 11);
      const dy = seeded(c.n, c.n + 12);
      const dx0 = seeded(c.n, c.n + 13);
      const keep = refDropoutKeep(c.n, c.p, c.seed, c.stream, c.counter);
      tidy(() => {
        const opts = { p: c.p, seed: c.seed, stream: c.stream, counter: c.counter };
        expectSameBits(dropout(Tensor.fromArray(x), opts).toArray() as Float32Array, refDropout(x, keep, c.p));
        const dx = Tensor.fromArray(dx0);
        dropoutBackward(Tensor.fromArray(dy), dx, opts);
        expectSameBits(dx.toArray() as Float32Array, refDropoutBackward(dy, dx0, keep, c.p));
      });
    });
  }

  test('dropped fraction within 1 point of p on 1M elements; kept values are x / (1 - p)', () => {
    const n = 1 << 20;
    for (const p of [0.1, 0.5]) {
      tidy(() => {
        const out = dropout(Tensor.fromArray(new Float32Array(n).fill(1)), { p, seed: 77 }).toArray();
        let dropped = 0;
        let wrong = 0;
        const s = f(1 / (1 - p));
        for (let i = 0; i < n; i++) {
          if (out[i] === 0) dropped++;
          else if (out[i] !== s) wrong++;
        }
        expect(wrong).toBe(0);
        expect(Math.abs(dropped / n - p)).toBeLessThan(0.01);
      });
    }
  });

  test('p = 0 copies; different seeds, streams and counters give different masks', () => {
    const x = seeded(1001, 1);
    tidy(() => {
      expectSameBits(dropout(Tensor.fromArray(x), { p: 0, seed: 1 }).toArray() as Float32Array, x);
      const a = dropout(Tensor.fromArray(x), { p: 0.5, seed: 1 }).toArray();
      const b = dropout(Tensor.fromArray(x), { p: 0.5, seed: 2 }).toArray();
      const c = dropout(Tensor.fromArray(x), { p: 0.5, seed: 1, stream: 1 }).toArray();
      const d = dropout(Tensor.fromArray(x), { p: 0.5, seed: 1, counter: 1 }).toArray();
      const e = dropout(Tensor.fromArray(x), { p: 0.5, seed: 1 }).toArray();
      expect(a).not.toEqual(b);
      expect(a).not.toEqual(c);
      expect(a).not.toEqual(d);
      expectSameBits(a, e);
      // counter + 1 skips one block: element i + 4 of the counter-0 mask is element i at counter 1.
      for (let i = 0; i + 4 < 1001; i++) expect(d[i] === 0).toBe(a[i + 4] === 0);
      const dx = Tensor.fromArray(x);
      dropoutBackward(Tensor.fromArray(x), dx, { p: 0, seed: 9 });
      expectSameBits(
        dx.toArray() as Float32Array,
        Float32Array.from(x, (v) => v + v),
      );
    });
  });

  test('backward = central finite differences of L(x) = sum(R * dropout(x)) under the same seed', () => {
    const n = 17;
    const x = seeded(n, 21);
    const r = seeded(n, 22);
    const opts = { p: 0.4, seed: 99, stream: 4, counter: 3 };
    const h = 1e-2;
    const loss = (xv: Float32Array) =>
      tidy(() => {
        const y = dropout(Tensor.fromArray(xv), opts).toArray();
        let s = 0;
        for (let i = 0; i < n; i++) s += r[i]! * y[i]!;
        return s;
      });
    const fd = Float64Array.from(x, (_, j) => {
      const xp = Float32Array.from(x);
      const xm = Float32Array.from(x);
      xp[j] = xp[j]! + h;
      xm[j] = xm[j]! - h;
      return (loss(xp) - loss(xm)) / (xp[j]! - xm[j]!);
    });
    tidy(() => {
      const dx = Tensor.zeros([n]);
      dropoutBackward(Tensor.fromArray(r), dx, opts);
      expectClose(dx.toArray(), fd, { rtol: 1e-3, atol: 1e-4 });
    });
  });
});

describe('sinusoidalPositions', () => {
  for (const [seq, dim] of [
    [1, 1],
    [3, 5],
    [17, 16],
    [50, 33],
    [128, 64],
  ] as [number, number][]) {
    test(`[${seq}, ${dim}] = float64 reference within 1 float32 rounding`, () => {
      tidy(() => {
        const pe = sinusoidalPositions(seq, dim);
        expect(pe.shape).toEqual([seq, dim]);
        const got = pe.toArray();
        const ref = refSinusoidal(seq, dim);
        // Rounded once from float64: within half an ulp of the f32 result, plus the
        // host's and the module's sin/cos differing in the last f64 bits.
        expectClose(got, ref, { rtol: 2 ** -24 + 1e-12, atol: 1e-15 });
        for (let j = 0; j < dim; j++) expect(got[j]).toBe(j % 2 === 0 ? 0 : 1); // position 0
      });
    });
  }

  test('seq = 0 or dim = 0 gives an empty tensor', () => {
    tidy(() => {
      expect(sinusoidalPositions(0, 8).shape).toEqual([0, 8]);
      expect(sinusoidalPositions(4, 0).shape).toEqual([4, 0]);
    });
  });
});

describe('bad input', () => {
  test('shapes, dtypes and option values', () => {
    tidy(() => {
      const a = Tensor.zeros([3, 4]);
      expect(() => add(a, Tensor.zeros([4, 3]))).toThrow(ShapeError);
      expect(() => add(a, Tensor.zeros([3]))).toThrow(/b must have shape \[3, 4\] or \[4\]/);
      expect(() => mul(a, Tensor.zeros([3, 4], 'int32'))).toThrow(DTypeError);
      expect(() => mul(a, Tensor.zeros([12]))).toThrow(ShapeError);
      expect(() => add(a, a, { out: Tensor.zeros([3, 5]) })).toThrow(ShapeError);
      expect(() => scale(a, NaN)).toThrow(ArgumentError);
      expect(() => axpy(Infinity, a, a)).toThrow(ArgumentError);
      expect(() => axpy(1, a, Tensor.zeros([4, 3]))).toThrow(ShapeError);
      expect(() => biasAdd(a, Tensor.zeros([3]))).toThrow(/bias must have shape \[4\]/);
      expect(() => biasAdd(Tensor.zeros([]), Tensor.zeros([1]))).toThrow(ShapeError);
      expect(() => sumRows(a, Tensor.zeros([3]))).toThrow(ShapeError);
      expect(() => sumCols(a, Tensor.zeros([4]))).toThrow(ShapeError);
      expect(() => sumRows(a, a)).toThrow(ShapeError);
      expect(() => dropout(a, { p: 1, seed: 0 })).toThrow(/p must be a number in \[0, 1\), got 1/);
      expect(() => dropout(a, { p: -0.1, seed: 0 })).toThrow(ArgumentError);
      expect(() => dropout(a, { p: NaN, seed: 0 })).toThrow(ArgumentError);
      expect(() => dropout(a, { p: 0.5, seed: -1 })).toThrow(/seed must be an integer/);
      expect(() => dropout(a, { p: 0.5, seed: 1.5 })).toThrow(ArgumentError);
      expect(() => dropout(a, { p: 0.5, seed: 0, stream: 2 ** 32 })).toThrow(/stream must be/);
      expect(() => dropout(a, { p: 0.5, seed: 0, counter: -1 })).toThrow(/counter must be/);
      expect(() => dropout(a, { p: 1 - 2 ** -30, seed: 0 })).toThrow(ArgumentError);
      expect(() => dropoutBackward(a, Tensor.zeros([3, 5]), { p: 0.5, seed: 0 })).toThrow(ShapeError);
      expect(() => sinusoidalPositions(-1, 4)).toThrow(ArgumentError);
      expect(() => sinusoidalPositions(4, 2.5)).toThrow(ArgumentError);
    });
  });
});
