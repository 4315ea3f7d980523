import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import {
  finiteDiff,
  refLogSoftmax,
  refLogSoftmaxBackward,
  refSoftmax,
  refSoftmaxBackward,
  refXent,
  refXentBackward,
  seededTargets,
  seededValues,
} from '../reference/softmax.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import {
  logSoftmax,
  logSoftmaxBackward,
  softmax,
  softmaxBackward,
  softmaxXent,
  softmaxXentBackward,
  softmaxXentInplace,
} from '../../src/ops/softmax.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const SHAPES: number[][] = [
  [1, 1],
  [3, 1],
  [5, 7],
  [17, 33],
  [4, 1000],
  [2, 3, 5],
  [1, 4],
  [6, 13],
  [2, 16389],
];

const rc = (shape: number[]) => {
  const cols = shape[shape.length - 1]!;
  return [shape.reduce((a, b) => a * b, 1) / cols, cols] as const;
};

/** Seeded logits; with `spike`, element 1 of row 0 (or 0 when cols = 1) is 1e4 above the rest. */
function logits(shape: number[], seed: number, spike = false): Float64Array {
  const [rows, cols] = rc(shape);
  const x = Float64Array.from(seededValues(rows * cols, seed), Math.fround);
  if (spike) x[Math.min(1, cols - 1)] = Math.fround(1e4 + x[Math.min(1, cols - 1)]!);
  return x;
}

const f32 = (x: ArrayLike<number>) => Float64Array.from(x, Math.fround);
const allFinite = (a: ArrayLike<number>) => Array.from(a).every(Number.isFinite);

describe('softmax / logSoftmax forward = float64 reference', () => {
  for (const shape of SHAPES) {
    for (const spike of [false, true]) {
      test(`${JSON.stringify(shape)}${spike ? ' with a 1e4 spike' : ''}`, () => {
        const [rows, cols] = rc(shape);
        const x = logits(shape, rows * 31 + cols, spike);
        tidy(() => {
          const xt = Tensor.fromArray(x, shape);
          const y = softmax(xt).toArray();
          const ly = logSoftmax(xt).toArray();
          expect(allFinite(y) && allFinite(ly)).toBe(true);
          expectClose(y, refSoftmax(x, rows, cols), { rtol: 2e-6, atol: 1e-9 });
          expectClose(ly, refLogSoftmax(x, rows, cols), { rtol: 1e-6, atol: 2e-6 });
          let maxRowErr = 0;
          for (let r = 0; r < rows; r++) {
            let s = 0;
            for (let j = 0; j < cols; j++) s += y[r * cols + j]!;
            maxRowErr = Math.max(maxRowErr, Math.abs(s - 1));
          }
          expect(maxRowErr).toBeLessThan(2e-6);
        });
      });
    }
  }

  test('out: given, and in place (out = x)', () => {
    const x = logits([5, 7], 3);
    tidy(() => {
      const xt = Tensor.fromArray(x, [5, 7]);
      const out = Tensor.zeros([5, 7]);
      expect(softmax(xt, { out })).toBe(out);
      const copy = Tensor.fromArray(x, [5, 7]);
      expect(softmax(copy, { out: copy })).toBe(copy);
      expectSameBits(copy.toArray() as Float32Array, out.toArray() as Float32Array);
      const lcopy = Tensor.fromArray(x, [5, 7]);
      logSoftmax(lcopy, { out: lcopy });
      expectSameBits(lcopy.toArray() as Float32Array, logSoftmax(xt).toArray() as Float32Array);
    });
  });

  test('empty tensors', () => {
    tidy(() => {
      expect(softmax(Tensor.zeros([0, 5])).shape).toEqual([0, 5]);
      expect(logSoftmax(Tensor.zeros([3, 0])).shape).toEqual([3, 0]);
    });
  });
});

describe('softmax / logSoftmax backward (accumulating)', () => {
  for (const shape of [
    [1, 1],
    [3, 1],
    [5, 7],
    [17, 33],
    [4, 1000],
    [2, 3, 5],
  ]) {
    test(`${JSON.stringify(shape)}`, () => {
      const [rows, cols] = rc(shape);
      const n = rows * cols;
      const x = logits(shape, n + 7);
      const dy = f32(seededValues(n, n + 8, 1));
      const d0 = f32(seededValues(n, n + 9, 0.5));
      tidy(() => {
        const xt = Tensor.fromArray(x, shape);
        const dyt = Tensor.fromArray(dy, shape);
        for (const log of [false, true]) {
          const y = log ? logSoftmax(xt) : softmax(xt);
          const dx = Tensor.fromArray(d0, shape);
          (log ? logSoftmaxBackward : softmaxBackward)(y, dyt, dx);
          const got = Float64Array.from(dx.toArray(), (v, i) => v - d0[i]!);
          // vs the reference backward applied to the kernel's own y
          const yk = Float64Array.from(y.toArray());
          const refB = (log ? refLogSoftmaxBackward : refSoftmaxBackward)(yk, dy, rows, cols);
          const mag = Math.max(...Array.from(refB, Math.abs), 1e-3);
          expectClose(got, refB, { rtol: 1e-5, atol: 2e-6 * mag + 1e-7 });
          // vs central finite differences of the float64 forward (small shapes only: O(n^2 cols))
          if (n <= 600) {
            const fwd = log ? refLogSoftmax : refSoftmax;
            const fd = finiteDiff((z) => {
              const yz = fwd(z, rows, cols);
              let s = 0;
              for (let i = 0; i < n; i++) s += yz[i]! * dy[i]!;
              return s;
            }, x);
            expectClose(got, fd, { rtol: 1e-4, atol: 1e-5 });
          }
        }
      });
    });
  }

  test('dx may be dy (the update reads each element before writing it)', () => {
    const x = logits([3, 9], 1);
    const dy = f32(seededValues(27, 2, 1));
    tidy(() => {
      const y = softmax(Tensor.fromArray(x, [3, 9]));
      const sep = Tensor.fromArray(dy, [3, 9]);
      softmaxBackward(y, Tensor.fromArray(dy, [3, 9]), sep);
      const alias = Tensor.fromArray(dy, [3, 9]);
      softmaxBackward(y, alias, alias);
      expectSameBits(alias.toArray() as Float32Array, sep.toArray() as Float32Array);
    });
  });
});

const XENT_CASES: { shape: [number, number]; eps: number; ignore?: number[]; dloss?: number; spike?: boolean }[] = [
  { shape: [1, 1], eps: 0 },
  { shape: [3, 1], eps: 0.1 },
  { shape: [5, 7], eps: 0 },
  { shape: [5, 7], eps: 0.2, ignore: [1, 3], dloss: 0.7 },
  { shape: [17, 33], eps: 0.1, ignore: [0, 16] },
  { shape: [4, 1000], eps: 0 },
  { shape: [4, 1000], eps: 0.05, dloss: -2 },
  { shape: [6, 13], eps: 0.3, ignore: [2], spike: true },
  { shape: [3, 5], eps: 0.1, ignore: [0, 1, 2] },
  { shape: [3, 30522], eps: 0.1, ignore: [1] },
];

function xentData(c: (typeof XENT_CASES)[number], ignoreIndex = -100) {
  const [rows, cols] = c.shape;
  const x = logits(c.shape, rows * 97 + cols, c.spike);
  const t = seededTargets(rows, cols, rows + cols);
  if (c.spike) t[0] = 0; // the spike sits at column 1 (or 0): a wrong, very confident prediction
  for (const i of c.ignore ?? []) t[i] = ignoreIndex;
  return { rows, cols, x, t };
}

describe('softmaxXent', () => {
  for (const c of XENT_CASES) {
    const name = `${JSON.stringify(c.shape)} eps=${c.eps} ignore=${JSON.stringify(c.ignore ?? [])}${c.spike ? ' spike' : ''}`;
    test(`forward = float64 reference, ${name}`, () => {
      const { rows, cols, x, t } = xentData(c);
      tidy(() => {
        const res = softmaxXent(Tensor.fromArray(x, [rows, cols]), Tensor.fromArray(t, [rows], 'int32'), {
          labelSmoothing: c.eps,
        });
        const ref = refXent(x, t, rows, cols, -100, c.eps);
        expect(res.count).toBe(ref.count);
        const rl = res.rowLoss.toArray();
        expect(allFinite(rl)).toBe(true);
        expectClose(rl, ref.rowLoss, { rtol: 2e-6, atol: 2e-6 });
        const lse = res.lse.toArray();
        for (let r = 0; r < rows; r++) {
          if (t[r] === -100) expect(lse[r]).toBe(0);
          else expectClose([lse[r]!], [ref.lse[r]!], { rtol: 1e-6, atol: 1e-6 });
        }
        expectClose([res.loss], [ref.loss], { rtol: 2e-6, atol: 2e-6 });
      });
    });

    test(`backward = reference and finite differences, accumulating, ${name}`, () => {
      const { rows, cols, x, t } = xentData(c);
      const n = rows * cols;
      const d0 = f32(seededValues(n, 5, 0.25));
      tidy(() => {
        const xt = Tensor.fromArray(x, [rows, cols]);
        const tt = Tensor.fromArray(t, [rows], 'int32');
        const opts = { labelSmoothing: c.eps, dloss: c.dloss };
        const { lse } = softmaxXent(xt, tt, opts);
        const dl = Tensor.fromArray(d0, [rows, cols]);
        softmaxXentBackward(xt, tt, lse, dl, opts);
        const got = Float64Array.from(dl.toArray(), (v, i) => v - d0[i]!);
        for (let r = 0; r < rows; r++) {
          if (t[r] === -100) for (let j = 0; j < cols; j++) expect(got[r * cols + j]).toBe(0);
        }
        const dloss = c.dloss ?? 1;
        const ref = refXentBackward(x, t, rows, cols, -100, c.eps, dloss);
        const scale = Math.abs(dloss) / Math.max(1, rows);
        expectClose(got, ref, { rtol: 1e-5, atol: 2e-6 * scale + 1e-9 });
        if (n <= 600 && !c.spike) {
          const fd = finiteDiff((z) => dloss * refXent(z, t, rows, cols, -100, c.eps).loss, x);
          expectClose(got, fd, { rtol: 1e-4, atol: 1e-6 });
        }
      });
    });

    test(`inplace = forward + backward bit for bit, ${name}`, () => {
      const { rows, cols, x, t } = xentData(c);
      tidy(() => {
        const xt = Tensor.fromArray(x, [rows, cols]);
        const tt = Tensor.fromArray(t, [rows], 'int32');
        const opts = { labelSmoothing: c.eps, dloss: c.dloss };
        const res = softmaxXent(xt, tt, opts);
        const dl = Tensor.zeros([rows, cols]);
        softmaxXentBackward(xt, tt, res.lse, dl, opts);
        const inplace = softmaxXentInplace(xt, tt, opts);
        expect(inplace.loss).toBe(res.loss);
        expect(inplace.count).toBe(res.count);
        expectSameBits(xt.toArray() as Float32Array, dl.toArray() as Float32Array);
      });
    });
  }

  test('every row ignored: loss 0, count 0, no gradient; custom ignoreIndex; no rows', () => {
    tidy(() => {
      const x = Tensor.fromArray(logits([2, 5], 9), [2, 5]);
      const t = Tensor.fromArray([7, 7], [2], 'int32');
      const r = softmaxXent(x, t, { ignoreIndex: 7 });
      expect([r.loss, r.count]).toEqual([0, 0]);
      const dl = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2, 5]);
      softmaxXentBackward(x, t, r.lse, dl, { ignoreIndex: 7 });
      expect(Array.from(dl.toArray())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(softmaxXentInplace(x, t, { ignoreIndex: 7 })).toEqual({ loss: 0, count: 0 });
      expect(Array.from(x.toArray())).toEqual(new Array(10).fill(0));
      const e = softmaxXent(Tensor.zeros([0, 5]), Tensor.zeros([0], 'int32'));
      expect([e.loss, e.count, e.rowLoss.shape[0]]).toEqual([0, 0, 0]);
    });
  });
});

describe('against @tensorflow/tfjs-core (CPU backend)', () => {
  for (const shape of [
    [1, 1],
    [5, 7],
    [17, 33],
    [4, 1000],
  ] as [number, number][]) {
    test(`softmax, logSoftmax and their tf.grad ${JSON.stringify(shape)}`, () => {
      const [rows, cols] = shape;
      const n = rows * cols;
      const x = logits(shape, n + 1);
      const dy = f32(seededValues(n, n + 2, 1));
      const expected = tf.tidy(() => {
        const tx = tf.tensor2d(Float32Array.from(x), shape);
        const tdy = tf.tensor2d(Float32Array.from(dy), shape);
        return {
          y: tf.softmax(tx).dataSync().slice(),
          ly: tf.logSoftmax(tx).dataSync().slice(),
          g: tf
            .grad((z: tf.Tensor) => tf.sum(tf.mul(tf.softmax(z), tdy)))(tx)
            .dataSync()
            .slice(),
          lg: tf
            .grad((z: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(z), tdy)))(tx)
            .dataSync()
            .slice(),
        };
      });
      tidy(() => {
        const xt = Tensor.fromArray(x, shape);
        const dyt = Tensor.fromArray(dy, shape);
        const y = softmax(xt);
        const ly = logSoftmax(xt);
        expectClose(y.toArray(), expected.y, { rtol: 1e-5, atol: 1e-7 });
        expectClose(ly.toArray(), expected.ly, { rtol: 1e-5, atol: 1e-5 });
        const g = Tensor.zeros(shape);
        softmaxBackward(y, dyt, g);
        expectClose(g.toArray(), expected.g, { rtol: 1e-4, atol: 1e-6 });
        const lg = Tensor.zeros(shape);
        logSoftmaxBackward(ly, dyt, lg);
        expectClose(lg.toArray(), expected.lg, { rtol: 1e-4, atol: 1e-5 });
      });
    });
  }

  // tfjs smooths onehot labels as onehot * (1 - eps) + eps / numClasses, the same q as ours, and its
  // default reduction (SUM_BY_NONZERO_WEIGHTS) with 0/1 weights is our mean over the rows not ignored.
  for (const c of [
    { shape: [5, 7] as [number, number], eps: 0 },
    { shape: [17, 33] as [number, number], eps: 0.1, ignore: [3, 4] },
    { shape: [4, 1000] as [number, number], eps: 0.25 },
  ]) {
    test(`softmaxCrossEntropy and tf.grad ${JSON.stringify(c.shape)} labelSmoothing=${c.eps} ignore=${JSON.stringify(c.ignore ?? [])}`, () => {
      const [rows, cols] = c.shape;
      const x = logits(c.shape, rows + cols);
      const t = seededTargets(rows, cols, 3);
      for (const i of c.ignore ?? []) t[i] = -100;
      const w = Float32Array.from(t, (v) => (v === -100 ? 0 : 1));
      const expected = tf.tidy(() => {
        const onehot = tf.oneHot(
          tf.tensor1d(
            Int32Array.from(t, (v) => Math.max(v, 0)),
            'int32',
          ),
          cols,
        );
        const tx = tf.tensor2d(Float32Array.from(x), c.shape);
        const tw = tf.tensor1d(w);
        const f = (z: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, z, tw, c.eps) as tf.Scalar;
        return { loss: f(tx).dataSync()[0]!, g: tf.grad(f)(tx).dataSync().slice() };
      });
      tidy(() => {
        const xt = Tensor.fromArray(x, c.shape);
        const tt = Tensor.fromArray(t, [rows], 'int32');
        const res = softmaxXent(xt, tt, { labelSmoothing: c.eps });
        expectClose([res.loss], [expected.loss], { rtol: 1e-5, atol: 1e-6 });
        const g = Tensor.zeros(c.shape);
        softmaxXentBackward(xt, tt, res.lse, g, { labelSmoothing: c.eps });
        expectClose(g.toArray(), expected.g, { rtol: 1e-4, atol: 1e-7 });
      });
    });
  }
});

describe('bad input -> typed errors', () => {
  test('softmax family', () => {
    tidy(() => {
      const x = Tensor.zeros([2, 3]);
      expect(() => softmax(Tensor.zeros([2, 3], 'int32'))).toThrow(DTypeError);
      expect(() => softmax(Tensor.zeros([]))).toThrow(ShapeError);
      expect(() => softmax(x, { out: Tensor.zeros([3, 2]) })).toThrow(ShapeError);
      expect(() => logSoftmax([1, 2] as unknown as Tensor)).toThrow(ArgumentError);
      expect(() => softmaxBackward(x, Tensor.zeros([2, 4]), Tensor.zeros([2, 3]))).toThrow(ShapeError);
      expect(() => logSoftmaxBackward(x, x, Tensor.zeros([2, 3, 1]))).toThrow(ShapeError);
      expect(() => softmaxBackward(x, Tensor.zeros([2, 3]), x)).toThrow(ArgumentError);
    });
  });

  test('softmaxXent family', () => {
    tidy(() => {
      const x = Tensor.zeros([2, 3]);
      const t = Tensor.fromArray([0, 2], [2], 'int32');
      expect(() => softmaxXent(x, Tensor.fromArray([0, 2], [2]))).toThrow(DTypeError);
      expect(() => softmaxXent(x, Tensor.fromArray([0, 3], [2], 'int32'))).toThrow(
        /targets must be in \[0, 3\).*got 3 at row 1/,
      );
      expect(() => softmaxXent(x, Tensor.fromArray([-1, 0], [2], 'int32'))).toThrow(ArgumentError);
      expect(() => softmaxXent(x, Tensor.fromArray([0, 1, 2], [3], 'int32'))).toThrow(ShapeError);
      expect(() => softmaxXent(Tensor.zeros([2, 3, 1]), t)).toThrow(ShapeError);
      expect(() => softmaxXent(x, t, { labelSmoothing: 1 })).toThrow(/labelSmoothing must be a number in \[0, 1\)/);
      expect(() => softmaxXent(x, t, { labelSmoothing: -0.1 })).toThrow(ArgumentError);
      expect(() => softmaxXent(x, t, { labelSmoothing: NaN })).toThrow(ArgumentError);
      expect(() => softmaxXent(x, t, { ignoreIndex: 0.5 })).toThrow(ArgumentError);
      const { lse } = softmaxXent(x, t);
      expect(() => softmaxXentBackward(x, t, lse, Tensor.zeros([3, 2]))).toThrow(ShapeError);
      expect(() => softmaxXentBackward(x, t, Tensor.zeros([3]), Tensor.zeros([2, 3]))).toThrow(ShapeError);
      expect(() => softmaxXentBackward(x, t, lse, x)).toThrow(ArgumentError);
      expect(() => softmaxXentBackward(x, t, lse, Tensor.zeros([2, 3]), { dloss: Infinity })).toThrow(ArgumentError);
      expect(() => softmaxXentInplace(x, Tensor.fromArray([5, 0], [2], 'int32'))).toThrow(ArgumentError);
      expect(() => softmaxXentInplace(x, t, { labelSmoothing: 2 })).toThrow(ArgumentError);
    });
  });
});
