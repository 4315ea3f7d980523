import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import { refLayerNorm, refLayerNormBackward } from '../reference/norm.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { layerNorm, layerNormBackward } from '../../src/ops/norm.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const SHAPES: number[][] = [
  [1, 1],
  [3, 5],
  [7, 17],
  [33, 768],
  [2, 3, 5],
  [4, 9],
  [5, 3],
];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Seeded test data: x with a per-row offset and scale, gamma around 1, beta and dy around 0. */
function data(shape: number[], seed: number) {
  const C = shape[shape.length - 1]!;
  const n = size(shape);
  const x = seeded(n, seed);
  for (let i = 0; i < n; i++) x[i] = x[i]! * (1 + (Math.floor(i / C) % 3)) + 0.5 * (Math.floor(i / C) % 5);
  const gamma = seeded(C, seed + 1).map((v) => 1 + 0.5 * v);
  const beta = seeded(C, seed + 2);
  const dy = seeded(n, seed + 3);
  return { C, n, rows: n / C, x, gamma, beta, dy };
}

/** Sum of dy * y of the float64 reference (the loss whose gradients the backward gives). */
function loss64(
  x: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  dy: ArrayLike<number>,
  C: number,
): number {
  const { y } = refLayerNorm(x, gamma, beta, C);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]! * dy[i]!;
  return s;
}

/** Central finite difference of loss64 with respect to element i of `which`. */
function fd(
  args: { x: Float64Array; gamma: Float64Array; beta: Float64Array; dy: Float32Array; C: number },
  which: 'x' | 'gamma' | 'beta',
  i: number,
): number {
  const h = 1e-5;
  const arr = args[which];
  const v = arr[i]!;
  arr[i] = v + h;
  const up = loss64(args.x, args.gamma, args.beta, args.dy, args.C);
  arr[i] = v - h;
  const dn = loss64(args.x, args.gamma, args.beta, args.dy, args.C);
  arr[i] = v;
  return (up - dn) / (2 * h);
}

/** Up to `k` indices spread over [0, n). */
function sample(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, j) => Math.floor((j * (n - 1)) / (k - 1)));
}

describe('layerNorm forward = float64 reference', () => {
  for (const shape of SHAPES) {
    test(`${JSON.stringify(shape)}`, () => {
      const { C, rows, x, gamma, beta } = data(shape, shape.length * 100 + size(shape));
      tidy(() => {
        const res = layerNorm(Tensor.fromArray(x, shape), Tensor.fromArray(gamma), Tensor.fromArray(beta));
        expect(res.y.shape).toEqual(shape);
        expect(res.mean.shape).toEqual([rows]);
        expect(res.rstd.shape).toEqual([rows]);
        const ref = refLayerNorm(x, gamma, beta, C);
        expectClose(res.y.toArray(), ref.y, { rtol: 1e-5, atol: 1e-5 });
        expectClose(res.mean.toArray(), ref.mean, { rtol: 1e-6, atol: 1e-6 });
        expectClose(res.rstd.toArray(), ref.rstd, { rtol: 1e-5, atol: 0 });
      });
    });
  }

  test('eps option: a constant row gives y = beta and rstd = 1 / sqrt(eps)', () => {
    tidy(() => {
      const C = 6;
      const x = Tensor.fromArray(new Float32Array(2 * C).fill(3.25), [2, C]);
      const gamma = Tensor.fromArray(seeded(C, 1));
      const beta = Tensor.fromArray(seeded(C, 2));
      const res = layerNorm(x, gamma, beta, { eps: 1e-3 });
      expectClose(res.rstd.toArray(), [1 / Math.sqrt(1e-3), 1 / Math.sqrt(1e-3)], { rtol: 1e-6 });
      expectClose(res.y.toArray(), [...beta.toArray(), ...beta.toArray()], { rtol: 0, atol: 1e-6 });
    });
  });

  test('rows of 1e4 + small noise keep their precision (corrected two-pass variance)', () => {
    const shape = [8, 768];
    const C = 768;
    const x = seeded(size(shape), 77).map((v, i) => 1e4 * (1 + (i % 3)) + v * 0.5);
    const gamma = new Float32Array(C).fill(1);
    const beta = new Float32Array(C);
    tidy(() => {
      const res = layerNorm(Tensor.fromArray(x, shape), Tensor.fromArray(gamma), Tensor.fromArray(beta));
      const ref = refLayerNorm(x, gamma, beta, C);
      // y is O(1); the one-pass E[x^2] - E[x]^2 formula would be off by O(1) here.
      expectClose(res.y.toArray(), ref.y, { rtol: 0, atol: 5e-5 });
      expectClose(res.rstd.toArray(), ref.rstd, { rtol: 1e-5, atol: 0 });
      // The backward repairs the f32 rounding of the saved mean the same way.
      const dy = seeded(size(shape), 78);
      const dx = Tensor.zeros(shape);
      const dgamma = Tensor.zeros([C]);
      layerNormBackward(
        Tensor.fromArray(x, shape),
        Tensor.fromArray(gamma),
        res.mean,
        res.rstd,
        Tensor.fromArray(dy, shape),
        { dx, dgamma },
      );
      const rb = refLayerNormBackward(x, gamma, dy, C);
      expectClose(dx.toArray(), rb.dx, { rtol: 0, atol: 5e-5 });
      expectClose(dgamma.toArray(), rb.dgamma, { rtol: 0, atol: 1e-4 });
    });
  });

  test('out: writes into the given tensor, also in place over x', () => {
    const shape = [7, 17];
    const { C, x, gamma, beta } = data(shape, 5);
    tidy(() => {
      const ref = refLayerNorm(x, gamma, beta, C);
      const g = Tensor.fromArray(gamma);
      const b = Tensor.fromArray(beta);
      const out = Tensor.zeros(shape);
      expect(layerNorm(Tensor.fromArray(x, shape), g, b, { out }).y).toBe(out);
      expectClose(out.toArray(), ref.y, { rtol: 1e-5, atol: 1e-5 });
      const xt = Tensor.fromArray(x, shape);
      const res = layerNorm(xt, g, b, { out: xt });
      expect(res.y).toBe(xt);
      expectClose(xt.toArray(), ref.y, { rtol: 1e-5, atol: 1e-5 });
      expectClose(res.mean.toArray(), ref.mean, { rtol: 1e-6, atol: 1e-6 });
    });
  });

  test('zero rows give empty outputs', () => {
    tidy(() => {
      const res = layerNorm(Tensor.zeros([0, 4]), Tensor.zeros([4]), Tensor.zeros([4]));
      expect(res.y.shape).toEqual([0, 4]);
      expect(res.mean.shape).toEqual([0]);
      layerNormBackward(Tensor.zeros([0, 4]), Tensor.zeros([4]), res.mean, res.rstd, Tensor.zeros([0, 4]), {
        dgamma: Tensor.zeros([4]),
      });
    });
  });
});

describe('layerNormBackward', () => {
  for (const shape of SHAPES) {
    test(`${JSON.stringify(shape)} = reference backward, accumulating into dx, dgamma, dbeta`, () => {
      const { C, n, x, gamma, beta, dy } = data(shape, 31 + size(shape));
      tidy(() => {
        const xt = Tensor.fromArray(x, shape);
        const gt = Tensor.fromArray(gamma);
        const { mean, rstd } = layerNorm(xt, gt, Tensor.fromArray(beta));
        const dx0 = seeded(n, 91);
        const dg0 = seeded(C, 92);
        const db0 = seeded(C, 93);
        const dx = Tensor.fromArray(dx0, shape);
        const dgamma = Tensor.fromArray(dg0);
        const dbeta = Tensor.fromArray(db0);
        layerNormBackward(xt, gt, mean, rstd, Tensor.fromArray(dy, shape), { dx, dgamma, dbeta });
        const ref = refLayerNormBackward(x, gamma, dy, C);
        const plus = (a: Float32Array, b: Float64Array) => b.map((v, i) => v + a[i]!);
        expectClose(dx.toArray(), plus(dx0, ref.dx), { rtol: 1e-4, atol: 1e-5 });
        // dgamma / dbeta sum over rows: tolerance grows with the row count.
        const rows = n / C;
        expectClose(dgamma.toArray(), plus(dg0, ref.dgamma), { rtol: 1e-5, atol: 2e-6 * rows });
        expectClose(dbeta.toArray(), plus(db0, ref.dbeta), { rtol: 1e-5, atol: 2e-6 * rows });
      });
    });

    test(`${JSON.stringify(shape)} = central finite differences of the float64 reference`, () => {
      const { C, n, x, gamma, beta, dy } = data(shape, 57 + size(shape));
      tidy(() => {
        const xt = Tensor.fromArray(x, shape);
        const gt = Tensor.fromArray(gamma);
        const { mean, rstd } = layerNorm(xt, gt, Tensor.fromArray(beta));
        const dx = Tensor.zeros(shape);
        const dgamma = Tensor.zeros([C]);
        const dbeta = Tensor.zeros([C]);
        layerNormBackward(xt, gt, mean, rstd, Tensor.fromArray(dy, shape), { dx, dgamma, dbeta });
        const args = { x: Float64Array.from(x), gamma: Float64Array.from(gamma), beta: Float64Array.from(beta), dy, C };
        const check = (name: 'x' | 'gamma' | 'beta', got: Float32Array, len: number, atol: number) => {
          const idx = sample(len, 24);
          expectClose(
            idx.map((i) => got[i]!),
            idx.map((i) => fd(args, name, i)),
            { rtol: 1e-4, atol },
          );
        };
        check('x', dx.toArray(), n, 2e-5);
        check('gamma', dgamma.toArray(), C, 2e-6 * (n / C) + 1e-6);
        check('beta', dbeta.toArray(), C, 2e-6 * (n / C) + 1e-6);
      });
    });
  }

  test('absent gradients are skipped; present ones equal the full computation', () => {
    const shape = [9, 13];
    const { C, x, gamma, beta, dy } = data(shape, 8);
    tidy(() => {
      const xt = Tensor.fromArray(x, shape);
      const gt = Tensor.fromArray(gamma);
      const dyt = Tensor.fromArray(dy, shape);
      const { mean, rstd } = layerNorm(xt, gt, Tensor.fromArray(beta));
      const full = { dx: Tensor.zeros(shape), dgamma: Tensor.zeros([C]), dbeta: Tensor.zeros([C]) };
      layerNormBackward(xt, gt, mean, rstd, dyt, full);
      const subsets: (keyof typeof full)[][] = [
        ['dx'],
        ['dgamma'],
        ['dbeta'],
        ['dx', 'dbeta'],
        ['dgamma', 'dbeta'],
        ['dx', 'dgamma'],
      ];
      for (const keys of subsets) {
        const g: Record<string, Tensor> = {};
        for (const k of keys) g[k] = Tensor.zeros(full[k].shape);
        layerNormBackward(xt, gt, mean, rstd, dyt, g);
        for (const k of keys) expect(g[k]!.toArray(), `${keys.join('+')}: ${k}`).toEqual(full[k].toArray());
      }
      layerNormBackward(xt, gt, mean, rstd, dyt, {}); // nothing asked: no error, nothing to do
    });
  });

  test('kernel forward and backward agree (finite differences of the float32 forward)', () => {
    const shape = [3, 5];
    const { C, n, x, gamma, beta, dy } = data(shape, 3);
    tidy(() => {
      const gt = Tensor.fromArray(gamma);
      const bt = Tensor.fromArray(beta);
      const loss = (xv: Float32Array) => {
        const y = layerNorm(Tensor.fromArray(xv, shape), gt, bt).y.toArray();
        let s = 0;
        for (let i = 0; i < n; i++) s += y[i]! * dy[i]!;
        return s;
      };
      const xt = Tensor.fromArray(x, shape);
      const { mean, rstd } = layerNorm(xt, gt, bt);
      const dx = Tensor.zeros(shape);
      layerNormBackward(xt, gt, mean, rstd, Tensor.fromArray(dy, shape), { dx });
      const h = 1e-2;
      const num = Array.from({ length: n }, (_, i) => {
        const up = x.slice();
        const dn = x.slice();
        up[i] = up[i]! + h;
        dn[i] = dn[i]! - h;
        return (loss(up) - loss(dn)) / (Math.fround(x[i]! + h) - Math.fround(x[i]! - h));
      });
      expect(C).toBe(5);
      expectClose(dx.toArray(), num, { rtol: 2e-2, atol: 2e-3 });
    });
  });
});

describe('layerNorm = tfjs-core (cpu): tf.moments composition, forward and tf.grad', () => {
  for (const shape of [
    [7, 17],
    [2, 3, 5],
    [33, 768],
  ]) {
    test(`${JSON.stringify(shape)}`, () => {
      const { C, x, gamma, beta, dy } = data(shape, 123 + size(shape));
      const eps = 1e-5;
      const f = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(xs, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(xs, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
      };
      const [tx, tg, tb, tdy] = [tf.tensor(x, shape), tf.tensor(gamma), tf.tensor(beta), tf.tensor(dy, shape)];
      const yT = f(tx, tg, tb).dataSync();
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), tdy)))([
        tx,
        tg,
        tb,
      ]);
      const [gx, gg, gb] = grads.map((t) => t.dataSync());
      tf.dispose([tx, tg, tb, tdy, ...grads]);
      tidy(() => {
        const xt = Tensor.fromArray(x, shape);
        const gt = Tensor.fromArray(gamma);
        const { y, mean, rstd } = layerNorm(xt, gt, Tensor.fromArray(beta), { eps });
        expectClose(y.toArray(), yT, { rtol: 1e-4, atol: 1e-5 });
        const dx = Tensor.zeros(shape);
        const dgamma = Tensor.zeros([C]);
        const dbeta = Tensor.zeros([C]);
        layerNormBackward(xt, gt, mean, rstd, Tensor.fromArray(dy, shape), { dx, dgamma, dbeta });
        const rows = size(shape) / C;
        expectClose(dx.toArray(), gx!, { rtol: 1e-3, atol: 1e-4 });
        expectClose(dgamma.toArray(), gg!, { rtol: 1e-4, atol: 5e-6 * rows });
        expectClose(dbeta.toArray(), gb!, { rtol: 1e-4, atol: 5e-6 * rows });
      });
    });
  }
});

describe('layerNorm bad input', () => {
  test('typed errors with the documented message form', () => {
    tidy(() => {
      const x = Tensor.zeros([3, 4]);
      const g = Tensor.zeros([4]);
      const b = Tensor.zeros([4]);
      expect(() => layerNorm(x, Tensor.zeros([5]), b)).toThrow(ShapeError);
      expect(() => layerNorm(x, g, Tensor.zeros([4, 1]))).toThrow(/layerNorm: beta must have rank 1/);
      expect(() => layerNorm(x, Tensor.zeros([4], 'int32'), b)).toThrow(DTypeError);
      expect(() => layerNorm(Tensor.zeros([3, 4], 'int32'), g, b)).toThrow(
        /layerNorm: x must have dtype float32, got int32/,
      );
      expect(() => layerNorm(Tensor.zeros([3, 0]), Tensor.zeros([0]), Tensor.zeros([0]))).toThrow(ShapeError);
      expect(() => layerNorm(Tensor.zeros([]), g, b)).toThrow(ShapeError);
      expect(() => layerNorm(x, g, b, { eps: -1 })).toThrow(/layerNorm: eps must be a finite number >= 0, got -1/);
      expect(() => layerNorm(x, g, b, { eps: NaN })).toThrow(ArgumentError);
      expect(() => layerNorm(x, g, b, { out: Tensor.zeros([4, 3]) })).toThrow(
        /out must have shape \[3, 4\], got \[4, 3\]/,
      );
      expect(() => layerNorm(null as unknown as Tensor, g, b)).toThrow(ArgumentError);
      const { mean, rstd } = layerNorm(x, g, b);
      const dy = Tensor.zeros([3, 4]);
      expect(() => layerNormBackward(x, g, Tensor.zeros([4]), rstd, dy, { dx: Tensor.zeros([3, 4]) })).toThrow(
        /mean must have shape \[3\], got \[4\]/,
      );
      expect(() => layerNormBackward(x, g, mean, rstd, Tensor.zeros([3, 5]), { dx: Tensor.zeros([3, 4]) })).toThrow(
        ShapeError,
      );
      expect(() => layerNormBackward(x, g, mean, rstd, dy, { dx: Tensor.zeros([12]) })).toThrow(ShapeError);
      expect(() => layerNormBackward(x, g, mean, rstd, dy, { dgamma: Tensor.zeros([3]) })).toThrow(ShapeError);
      expect(() => layerNormBackward(x, g, mean, rstd, dy, { dbeta: Tensor.zeros([4], 'int32') })).toThrow(DTypeError);
      expect(() => layerNormBackward(x, g, mean, rstd, dy, { dx: dy })).toThrow(ArgumentError);
      const d = Tensor.zeros([4]);
      expect(() => layerNormBackward(x, g, mean, rstd, dy, { dgamma: d, dbeta: d })).toThrow(ArgumentError);
      expect(() => layerNormBackward(x, g, mean, rstd, dy, null as unknown as object)).toThrow(ArgumentError);
    });
  });
});
