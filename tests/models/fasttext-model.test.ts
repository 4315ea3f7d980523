// Vector lookups of a fastText model in fastText's float32 arithmetic, on a
// small synthetic model (native agreement: tests/node/fasttext-native.test.ts).
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { ArgumentError } from '../../src/core/errors.js';
import {
  fastTextInputMatrix,
  type FastTextModelData,
  fastTextLineIds,
  fastTextNumWords,
  fastTextSentenceVector,
  fastTextWordId,
  fastTextWordSubwords,
  fastTextWordVector,
} from '../../src/models/fasttext/model.js';
import { addWordNgrams, computeSubwords, fastTextHash } from '../../src/text/subwords.js';

function model(kind: 'sg' | 'sup', maxn: number, wordNgrams = 1): FastTextModelData {
  const words =
    kind === 'sup' ? ['</s>', 'good', 'bad', 'film', '__label__pos', '__label__neg'] : ['</s>', 'the', 'café', '日本'];
  const nwords = words.filter((w) => !w.startsWith('__label__')).length;
  const bucket = 50;
  const dim = 5;
  const rows = nwords + bucket;
  const data = Float32Array.from({ length: rows * dim }, (_, i) => Math.fround(Math.cos(i * 0.7) / (1 + (i % 3))));
  return {
    args: {
      dim,
      ws: 5,
      epoch: 1,
      minCount: 1,
      neg: 5,
      wordNgrams,
      loss: kind === 'sup' ? 'softmax' : 'ns',
      model: kind,
      bucket,
      minn: 3,
      maxn,
      lrUpdateRate: 100,
      t: 1e-4,
    },
    words: words.map((word, i) => ({
      word,
      count: 10 - i,
      type: word.startsWith('__label__') ? ('label' as const) : ('word' as const),
    })),
    ntokens: 100,
    pruneIdxSize: -1,
    input: { rows, cols: dim, data },
    output: { rows: words.length - nwords, cols: dim, data: new Float32Array((words.length - nwords) * dim) },
  };
}

/** The float32 mean of rows, summed in order then scaled by fround(1/n), as fastText does. */
function mean(m: FastTextModelData, rows: number[]): number[] {
  const acc = new Float32Array(m.input.cols);
  for (const r of rows)
    for (let j = 0; j < acc.length; j++) acc[j] = Math.fround(acc[j]! + m.input.data[r * m.input.cols + j]!);
  const s = Math.fround(1 / rows.length);
  return Array.from(acc, (v) => Math.fround(v * s));
}

describe('fastTextWordSubwords and fastTextWordVector', () => {
  const m = model('sg', 6);

  test('in vocabulary: own row first, then the n-gram rows; </s> has no n-grams', () => {
    expect(fastTextNumWords(m)).toBe(4);
    expect(fastTextWordId(m, 'café')).toBe(2);
    expect(fastTextWordSubwords(m, 'café')).toEqual([2, ...computeSubwords('café', 3, 6, 50, 4)]);
    expect(fastTextWordSubwords(m, '</s>')).toEqual([0]);
    expect(Array.from(fastTextWordVector(m, 'café'))).toEqual(mean(m, fastTextWordSubwords(m, 'café')));
  });

  test('out of vocabulary: n-gram rows only; no n-grams → zeros', () => {
    expect(fastTextWordId(m, 'cafés')).toBe(-1);
    expect(fastTextWordSubwords(m, 'cafés')).toEqual(computeSubwords('cafés', 3, 6, 50, 4));
    expect(Array.from(fastTextWordVector(m, 'cafés'))).toEqual(mean(m, fastTextWordSubwords(m, 'cafés')));
    const noSub = model('sg', 0);
    expect(Array.from(fastTextWordVector(noSub, 'cafés'))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(fastTextWordVector(noSub, 'the'))).toEqual(mean(noSub, [1]));
  });

  test('writes into out when given; a wrong length is an ArgumentError', () => {
    const out = new Float32Array(5);
    expect(fastTextWordVector(m, 'the', out)).toBe(out);
    expect(() => fastTextWordVector(m, 'the', new Float32Array(4))).toThrow(ArgumentError);
  });
});

describe('fastTextSentenceVector', () => {
  test('unsupervised: mean of unit-norm word vectors (float32), skipping zero vectors', () => {
    const m = model('sg', 6);
    const words = ['the', 'café', 'xyz'];
    const acc = new Float32Array(5);
    for (const w of words) {
      const v = fastTextWordVector(m, w);
      let sum = 0;
      for (const x of v) sum = Math.fround(sum + Math.fround(x * x));
      const inv = Math.fround(1 / Math.fround(Math.sqrt(sum)));
      for (let j = 0; j < 5; j++) acc[j] = Math.fround(acc[j]! + Math.fround(v[j]! * inv));
    }
    const s = Math.fround(1 / 3);
    expect(Array.from(fastTextSentenceVector(m, '  the\tcafé xyz \n'))).toEqual(
      Array.from(acc, (x) => Math.fround(x * s)),
    );
    const noSub = model('sg', 0);
    expect(fastTextSentenceVector(noSub, 'zz the')).toEqual(fastTextSentenceVector(noSub, 'the'));
    expect(Array.from(fastTextSentenceVector(noSub, 'zz yy'))).toEqual([0, 0, 0, 0, 0]);
  });

  test('supervised: fastTextLineIds adds </s>, skips labels, appends word n-grams; the mean of those rows', () => {
    const m = model('sup', 0, 2);
    const { ids, labels } = fastTextLineIds(m, '__label__neg good film unknown __label__other');
    const hashes = ['good', 'film', 'unknown', '</s>'].map((w) => fastTextHash(w));
    const expected = [1, 3, 0];
    addWordNgrams(expected, hashes, 2, 50, 4);
    expect(ids).toEqual(expected);
    expect(labels).toEqual([1]);
    expect(Array.from(fastTextSentenceVector(m, 'good film unknown'))).toEqual(
      mean(m, fastTextLineIds(m, 'good film unknown').ids),
    );
    expect(fastTextLineIds(m, 'good film', { eos: false }).ids.slice(0, 2)).toEqual([1, 3]);
    expect(fastTextLineIds(m, 'good\nfilm').ids.slice(0, 2)).toEqual([1, 0]);
    expect(fastTextLineIds(m, 'good #good', { label: '#' }).ids.slice(0, 2)).toEqual([1, 0]);
  });

  test('supervised with maxn > 0: in-vocabulary words add their subword rows', () => {
    const m = model('sup', 4);
    const { ids } = fastTextLineIds(m, 'good', { eos: false });
    expect(ids).toEqual(fastTextWordSubwords(m, 'good'));
    expect(ids.length).toBeGreaterThan(1);
  });
});

describe('fastTextInputMatrix (fastText 0.9.2: ten blocks, one per -thread)', () => {
  beforeAll(async () => {
    await initForTests();
  });

  test('the first min(T, 10) blocks of floor(n / 10) floats are Tensor.rand mapped to [-1/dim, 1/dim); the rest is 0', () => {
    const rows = 26,
      dim = 4,
      n = rows * dim; // floor(104 / 10) = 10 floats per block, 4 left over
    const u = Tensor.rand([rows, dim], { seed: 3, stream: 7 });
    const uv = u.toArray() as Float32Array;
    u.dispose();
    for (const [blocks, end] of [
      [1, 10],
      [3, 30],
      [10, 100],
      [12, 100],
      [0, 0],
    ] as const) {
      const t = fastTextInputMatrix(rows, dim, blocks, { seed: 3, stream: 7 });
      const v = t.toArray() as Float32Array;
      t.dispose();
      expect(v.length).toBe(n);
      for (let i = 0; i < n; i++) {
        if (i < end) expect(v[i]).toBe(Math.fround(uv[i]! * (2 / dim) - 1 / dim));
        else expect(v[i]).toBe(0);
      }
    }
  });

  test('Tensor.rand count: the first count values are those of the full draw, the rest 0; a bad count is a typed error', () => {
    const full = Tensor.rand([50], { seed: 9 }).toArray() as Float32Array;
    const part = Tensor.rand([50], { seed: 9, count: 17 }).toArray() as Float32Array;
    expect(Array.from(part.subarray(0, 17))).toEqual(Array.from(full.subarray(0, 17)));
    expect(part.subarray(17).every((x) => x === 0)).toBe(true);
    expect(() => Tensor.rand([5], { count: 6 })).toThrow(/Tensor.rand: count must be an integer in \[0, 5\], got 6/);
  });
});
