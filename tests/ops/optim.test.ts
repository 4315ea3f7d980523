import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import { refAdamStep, refGlobalNorm, refSgdStep, type RefAdam, type RefSgd } from '../reference/optim.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { adamStep, clipGradNorm, sgdStep } from '../../src/ops/optim.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const SIZES = [1, 3, 5, 17, 1001];
const STEPS = 5;

/** The gradient of step s (fixed data, independent of p, so f32 and f64 runs see the same inputs). */
const gradAt = (n: number, s: number) => seeded(n, 1000 + 17 * s + n);

describe('sgdStep = float64 reference of torch.optim.SGD over several steps', () => {
  const variants: RefSgd[] = [
    { lr: 0.1 },
    { lr: 0.05, weightDecay: 0.01 },
    { lr: 0.1, momentum: 0.9 },
    { lr: 0.1, momentum: 0.9, nesterov: true },
    { lr: 0.03, momentum: 0.5, weightDecay: 0.1, nesterov: true },
  ];
  for (const n of SIZES) {
    for (const o of variants) {
      test(`n=${n} ${JSON.stringify(o)}`, () => {
        const p0 = seeded(n, n);
        const pRef = Float64Array.from(p0);
        let buf: Float64Array | null = null;
        tidy(() => {
          const param = Tensor.fromArray(p0);
          const state: { momentum?: Tensor } = {};
          for (let s = 1; s <= STEPS; s++) {
            const g = gradAt(n, s);
            sgdStep(param, Tensor.fromArray(g), state, o);
            buf = refSgdStep(pRef, g, buf, o);
          }
          expect(state.momentum !== undefined).toBe((o.momentum ?? 0) > 0);
          expectClose(param.toArray(), pRef, { rtol: 1e-5, atol: 1e-6 });
          if (buf !== null) expectClose(state.momentum!.toArray(), buf, { rtol: 1e-5, atol: 1e-6 });
        });
      });
    }
  }
});

describe('adamStep = float64 reference of torch.optim.Adam / AdamW over several steps', () => {
  const variants: Omit<RefAdam, 'step'>[] = [
    { lr: 0.01 },
    { lr: 0.1, beta1: 0.8, beta2: 0.99, eps: 1e-6 },
    { lr: 0.01, weightDecay: 0.1 },
    { lr: 0.01, weightDecay: 0.1, decoupled: true },
    { lr: 0.001, beta1: 0, beta2: 0.9, eps: 1e-3, weightDecay: 0.5, decoupled: true },
  ];
  for (const n of SIZES) {
    for (const o of variants) {
      test(`n=${n} ${JSON.stringify(o)}`, () => {
        const p0 = seeded(n, n + 7);
        const pRef = Float64Array.from(p0);
        const mRef = new Float64Array(n);
        const vRef = new Float64Array(n);
        tidy(() => {
          const param = Tensor.fromArray(p0);
          const state = { m: Tensor.zeros([n]), v: Tensor.zeros([n]) };
          for (let s = 1; s <= STEPS; s++) {
            const g = gradAt(n, s);
            adamStep(param, Tensor.fromArray(g), state, { ...o, step: s });
            refAdamStep(pRef, g, mRef, vRef, { ...o, step: s });
          }
          expectClose(state.m.toArray(), mRef, { rtol: 1e-5, atol: 1e-7 });
          expectClose(state.v.toArray(), vRef, { rtol: 1e-5, atol: 1e-9 });
          // Each update is at most about lr per element; f32 rounding of p itself dominates.
          expectClose(param.toArray(), pRef, { rtol: 2e-6, atol: o.lr * 1e-4 });
        });
      });
    }
  }

  test('tf.train.adam on a tf.variable, 4 steps, matches adamStep', () => {
    const n = 33;
    const p0 = seeded(n, 3);
    const cfg = { lr: 0.02, beta1: 0.85, beta2: 0.995, eps: 1e-7 };
    const opt = tf.train.adam(cfg.lr, cfg.beta1, cfg.beta2, cfg.eps);
    const variable = tf.variable(tf.tensor1d(p0), true, 'adam_test_p');
    tidy(() => {
      const param = Tensor.fromArray(p0);
      const state = { m: Tensor.zeros([n]), v: Tensor.zeros([n]) };
      for (let s = 1; s <= 4; s++) {
        const g = gradAt(n, s);
        tf.tidy(() => opt.applyGradients([{ name: 'adam_test_p', tensor: tf.tensor1d(g) }]));
        adamStep(param, Tensor.fromArray(g), state, { ...cfg, step: s });
      }
      expectClose(param.toArray(), variable.dataSync(), { rtol: 1e-6, atol: 1e-6 });
    });
    opt.dispose();
    variable.dispose();
  });

  test('Adam on a convex quadratic f(p) = 1/2 sum a_i (p_i - c_i)^2 converges to c within 1e-3', () => {
    const n = 17;
    const a = Float64Array.from(seeded(n, 61), (v) => 0.1 + 4 * Math.abs(v)); // curvatures 0.1 .. 4.1
    const c = Float64Array.from(seeded(n, 62), (v) => 3 * v);
    const steps = 1500;
    tidy(() => {
      const param = Tensor.fromArray(seeded(n, 63), [n]);
      const grad = Tensor.zeros([n]);
      const state = { m: Tensor.zeros([n]), v: Tensor.zeros([n]) };
      for (let t = 1; t <= steps; t++) {
        const p = param.view();
        const g = grad.view();
        for (let i = 0; i < n; i++) g[i] = a[i]! * (p[i]! - c[i]!);
        // Cosine decay of the learning rate from 0.1 to 0: constant-lr Adam hovers at ~lr.
        const lr = 0.05 * (1 + Math.cos((Math.PI * (t - 1)) / steps));
        adamStep(param, grad, state, { lr, step: t });
      }
      expectClose(param.toArray(), c, { rtol: 0, atol: 1e-3 });
    });
  });
});

describe('clipGradNorm', () => {
  const shapes = [[17], [3, 1001], [1], [5, 5]];
  const make = (seed: number, mul: number) =>
    shapes.map((s, i) =>
      Float32Array.from(
        seeded(
          s.reduce((x, y) => x * y, 1),
          seed + i,
        ),
        (v) => v * mul,
      ),
    );

  test('scales to maxNorm and returns the pre-clip norm', () => {
    const gs = make(10, 3);
    const norm = refGlobalNorm(gs);
    const maxNorm = 1.5;
    tidy(() => {
      const ts = gs.map((g, i) => Tensor.fromArray(g, shapes[i]));
      const got = clipGradNorm(ts, maxNorm);
      expect(Math.abs(got - norm) / norm).toBeLessThan(1e-6);
      const after = ts.map((t) => t.toArray());
      expect(Math.abs(refGlobalNorm(after) - maxNorm) / maxNorm).toBeLessThan(1e-5);
      const coef = maxNorm / (norm + 1e-6);
      after.forEach((x, i) =>
        expectClose(
          x,
          Float64Array.from(gs[i]!, (v) => v * coef),
          { rtol: 2e-7, atol: 1e-12 },
        ),
      );
    });
  });

  test('below maxNorm the gradients are unchanged (bits) and the norm is returned', () => {
    const gs = make(20, 0.01);
    const norm = refGlobalNorm(gs);
    tidy(() => {
      const ts = gs.map((g, i) => Tensor.fromArray(g, shapes[i]));
      expect(Math.abs(clipGradNorm(ts, 10) - norm) / norm).toBeLessThan(1e-6);
      ts.forEach((t, i) => expectSameBits(t.toArray() as Float32Array, gs[i]!));
    });
  });

  test('a large buffer (1M) has an accurate norm; an inf gradient leaves grads unchanged', () => {
    const big = Float32Array.from(seeded(1 << 20, 5), (v) => v + 0.5);
    tidy(() => {
      const t = Tensor.fromArray(big);
      const got = clipGradNorm([t], 1e9);
      const ref = refGlobalNorm([big]);
      expect(Math.abs(got - ref) / ref).toBeLessThan(1e-6);
      const bad = Tensor.fromArray(Float32Array.from([1, Infinity, 2]));
      expect(clipGradNorm([bad], 1)).toBe(Infinity);
      expect(Array.from(bad.toArray())).toEqual([1, Infinity, 2]);
      expect(clipGradNorm([], 1)).toBe(0);
    });
  });
});

describe('bad input', () => {
  test('optimizer arguments', () => {
    tidy(() => {
      const p = Tensor.zeros([5]);
      const g = Tensor.zeros([5]);
      expect(() => sgdStep(p, Tensor.zeros([4]), {}, { lr: 0.1 })).toThrow(ShapeError);
      expect(() => sgdStep(p, Tensor.zeros([5], 'int32'), {}, { lr: 0.1 })).toThrow(DTypeError);
      expect(() => sgdStep(p, g, {}, { lr: -1 })).toThrow(/lr must be a finite number >= 0, got -1/);
      expect(() => sgdStep(p, g, {}, { lr: NaN })).toThrow(ArgumentError);
      expect(() => sgdStep(p, g, {}, { lr: 0.1, nesterov: true })).toThrow(/momentum must be > 0 with nesterov/);
      expect(() => sgdStep(p, g, { momentum: Tensor.zeros([3]) }, { lr: 0.1, momentum: 0.9 })).toThrow(ShapeError);
      expect(() => sgdStep(p, p, {}, { lr: 0.1 })).toThrow(ArgumentError);
      const st = { m: Tensor.zeros([5]), v: Tensor.zeros([5]) };
      expect(() => adamStep(p, g, st, { lr: 0.1, step: 0 })).toThrow(/step must be an integer >= 1, got 0/);
      expect(() => adamStep(p, g, st, { lr: 0.1, step: 1.5 })).toThrow(ArgumentError);
      expect(() => adamStep(p, g, st, { lr: 0.1, step: 1, beta1: 1 })).toThrow(
        /beta1 must be a finite number in \[0, 1\)/,
      );
      expect(() => adamStep(p, g, st, { lr: 0.1, step: 1, beta2: -0.1 })).toThrow(ArgumentError);
      expect(() => adamStep(p, g, st, { lr: 0.1, step: 1, eps: -1 })).toThrow(ArgumentError);
      expect(() => adamStep(p, g, st, { lr: 0.1, step: 1, weightDecay: -1 })).toThrow(ArgumentError);
      expect(() => adamStep(p, g, { m: st.m, v: Tensor.zeros([6]) }, { lr: 0.1, step: 1 })).toThrow(ShapeError);
      expect(() => adamStep(p, g, { m: st.m, v: st.m }, { lr: 0.1, step: 1 })).toThrow(ArgumentError);
      expect(() => adamStep(p, g, { m: st.m } as never, { lr: 0.1, step: 1 })).toThrow(ArgumentError);
      expect(() => clipGradNorm([p, Tensor.zeros([2], 'int32')], 1)).toThrow(/grads\[1\] must have dtype float32/);
      expect(() => clipGradNorm([p], -1)).toThrow(ArgumentError);
      expect(() => clipGradNorm([p], Infinity)).toThrow(ArgumentError);
    });
  });
});
