import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import { refEmbedding, refEmbeddingBackward } from '../reference/embedding.js';
import { Philox } from '../../src/core/rng.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { embedding, embeddingBackward } from '../../src/ops/embedding.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Seeded ids drawn uniformly from [0, vocab): repeats whenever n > vocab, and often before. */
function randomIds(n: number, vocab: number, seed: number): Int32Array {
  const rng = new Philox(seed, 7);
  return Int32Array.from({ length: n }, () => rng.nextInt(vocab));
}

// (vocab, dim, ids shape): dims 1, 3, 5, 17, 1001; ids of rank 0 to 3; more ids than rows forces repeats.
const CASES: [number, number, number[]][] = [
  [1, 1, [1]],
  [1, 3, [5]],
  [3, 5, [7]],
  [5, 17, [3, 7]],
  [17, 1, [2, 3, 5]],
  [17, 1001, [33]],
  [7, 4, []],
  [2, 33, [17]],
  [1001, 5, [3, 5]],
  [4, 8, [0]],
  [3, 7, [2, 0]],
];

describe('embedding = float64 reference (exact: a gather copies bits)', () => {
  for (const [vocab, dim, shape] of CASES) {
    test(`V=${vocab} D=${dim} ids ${JSON.stringify(shape)}`, () => {
      const w = seeded(vocab * dim, vocab * 31 + dim);
      const ids = randomIds(size(shape), vocab, vocab + dim);
      tidy(() => {
        const out = embedding(Tensor.fromArray(w, [vocab, dim]), Tensor.fromArray(ids, shape, 'int32'));
        expect(out.shape).toEqual([...shape, dim]);
        expectSameBits(out.toArray() as Float32Array, Float32Array.from(refEmbedding(w, ids, dim)));
      });
    });
  }

  test('out option is written and returned', () => {
    tidy(() => {
      const w = Tensor.fromArray(seeded(5 * 3, 1), [5, 3]);
      const ids = Tensor.fromArray(Int32Array.from([4, 0, 4]), [3], 'int32');
      const out = Tensor.fromArray(new Float32Array(9).fill(NaN), [3, 3]);
      expect(embedding(w, ids, { out })).toBe(out);
      expectSameBits(out.toArray() as Float32Array, Float32Array.from(refEmbedding(w.toArray(), ids.toArray(), 3)));
    });
  });
});

describe('embeddingBackward: scatter-add with repeated ids', () => {
  for (const [vocab, dim, shape] of CASES) {
    test(`V=${vocab} D=${dim} ids ${JSON.stringify(shape)}: f32 sequence exact, f64 close, accumulates`, () => {
      const n = size(shape);
      const ids = randomIds(n, vocab, vocab * 3 + dim);
      const dy = seeded(n * dim, 5 + dim);
      const dw0 = seeded(vocab * dim, 9 + vocab); // non-zero: the kernel must add to it
      tidy(() => {
        const dweight = Tensor.fromArray(dw0, [vocab, dim]);
        embeddingBackward(Tensor.fromArray(ids, shape, 'int32'), Tensor.fromArray(dy, [...shape, dim]), dweight);
        const got = dweight.toArray() as Float32Array;
        expectSameBits(got, Float32Array.from(refEmbeddingBackward(ids, dy, dw0, dim, true)));
        // Against the float64 sums: each element has at most n adds of values below 2.
        expectClose(got, refEmbeddingBackward(ids, dy, dw0, dim), { rtol: 0, atol: (n + 1) * 2 * 2 ** -23 });
      });
    });
  }

  test('all ids equal: every row lands in one row of dweight', () => {
    const dim = 5;
    const n = 1001;
    const ids = new Int32Array(n).fill(2);
    const dy = seeded(n * dim, 3);
    tidy(() => {
      const dweight = Tensor.zeros([3, dim]);
      embeddingBackward(Tensor.fromArray(ids, [n], 'int32'), Tensor.fromArray(dy, [n, dim]), dweight);
      const got = dweight.toArray() as Float32Array;
      expect(Array.from(got.subarray(0, 2 * dim))).toEqual(new Array(2 * dim).fill(0));
      const ref = refEmbeddingBackward(ids, dy, new Float64Array(3 * dim), dim);
      expectClose(got, ref, { rtol: 0, atol: n * 2 ** -22 });
    });
  });

  test('backward = central finite differences of L(W) = sum(R * embedding(W, ids))', () => {
    const vocab = 4;
    const dim = 3;
    const ids = Int32Array.from([1, 3, 1, 0, 1, 2, 3]);
    const r = seeded(ids.length * dim, 41);
    const w = seeded(vocab * dim, 42);
    const loss = (wv: ArrayLike<number>) => {
      const e = refEmbedding(wv, ids, dim);
      let s = 0;
      for (let i = 0; i < e.length; i++) s += r[i]! * e[i]!;
      return s;
    };
    const fd = new Float64Array(vocab * dim);
    const h = 1e-3;
    for (let j = 0; j < fd.length; j++) {
      const wp = Float64Array.from(w);
      const wm = Float64Array.from(w);
      wp[j] = wp[j]! + h;
      wm[j] = wm[j]! - h;
      fd[j] = (loss(wp) - loss(wm)) / (2 * h);
    }
    tidy(() => {
      const dweight = Tensor.zeros([vocab, dim]);
      embeddingBackward(Tensor.fromArray(ids, [ids.length], 'int32'), Tensor.fromArray(r, [ids.length, dim]), dweight);
      expectClose(dweight.toArray(), fd, { rtol: 1e-5, atol: 1e-6 });
    });
  });
});

describe('tfjs-core (cpu): gather, its gradient and unsortedSegmentSum', () => {
  const vocab = 17;
  const dim = 5;
  const shape = [3, 7];
  const n = size(shape);
  const w = seeded(vocab * dim, 51);
  const ids = randomIds(n, vocab, 52);
  const dy = seeded(n * dim, 53);

  test('forward = tf.gather', () => {
    const ref = tf.tidy(
      () => tf.gather(tf.tensor2d(w, [vocab, dim]), tf.tensor(ids, shape, 'int32')).dataSync() as Float32Array,
    );
    tidy(() => {
      const out = embedding(Tensor.fromArray(w, [vocab, dim]), Tensor.fromArray(ids, shape, 'int32'));
      expectSameBits(out.toArray() as Float32Array, Float32Array.from(ref));
    });
  });

  test('backward = tf.grad of sum(dy * gather(W, ids)) and tf.unsortedSegmentSum', () => {
    const [gradRef, segRef] = tf.tidy(() => {
      const idsT = tf.tensor(ids, shape, 'int32');
      const dyT = tf.tensor(dy, [...shape, dim]);
      const g = tf.grad((W: tf.Tensor) => tf.sum(tf.mul(tf.gather(W, idsT), dyT)))(tf.tensor2d(w, [vocab, dim]));
      const s = tf.unsortedSegmentSum(tf.reshape(dyT, [n, dim]), tf.reshape(idsT, [n]), vocab);
      return [g.dataSync() as Float32Array, s.dataSync() as Float32Array];
    });
    tidy(() => {
      const dweight = Tensor.zeros([vocab, dim]);
      embeddingBackward(Tensor.fromArray(ids, shape, 'int32'), Tensor.fromArray(dy, [...shape, dim]), dweight);
      const got = dweight.toArray();
      expectClose(got, gradRef, { rtol: 1e-6, atol: 1e-6 });
      expectClose(got, segRef, { rtol: 1e-6, atol: 1e-6 });
    });
  });
});

describe('bad input', () => {
  test('an id out of [0, V) is an ArgumentError naming position and value, before the kernel', () => {
    tidy(() => {
      const w = Tensor.fromArray(seeded(12, 1), [4, 3]);
      const bad = Tensor.fromArray(Int32Array.from([0, 1, 2, 3, 3, 4]), [2, 3], 'int32');
      expect(() => embedding(w, bad)).toThrow(ArgumentError);
      expect(() => embedding(w, bad)).toThrow(/ids\[1, 2\] must be in \[0, 4\), got 4/);
      const neg = Tensor.fromArray(Int32Array.from([0, -1]), [2], 'int32');
      expect(() => embedding(w, neg)).toThrow(/ids\[1\] must be in \[0, 4\), got -1/);
      const dw = Tensor.fromArray(new Float32Array(12).fill(7), [4, 3]);
      expect(() => embeddingBackward(neg, Tensor.zeros([2, 3]), dw)).toThrow(ArgumentError);
      expect(Array.from(dw.toArray())).toEqual(new Array(12).fill(7));
    });
  });

  test('wrong dtypes, ranks and shapes are typed errors', () => {
    tidy(() => {
      const w = Tensor.zeros([4, 3]);
      const ids = Tensor.fromArray(Int32Array.from([0, 1]), [2], 'int32');
      expect(() => embedding(w, Tensor.zeros([2]))).toThrow(DTypeError);
      expect(() => embedding(Tensor.zeros([4, 3], 'int32'), ids)).toThrow(DTypeError);
      expect(() => embedding(Tensor.zeros([12]), ids)).toThrow(ShapeError);
      expect(() => embedding(w, ids, { out: Tensor.zeros([2, 4]) })).toThrow(
        /out must have shape \[2, 3\], got \[2, 4\]/,
      );
      expect(() => embedding(w, ids, { out: w })).toThrow(ShapeError);
      expect(() => embeddingBackward(ids, Tensor.zeros([3, 3]), w)).toThrow(
        /dy must have shape \[2, 3\], got \[3, 3\]/,
      );
      expect(() => embeddingBackward(ids, Tensor.zeros([2, 3]), Tensor.zeros([4, 3], 'int32'))).toThrow(DTypeError);
      expect(() => embedding(w, null as unknown as Tensor)).toThrow(ArgumentError);
    });
  });
});
