import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { gradCheck } from '../helpers/gradcheck.js';
import { maskTensor } from '../helpers/masks.js';
import { expectFlatHeap } from '../helpers/heap.js';
import { seededValues } from '../reference/softmax.js';
import { refConv1d, refConv1dBackward, refConvGeometry } from '../reference/conv.js';
import { shutdown } from '../../src/core/runtime.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { setThreads } from '../../src/core/threads.js';
import { type Conv1dOptions, conv1d, conv1dBackward, conv1dOutputLength } from '../../src/ops/conv.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { step } from '../../src/autograd/tape.js';
import * as F from '../../src/autograd/functional.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';
import { tensorStats } from '../../src/ops/stats.js';
import { lastPool } from '../../src/ops/pool.js';

beforeAll(async () => {
  await initForTests({ threads: 2 });
  await tf.setBackend('cpu');
});
afterAll(() => shutdown());

const f32 = (x: ArrayLike<number>) => Float32Array.from(x);
const data = (n: number, seed: number, scale = 1) => f32(seededValues(n, seed, scale));

/** Ragged valid lengths, one row (when B > 2) all padding, one with a hole in the middle. */
function makeMask(B: number, T: number): Int32Array {
  const m = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = B > 2 && b === 1 ? 0 : Math.max(1, T - ((b * 2) % T));
    for (let t = 0; t < len; t++) m[b * T + t] = 1;
  }
  if (T > 3) m[(B - 1) * T + 1] = 0;
  return m;
}

type Padding = Conv1dOptions['padding'];
interface Case {
  B: number;
  T: number;
  Cin: number;
  Cout: number;
  K: number;
  padding: Padding;
  stride: number;
  dilation: number;
}

const CASES: Case[] = [];
{
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [2, 3, 5],
    [3, 4, 2],
    [1, 17, 3],
    [2, 5, 8],
  ];
  let i = 0;
  for (let K = 1; K <= 7; K++) {
    for (let dilation = 1; dilation <= 3; dilation++) {
      for (const stride of [1, 2]) {
        for (const padding of [0, 'valid', 'same', 2] as Padding[]) {
          if (padding === 'same' && stride !== 1) continue;
          const [B, Cin, Cout] = shapes[i % shapes.length]!;
          // Lengths around the kernel's span: shorter than it (padding makes up), equal, longer, prime.
          const span = dilation * (K - 1) + 1;
          const T = [1, span, span + 3, 13][i % 4]!;
          i++;
          if (refConvGeometry(T, K, padding, stride, dilation).Tout < 1) continue;
          CASES.push({ B, T, Cin, Cout, K, padding, stride, dilation });
        }
      }
    }
  }
}

const label = (c: Case) =>
  `B=${c.B} T=${c.T} Cin=${c.Cin} Cout=${c.Cout} K=${c.K} padding=${c.padding} stride=${c.stride} dilation=${c.dilation}`;

describe('conv1d = float64 reference (forward and accumulating backward)', () => {
  test('the grid covers kernel widths 1-7, dilations 1-3, strides 1-2 and every padding mode', () => {
    expect(CASES.length).toBeGreaterThan(100);
    for (let K = 1; K <= 7; K++) expect(CASES.some((c) => c.K === K && c.dilation === 3)).toBe(true);
    expect(CASES.some((c) => c.stride === 2 && c.padding === 2)).toBe(true);
    expect(CASES.some((c) => c.padding === 'same' && c.K % 2 === 0 && c.dilation === 3)).toBe(true);
  });

  for (const [n, c] of CASES.entries()) {
    for (const masked of n % 3 === 0 ? (['none', 'int32', 'float32'] as const) : (['none'] as const)) {
      test(`${label(c)} mask ${masked}`, () => {
        tidy(() => {
          const { B, T, Cin, Cout, K } = c;
          const g = refConvGeometry(T, K, c.padding, c.stride, c.dilation);
          const xv = data(B * T * Cin, n + 1);
          const wv = data(Cout * Cin * K, n + 2, 0.5);
          const bv = data(Cout, n + 3);
          const mv = masked === 'none' ? undefined : makeMask(B, T);
          const mask = maskTensor(mv, [B, T], masked);
          const opts: Conv1dOptions = { padding: c.padding, stride: c.stride, dilation: c.dilation, mask };
          const x = Tensor.fromArray(xv, [B, T, Cin]);
          const w = Tensor.fromArray(wv, [Cout, Cin, K]);
          const y = conv1d(x, w, Tensor.fromArray(bv, [Cout]), opts);
          expect(y.shape).toEqual([B, g.Tout, Cout]);
          expect(conv1dOutputLength(T, K, opts)).toBe(g.Tout);
          expectClose(y.toArray(), refConv1d(xv, wv, bv, mv, B, T, Cin, Cout, K, g), { rtol: 1e-5, atol: 1e-5 });
          expectClose(conv1d(x, w, null, opts).toArray(), refConv1d(xv, wv, null, mv, B, T, Cin, Cout, K, g), {
            rtol: 1e-5,
            atol: 1e-5,
          });

          const dv = data(B * g.Tout * Cout, n + 4);
          const ref = refConv1dBackward(xv, wv, dv, mv, B, T, Cin, Cout, K, g);
          const [dx0, dw0, db0] = [data(B * T * Cin, n + 5), data(Cout * Cin * K, n + 6), data(Cout, n + 7)];
          const dx = Tensor.fromArray(dx0, [B, T, Cin]);
          const dweight = Tensor.fromArray(dw0, [Cout, Cin, K]);
          const dbias = Tensor.fromArray(db0, [Cout]);
          conv1dBackward(x, w, Tensor.fromArray(dv, [B, g.Tout, Cout]), { dx, dweight, dbias }, opts);
          const plus = (a: Float32Array, b: Float64Array) => Float64Array.from(a, (v, i) => v + b[i]!);
          expectClose(dx.toArray(), plus(dx0, ref.dx), { rtol: 1e-5, atol: 1e-5 });
          expectClose(dweight.toArray(), plus(dw0, ref.dweight), { rtol: 1e-5, atol: 1e-5 });
          expectClose(dbias.toArray(), plus(db0, ref.dbias), { rtol: 1e-5, atol: 1e-5 });
          if (mv !== undefined) {
            // Masked input positions get no gradient at all.
            const got = dx.toArray();
            for (let i = 0; i < B * T * Cin; i++) if (mv[Math.floor(i / Cin)] === 0) expect(got[i]).toBe(dx0[i]);
          }
        });
      });
    }
  }

  test('each gradient alone equals its share of the full backward', () => {
    tidy(() => {
      const [B, T, Cin, Cout, K] = [2, 9, 3, 4, 3];
      const opts: Conv1dOptions = { padding: 1, stride: 2 };
      const x = Tensor.fromArray(data(B * T * Cin, 1), [B, T, Cin]);
      const w = Tensor.fromArray(data(Cout * Cin * K, 2), [Cout, Cin, K]);
      const Tout = conv1dOutputLength(T, K, opts);
      const dout = Tensor.fromArray(data(B * Tout * Cout, 3), [B, Tout, Cout]);
      const all = { dx: Tensor.zeros([B, T, Cin]), dweight: Tensor.zeros([Cout, Cin, K]), dbias: Tensor.zeros([Cout]) };
      conv1dBackward(x, w, dout, all, opts);
      for (const key of ['dx', 'dweight', 'dbias'] as const) {
        const one = Tensor.zeros(all[key].shape);
        conv1dBackward(x, w, dout, { [key]: one }, opts);
        expectSameBits(one.view() as Float32Array, all[key].view() as Float32Array);
      }
    });
  });

  test('empty dimensions: B = 0, Cout = 0, Cin = 0 (the bias alone)', () => {
    tidy(() => {
      expect(conv1d(Tensor.zeros([0, 5, 3]), Tensor.zeros([4, 3, 2]), null).shape).toEqual([0, 4, 4]);
      expect(conv1d(Tensor.zeros([2, 5, 3]), Tensor.zeros([0, 3, 2]), null).shape).toEqual([2, 4, 0]);
      const y = conv1d(Tensor.zeros([2, 5, 0]), Tensor.zeros([2, 0, 3]), Tensor.fromArray([1.5, -2], [2]));
      expect(y.shape).toEqual([2, 3, 2]);
      expect(Array.from(y.toArray())).toEqual([1.5, -2, 1.5, -2, 1.5, -2, 1.5, -2, 1.5, -2, 1.5, -2]);
      const db = Tensor.zeros([2]);
      conv1dBackward(
        Tensor.zeros([2, 5, 0]),
        Tensor.zeros([2, 0, 3]),
        Tensor.fromArray(new Float32Array(12).fill(1), [2, 3, 2]),
        {
          dx: Tensor.zeros([2, 5, 0]),
          dweight: Tensor.zeros([2, 0, 3]),
          dbias: db,
        },
      );
      expect(Array.from(db.toArray())).toEqual([6, 6]);
    });
  });

  test('a masked position never leaks: its value does not change any output', () => {
    tidy(() => {
      const [B, T, C] = [2, 6, 3];
      const mv = Int32Array.from([1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1]);
      const mask = Tensor.fromArray(mv, [B, T], 'int32');
      const w = Tensor.fromArray(data(4 * C * 3, 9), [4, C, 3]);
      const xa = data(B * T * C, 10);
      const xb = xa.slice();
      for (let i = 0; i < xb.length; i++) if (mv[Math.floor(i / C)] === 0) xb[i] = 1e6;
      const ya = conv1d(Tensor.fromArray(xa, [B, T, C]), w, null, { padding: 'same', mask });
      const yb = conv1d(Tensor.fromArray(xb, [B, T, C]), w, null, { padding: 'same', mask });
      expectSameBits(ya.view() as Float32Array, yb.view() as Float32Array);
    });
  });
});

describe('conv1d errors are typed and name the argument', () => {
  test('shapes and dtypes', () => {
    tidy(() => {
      const x = Tensor.zeros([2, 5, 3]);
      const w = Tensor.zeros([4, 3, 2]);
      expect(() => conv1d(Tensor.zeros([5, 3]), w, null)).toThrow(/conv1d: x must have rank 3/);
      expect(() => conv1d(Tensor.zeros([2, 5, 3], 'int32'), w, null)).toThrow(DTypeError);
      expect(() => conv1d(x, Tensor.zeros([4, 3]), null)).toThrow(/conv1d: weight must have rank 3/);
      expect(() => conv1d(x, Tensor.zeros([4, 2, 2]), null)).toThrow(/weight must have shape \[out, 3, K\]/);
      expect(() => conv1d(x, Tensor.zeros([4, 3, 0]), null)).toThrow(ShapeError);
      expect(() => conv1d(x, w, Tensor.zeros([3]))).toThrow(/bias must have shape \[4\], got \[3\]/);
      expect(() => conv1d(x, w, Tensor.zeros([4], 'int32'))).toThrow(DTypeError);
      expect(() => conv1d(x, 'w' as never, null)).toThrow(ArgumentError);
    });
  });

  test('a kernel longer than the padded sequence', () => {
    tidy(() => {
      const x = Tensor.zeros([2, 5, 3]);
      expect(() => conv1d(x, Tensor.zeros([4, 3, 6]), null)).toThrow(ShapeError);
      expect(() => conv1d(x, Tensor.zeros([4, 3, 3]), null, { dilation: 3 })).toThrow(
        /x must have at least 7 positions .*got 5/,
      );
      expect(conv1d(x, Tensor.zeros([4, 3, 3]), null, { dilation: 3, padding: 1 }).shape).toEqual([2, 1, 4]);
      expect(() => conv1d(Tensor.zeros([2, 0, 3]), Tensor.zeros([4, 3, 1]), null, { padding: 'same' })).toThrow(
        ShapeError,
      );
      expect(() => conv1dOutputLength(4, 6)).toThrow(ShapeError);
      expect(conv1dOutputLength(4, 6, { padding: 1 })).toBe(1);
      expect(conv1dOutputLength(10, 4, { padding: 'same', dilation: 2 })).toBe(10);
      expect(conv1dOutputLength(10, 3, { stride: 2 })).toBe(4);
    });
  });

  test('option values', () => {
    tidy(() => {
      const x = Tensor.zeros([2, 5, 3]);
      const w = Tensor.zeros([4, 3, 2]);
      expect(() => conv1d(x, w, null, { padding: 'same', stride: 2 })).toThrow(
        /stride must be 1 with padding 'same'.*got 2/,
      );
      expect(() => conv1d(x, w, null, { padding: -1 })).toThrow(
        /padding must be 'same', 'valid' or an integer >= 0, got -1/,
      );
      expect(() => conv1d(x, w, null, { padding: 1.5 })).toThrow(ArgumentError);
      expect(() => conv1d(x, w, null, { padding: 'full' as never })).toThrow(ArgumentError);
      expect(() => conv1d(x, w, null, { stride: 0 })).toThrow(/stride must be a positive integer, got 0/);
      expect(() => conv1d(x, w, null, { dilation: 1.5 })).toThrow(/dilation must be a positive integer/);
      expect(() => conv1d(x, w, null, { dilations: 2 } as never)).toThrow(/did you mean 'dilation'/);
      expect(() => conv1d(x, w, null, { padding: 2 ** 31 })).toThrow(ArgumentError);
      expect(() => conv1dOutputLength(-1, 3)).toThrow(ArgumentError);
      expect(() => conv1dOutputLength(5, 0)).toThrow(ArgumentError);
    });
  });

  test('mask and backward buffers', () => {
    tidy(() => {
      const x = Tensor.zeros([2, 5, 3]);
      const w = Tensor.zeros([4, 3, 2]);
      expect(() => conv1d(x, w, null, { mask: Tensor.zeros([2, 4], 'int32') })).toThrow(
        /mask must have shape \[2, 5\]/,
      );
      expect(() => conv1d(x, w, null, { mask: Tensor.fromArray(new Int32Array(10).fill(2), [2, 5], 'int32') })).toThrow(
        /mask must hold only 0 and 1/,
      );
      const dout = Tensor.zeros([2, 4, 4]);
      expect(() => conv1dBackward(x, w, Tensor.zeros([2, 5, 4]), {})).toThrow(/dout must have shape \[2, 4, 4\]/);
      expect(() => conv1dBackward(x, w, dout, { dx: Tensor.zeros([2, 5, 4]) })).toThrow(/dx must have shape/);
      expect(() => conv1dBackward(x, w, dout, { dweight: Tensor.zeros([4, 3, 3]) })).toThrow(/dweight must have shape/);
      expect(() => conv1dBackward(x, w, dout, { dbias: Tensor.zeros([3]) })).toThrow(/dbias must have shape \[4\]/);
      expect(() => conv1dBackward(x, w, dout, null as never)).toThrow(ArgumentError);
    });
  });
});

describe('F.conv1d: gradients = finite differences', () => {
  const cases: [string, number, number, number, number, number, Conv1dOptions, boolean][] = [
    ['K=1', 2, 3, 2, 3, 1, {}, false],
    ['K=3 same', 2, 6, 3, 2, 3, { padding: 'same' }, false],
    ['K=4 same dilation 2 (uneven padding)', 1, 7, 2, 3, 4, { padding: 'same', dilation: 2 }, false],
    ['K=3 stride 2 padding 1', 2, 8, 3, 2, 3, { stride: 2, padding: 1 }, false],
    ['K=5 dilation 3 padding 2 stride 2', 1, 11, 2, 2, 5, { dilation: 3, padding: 2, stride: 2 }, false],
    ['K=3 same, masked', 3, 6, 2, 3, 3, { padding: 'same' }, true],
    ['K=2 stride 2, masked', 3, 7, 3, 2, 2, { stride: 2 }, true],
  ];
  for (const [name, B, T, Cin, Cout, K, o, masked] of cases) {
    test(name, () => {
      tidy(() => {
        const mask = masked ? Tensor.fromArray(makeMask(B, T), [B, T], 'int32') : undefined;
        const opts = { ...o, mask };
        const x = Tensor.fromArray(data(B * T * Cin, 21), [B, T, Cin]);
        const w = Tensor.fromArray(data(Cout * Cin * K, 22, 0.5), [Cout, Cin, K]);
        const b = Tensor.fromArray(data(Cout, 23), [Cout]);
        gradCheck((xv, wv, bv) => F.conv1d(xv, wv, bv, opts), [x, w, b]);
        gradCheck((xv, wv) => F.conv1d(xv, wv, null, opts), [x, w]);
      });
    });
  }
});

describe('conv1d = tf.conv1d of tfjs-core (cpu, NWC), forward and tf.grads', () => {
  const cases: [number, number, number, number, number, 'same' | 'valid', number, number][] = [
    [2, 9, 3, 4, 3, 'same', 1, 1],
    [2, 9, 3, 4, 4, 'same', 1, 1],
    [3, 10, 5, 2, 3, 'valid', 2, 1],
    [1, 13, 4, 3, 5, 'valid', 2, 1],
    [2, 12, 3, 5, 2, 'valid', 1, 1],
    [2, 11, 3, 4, 3, 'same', 1, 2],
    [1, 13, 2, 3, 4, 'valid', 1, 3],
  ];
  for (const [B, T, Cin, Cout, K, pad, stride, dilation] of cases) {
    test(`B=${B} T=${T} Cin=${Cin} Cout=${Cout} K=${K} ${pad} stride ${stride} dilation ${dilation}`, () => {
      const xv = data(B * T * Cin, 31);
      const wv = data(Cout * Cin * K, 32, 0.5);
      const bv = data(Cout, 33);
      const Tout = conv1dOutputLength(T, K, { padding: pad, stride, dilation });
      const R = data(B * Tout * Cout, 34);
      // tfjs's filter is [K, Cin, Cout]: our [Cout, Cin, K] permuted.
      const filt = new Float32Array(K * Cin * Cout);
      for (let o = 0; o < Cout; o++)
        for (let c = 0; c < Cin; c++)
          for (let j = 0; j < K; j++) filt[(j * Cin + c) * Cout + o] = wv[(o * Cin + c) * K + j]!;
      const theirs = tf.tidy(() => {
        const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          tf.add(tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, stride, pad, 'NWC', dilation), b);
        const args = [tf.tensor3d(xv, [B, T, Cin]), tf.tensor3d(filt, [K, Cin, Cout]), tf.tensor1d(bv)];
        const y = f(args[0]!, args[1]!, args[2]!).dataSync().slice();
        // tfjs's conv2d gradient supports dilation 1 only.
        if (dilation !== 1) return { y, grads: undefined };
        const grads = tf
          .grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
            tf.sum(tf.mul(f(x, w, b), tf.tensor3d(R, [B, Tout, Cout]))),
          )(args)
          .map((g) => g.dataSync().slice());
        return { y, grads };
      });
      const params = [
        new Parameter(Tensor.fromArray(xv, [B, T, Cin])),
        new Parameter(Tensor.fromArray(wv, [Cout, Cin, K])),
        new Parameter(Tensor.fromArray(bv, [Cout])),
      ];
      try {
        step(() => {
          const y = F.conv1d(params[0]!, params[1]!, params[2]!, { padding: pad, stride, dilation });
          expectClose(y.value.toArray(), theirs.y, { rtol: 1e-5, atol: 1e-5 });
          const seed = Tensor.fromArray(R, y.shape);
          y.backward(seed);
          seed.dispose();
        });
        if (theirs.grads !== undefined) {
          const [gx, gf, gb] = theirs.grads;
          expectClose(params[0]!.grad!.toArray(), gx!, { rtol: 1e-5, atol: 1e-5 });
          const gw = params[1]!.grad!.toArray();
          const perm = new Float32Array(gw.length);
          for (let o = 0; o < Cout; o++)
            for (let c = 0; c < Cin; c++)
              for (let j = 0; j < K; j++) perm[(j * Cin + c) * Cout + o] = gw[(o * Cin + c) * K + j]!;
          expectClose(perm, gf!, { rtol: 1e-5, atol: 1e-5 });
          expectClose(params[2]!.grad!.toArray(), gb!, { rtol: 1e-5, atol: 1e-5 });
        }
      } finally {
        for (const p of params) p.dispose();
      }
    });
  }
});

describe('scratch is freed', () => {
  test('a masked training step, the ops alone and failing calls leave the heap as it was', () => {
    const [B, T, Cin, Cout, K] = [3, 8, 4, 5, 3];
    const mask = Tensor.fromArray(Float32Array.from(makeMask(B, T)), [B, T]);
    const x = Tensor.fromArray(data(B * T * Cin, 51), [B, T, Cin]);
    const params = [
      new Parameter(Tensor.fromArray(data(Cout * Cin * K, 52), [Cout, Cin, K])),
      new Parameter(Tensor.zeros([Cout])),
    ];
    const run = () => {
      step(() =>
        F.sum(F.lastPool(F.conv1d(x, params[0]!, params[1]!, { padding: 'same', mask }), { mask })).backward(),
      );
      tidy(() => {
        const y = conv1d(x, params[0]!.value, null, { stride: 2, mask });
        conv1dBackward(
          x,
          params[0]!.value,
          y,
          { dx: Tensor.zeros(x.shape), dweight: Tensor.zeros([Cout, Cin, K]) },
          { stride: 2, mask },
        );
        tensorStats(y);
        lastPool(x, { mask });
      });
      const bad = Tensor.zeros([B, T + 1]);
      expect(() => conv1d(x, params[0]!.value, null, { mask: bad })).toThrow(ShapeError);
      bad.dispose();
      expect(() => conv1d(x, params[0]!.value, null, { dilation: 9 })).toThrow(ShapeError);
    };
    expectFlatHeap(run, 3);
    for (const t of [mask, x, ...params]) t.dispose();
  });
});

describe('threads: 2 give the bits of one thread', () => {
  test('forward and backward, B=3 T=37 Cin=19 Cout=21 K=5 same dilation 2, masked', () => {
    tidy(() => {
      const [B, T, Cin, Cout, K] = [3, 37, 19, 21, 5];
      const opts: Conv1dOptions = {
        padding: 'same',
        dilation: 2,
        mask: Tensor.fromArray(makeMask(B, T), [B, T], 'int32'),
      };
      const x = Tensor.fromArray(data(B * T * Cin, 41), [B, T, Cin]);
      const w = Tensor.fromArray(data(Cout * Cin * K, 42), [Cout, Cin, K]);
      const b = Tensor.fromArray(data(Cout, 43), [Cout]);
      const dout = Tensor.fromArray(data(B * T * Cout, 44), [B, T, Cout]);
      const run = () => {
        const g = { dx: Tensor.zeros([B, T, Cin]), dweight: Tensor.zeros([Cout, Cin, K]), dbias: Tensor.zeros([Cout]) };
        const y = conv1d(x, w, b, opts);
        conv1dBackward(x, w, dout, g, opts);
        return [y, g.dx, g.dweight, g.dbias].map((t) => t.toArray() as Float32Array);
      };
      setThreads(1);
      const one = run();
      setThreads(2, { gemmMinMacs: 0 });
      try {
        const two = run();
        for (const [i, a] of one.entries()) expectSameBits(two[i]!, a);
      } finally {
        setThreads(1);
      }
    });
  });
});
