import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import {
  map64,
  refGeluErf,
  refGeluErfD,
  refGeluTanh,
  refGeluTanhD,
  refRelu,
  refReluD,
  refSigmoid,
  refTanh,
} from '../reference/activation.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import {
  gelu,
  geluBackward,
  relu,
  reluBackward,
  sigmoid,
  sigmoidBackward,
  tanh,
  tanhBackward,
} from '../../src/ops/activation.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const SHAPES: number[][] = [[1, 1], [3, 5], [7, 17], [33, 768], [2, 3, 5], [1, 3], [9]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

interface Act {
  name: string;
  fwd: (x: Tensor, out?: Tensor) => Tensor;
  /** Backward; `fromY` ones take the forward output instead of x. */
  bwd: (xOrY: Tensor, dy: Tensor, dx: Tensor) => void;
  fromY: boolean;
  ref: (x: number) => number;
  /** d f / d x as a function of x (float64). */
  refD: (x: number) => number;
  /** Forward tolerance: |err| <= atol + rtol |ref|. */
  tol: { rtol: number; atol: number };
  /** Derivative tolerance. */
  dtol: { rtol: number; atol: number };
  tf: (x: tf.Tensor) => tf.Tensor;
}

const K = Math.sqrt(2 / Math.PI);
const ACTS: Act[] = [
  {
    name: 'relu',
    fromY: false,
    ref: refRelu,
    refD: refReluD,
    fwd: (x, out) => relu(x, { out }),
    bwd: reluBackward,
    tol: { rtol: 0, atol: 0 },
    dtol: { rtol: 0, atol: 0 },
    tf: (x) => tf.relu(x),
  },
  {
    name: 'gelu (erf)',
    fromY: false,
    ref: refGeluErf,
    refD: refGeluErfD,
    fwd: (x, out) => gelu(x, { out }),
    bwd: (x, dy, dx) => geluBackward(x, dy, dx),
    tol: { rtol: 2e-6, atol: 2e-6 },
    dtol: { rtol: 2e-6, atol: 3e-6 },
    tf: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)),
  },
  {
    name: 'gelu (tanh)',
    fromY: false,
    ref: refGeluTanh,
    refD: refGeluTanhD,
    fwd: (x, out) => gelu(x, { approximate: 'tanh', out }),
    bwd: (x, dy, dx) => geluBackward(x, dy, dx, { approximate: 'tanh' }),
    tol: { rtol: 2e-6, atol: 2e-6 },
    dtol: { rtol: 2e-6, atol: 3e-6 },
    tf: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), K)), 1)),
  },
  {
    name: 'tanh',
    fromY: true,
    ref: refTanh,
    refD: (x) => 1 - Math.tanh(x) ** 2,
    fwd: (x, out) => tanh(x, { out }),
    bwd: tanhBackward,
    tol: { rtol: 0, atol: 1e-6 },
    dtol: { rtol: 0, atol: 3e-6 },
    tf: (x) => tf.tanh(x),
  },
  {
    name: 'sigmoid',
    fromY: true,
    ref: refSigmoid,
    refD: (x) => refSigmoid(x) * (1 - refSigmoid(x)),
    fwd: (x, out) => sigmoid(x, { out }),
    bwd: sigmoidBackward,
    tol: { rtol: 0, atol: 1e-6 },
    dtol: { rtol: 0, atol: 1e-6 },
    tf: (x) => tf.sigmoid(x),
  },
];

/** Inputs in (-5, 5), never exactly 0 (relu' is discontinuous there). */
function inputs(n: number, seed: number): Float32Array {
  return seeded(n, seed).map((v) => (v === 0 ? 0.25 : 5 * v));
}

/** Runs the op's backward with dx starting at dx0; returns the new dx. */
function runBackward(a: Act, x: Float32Array, dy: Float32Array, dx0: Float32Array, shape: number[]): Float32Array {
  return tidy(() => {
    const xt = Tensor.fromArray(x, shape);
    const first = a.fromY ? a.fwd(xt) : xt;
    const dx = Tensor.fromArray(dx0, shape);
    a.bwd(first, Tensor.fromArray(dy, shape), dx);
    return dx.toArray() as Float32Array;
  });
}

for (const a of ACTS) {
  describe(a.name, () => {
    for (const shape of SHAPES) {
      const n = size(shape);
      test(`${JSON.stringify(shape)} forward = float64 reference`, () => {
        const x = inputs(n, n + 7);
        tidy(() => {
          const y = a.fwd(Tensor.fromArray(x, shape));
          expect(y.shape).toEqual(shape);
          expectClose(y.toArray(), map64(x, a.ref), a.tol);
        });
      });

      test(`${JSON.stringify(shape)} backward = reference derivative and central differences, accumulating`, () => {
        const x = inputs(n, n + 11);
        const dy = seeded(n, n + 12);
        const dx0 = seeded(n, n + 13);
        const got = runBackward(a, x, dy, dx0, shape);
        // Reference: dx0 + dy * f'(x) with f' in closed form ...
        const closed = map64(x, a.refD).map((d, i) => dx0[i]! + dy[i]! * d);
        const tol = (d: { rtol: number; atol: number }) => ({ rtol: d.rtol, atol: d.atol + 1e-7 });
        expectClose(got, closed, tol(a.dtol));
        // ... and by central differences of the float64 forward (h = 1e-5: error ~1e-9 here).
        const h = 1e-5;
        const fd = Float64Array.from(x, (v, i) => dx0[i]! + (dy[i]! * (a.ref(v + h) - a.ref(v - h))) / (2 * h));
        expectClose(got, fd, { rtol: a.dtol.rtol, atol: a.dtol.atol + 1e-6 });
      });
    }

    test('backward = finite differences of the float32 forward (h = 1e-2)', () => {
      const shape = [7, 17];
      const n = size(shape);
      const x = inputs(n, 5);
      const dy = new Float32Array(n).fill(1);
      const got = runBackward(a, x, dy, new Float32Array(n), shape);
      tidy(() => {
        const h = 1e-2;
        const xp = x.map((v) => v + h);
        const xm = x.map((v) => v - h);
        const yp = a.fwd(Tensor.fromArray(xp, shape)).toArray();
        const ym = a.fwd(Tensor.fromArray(xm, shape)).toArray();
        // Skip relu's kink: a step crossing 0 is not a derivative.
        const keep = Array.from({ length: n }, (_, i) => a.name !== 'relu' || Math.abs(x[i]!) > h);
        const num = Array.from({ length: n }, (_, i) => (keep[i] ? (yp[i]! - ym[i]!) / (xp[i]! - xm[i]!) : got[i]!));
        expectClose(got, num, { rtol: 1e-3, atol: 5e-4 });
      });
    });

    test('tfjs-core (cpu): forward and tf.grad', () => {
      const shape = [33, 17];
      const n = size(shape);
      const x = inputs(n, 21);
      const dy = seeded(n, 22);
      const tx = tf.tensor(x, shape);
      const tdy = tf.tensor(dy, shape);
      const yT = a.tf(tx);
      const gT = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(a.tf(v), tdy)))(tx);
      const yTf = yT.dataSync() as Float32Array;
      const gTf = gT.dataSync() as Float32Array;
      tf.dispose([tx, tdy, yT, gT]);
      const y = tidy(() => a.fwd(Tensor.fromArray(x, shape)).toArray());
      expectClose(y, yTf, { rtol: 1e-5, atol: 2e-6 });
      expectClose(runBackward(a, x, dy, new Float32Array(n), shape), gTf, { rtol: 1e-4, atol: 5e-6 });
    });

    test('out: in place over x, and into a given tensor', () => {
      const shape = [5, 7];
      const x = inputs(35, 3);
      tidy(() => {
        const expected = a.fwd(Tensor.fromArray(x, shape)).toArray();
        const out = Tensor.zeros(shape);
        expect(a.fwd(Tensor.fromArray(x, shape), out)).toBe(out);
        expectSameBits(out.toArray(), expected);
        const xt = Tensor.fromArray(x, shape);
        expect(a.fwd(xt, xt)).toBe(xt);
        expectSameBits(xt.toArray(), expected);
      });
    });

    test('a value does not depend on its position (vector body = scalar tail)', () => {
      const x = inputs(11, 9);
      const rot = Float32Array.from(x, (_, i) => x[(i + 8) % 11]!); // body lanes moved into the tail and back
      const dy = seeded(11, 10);
      const dyRot = Float32Array.from(dy, (_, i) => dy[(i + 8) % 11]!);
      const y = tidy(() => a.fwd(Tensor.fromArray(x)).toArray());
      const yr = tidy(() => a.fwd(Tensor.fromArray(rot)).toArray());
      expectSameBits(
        Float32Array.from(y, (_, i) => y[(i + 8) % 11]!),
        yr,
      );
      const g = runBackward(a, x, dy, new Float32Array(11), [11]);
      const gr = runBackward(a, rot, dyRot, new Float32Array(11), [11]);
      expectSameBits(
        Float32Array.from(g, (_, i) => g[(i + 8) % 11]!),
        gr,
      );
    });

    test('+-inf and huge inputs: no NaN forward or backward, correct limits', () => {
      const x = Float32Array.from([
        -Infinity,
        Infinity,
        -3e38,
        3e38,
        -1e30,
        1e30,
        -1e10,
        1e10,
        -1e4,
        1e4,
        -100,
        100,
        -20.5,
        20.5,
        -10.5,
        10.5,
        -9.5,
        9.5,
        -0,
        0,
        -1e-30,
        1e-30,
        -40,
        40,
      ]);
      const n = x.length;
      const y = tidy(() => a.fwd(Tensor.fromArray(x)).toArray());
      const dy = new Float32Array(n).fill(1);
      const d = runBackward(a, x, dy, new Float32Array(n), [n]);
      for (let i = 0; i < n; i++) {
        expect(Number.isNaN(y[i]), `forward at x = ${x[i]}`).toBe(false);
        expect(Number.isFinite(d[i]), `derivative at x = ${x[i]}: ${d[i]}`).toBe(true);
      }
      if (a.name.startsWith('gelu')) {
        expect(y[0]).toBe(-0); // gelu(-inf): -0 (0 * -x)
        expect(y[1]).toBe(Infinity);
        expect([y[3], y[5], y[7], y[9], y[11]]).toEqual([x[3], x[5], x[7], x[9], x[11]]);
        expect([y[2], y[4], y[6], y[8], y[10]].every((v) => v === 0)).toBe(true);
        expect([d[0], d[1], d[2], d[3]]).toEqual([0, 1, 0, 1]);
        // Away from the ends the derivative still matches the float64 formula.
        for (const i of [14, 15, 16, 17, 20, 21]) expect(Math.abs(d[i]! - a.refD(x[i]!))).toBeLessThan(1e-6);
      } else if (a.name === 'tanh') {
        expect([y[0], y[1]]).toEqual([-1, 1]);
        expect([d[0], d[1], d[2], d[3]]).toEqual([0, 0, 0, 0]);
      } else if (a.name === 'sigmoid') {
        expect([y[0], y[1]]).toEqual([0, 1]);
        expect([d[0], d[1], d[2], d[3]]).toEqual([0, 0, 0, 0]);
      } else {
        expect([y[0], y[1], y[2], y[3]]).toEqual([0, Infinity, 0, 3e38].map(Math.fround));
        expect([d[0], d[1], d[18], d[19]]).toEqual([0, 1, 0, 0]);
      }
    });

    test('empty tensor: empty result, backward is a no-op', () => {
      tidy(() => {
        const x = Tensor.zeros([0, 3]);
        expect(a.fwd(x).shape).toEqual([0, 3]);
        a.bwd(x, Tensor.zeros([0, 3]), Tensor.zeros([0, 3]));
      });
    });
  });
}

test('reluBackward: dy = inf where x <= 0 adds 0, not NaN', () => {
  tidy(() => {
    const dx = Tensor.fromArray([1, 2, 3, 4, 5]);
    reluBackward(Tensor.fromArray([-1, 0, 2, -3, 4]), Tensor.fromArray([Infinity, -Infinity, 1, Infinity, 1]), dx);
    expect(Array.from(dx.toArray())).toEqual([1, 2, 4, 4, 6]);
  });
});

describe('bad input', () => {
  test('typed errors with the documented message form', () => {
    tidy(() => {
      const x = Tensor.zeros([3, 4]);
      const dy = Tensor.zeros([3, 4]);
      const dx = Tensor.zeros([3, 4]);
      expect(() => relu(Tensor.zeros([3], 'int32'))).toThrow(/relu: x must have dtype float32, got int32/);
      expect(() => gelu(Tensor.zeros([3], 'int32'))).toThrow(DTypeError);
      expect(() => tanh(null as unknown as Tensor)).toThrow(ArgumentError);
      expect(() => gelu(x, { approximate: 'exact' as 'tanh' })).toThrow(
        /gelu: approximate must be "none" or "tanh", got "exact"/,
      );
      expect(() => geluBackward(x, dy, dx, { approximate: 'fast' as 'tanh' })).toThrow(ArgumentError);
      expect(() => sigmoid(x, { out: Tensor.zeros([4, 3]) })).toThrow(
        /sigmoid: out must have the shape of x \[3, 4\], got \[4, 3\]/,
      );
      expect(() => relu(x, { out: Tensor.zeros([3, 4], 'int32') })).toThrow(DTypeError);
      expect(() => reluBackward(x, Tensor.zeros([12]), dx)).toThrow(ShapeError);
      expect(() => geluBackward(x, dy, Tensor.zeros([3, 5]))).toThrow(ShapeError);
      expect(() => tanhBackward(x, dy, Tensor.zeros([3, 4], 'int32'))).toThrow(DTypeError);
      expect(() => sigmoidBackward(x, dy, dy)).toThrow(/sigmoidBackward: dx must not be dy, got the same Tensor/);
      expect(() => tanhBackward(x, dy, x)).toThrow(ArgumentError);
    });
  });
});
