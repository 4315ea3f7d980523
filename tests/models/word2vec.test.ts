import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { ArgumentError, ShapeError, VocabError } from '../../src/core/errors.js';
import { Word2Vec, type TrainVocab } from '../../src/models/vectors/word2vec.js';
import type { Progress } from '../../src/train/progress.js';
import { topics } from '../helpers/topics.js';

beforeAll(async () => {
  await initForTests();
});

/** The two topics (tests/helpers/topics.ts) plus a rare word "zz" (id 21) seen twice. */
const ZZ = { rare: { word: 'zz', sentences: [5, 6] } };
const topicOf = (w: string) => w[0];

describe('Word2Vec on two disjoint topics', () => {
  const { ids, vocab } = topics(1500, ZZ);
  for (const [model, loss] of [
    ['skipgram', 'ns'],
    ['cbow', 'ns'],
    ['skipgram', 'hs'],
    ['cbow', 'hs'],
  ] as const) {
    test(`${model} ${loss}: nearest neighbours share the topic`, async () => {
      const m = new Word2Vec({ dim: 16, window: 3, minCount: 3, epochs: 3, sample: 0, model, loss, seed: 3 });
      const res = await m.trainIds(ids, vocab);
      expect(res.words).toBe(3 * 1500 * 8);
      expect(Number.isFinite(res.loss)).toBe(true);
      for (const w of ['a0', 'a7', 'b3', 'b9']) {
        const nn = m.mostSimilar(w, 5);
        expect(nn).toHaveLength(5);
        expect(nn.map((n) => n.word)).not.toContain(w);
        for (const n of nn) expect(topicOf(n.word)).toBe(topicOf(w));
        for (let i = 1; i < nn.length; i++) expect(nn[i]!.score).toBeLessThanOrEqual(nn[i - 1]!.score);
      }
    });
  }

  test('minCount drops rare words; vectors/vector/has; same seed gives identical vectors', async () => {
    const a = new Word2Vec({ dim: 8, minCount: 3, epochs: 1, seed: 9 });
    await a.trainIds([ids.subarray(0, 500), ids.subarray(500)], vocab);
    expect(a.words).toHaveLength(21);
    expect(a.has('zz')).toBe(false);
    expect(() => a.vector('zz')).toThrow(VocabError);
    expect(a.vectors).toHaveLength(21 * 8);
    expect(a.vector('a3')).toEqual(a.vectors.subarray(4 * 8, 5 * 8));
    const b = new Word2Vec({ dim: 8, minCount: 3, epochs: 1, seed: 9 });
    await b.trainIds([ids.subarray(0, 500), ids.subarray(500)], vocab);
    expect(b.vectors).toEqual(a.vectors);
    const c = new Word2Vec({ dim: 8, minCount: 3, epochs: 1, seed: 10 });
    await c.trainIds([ids.subarray(0, 500), ids.subarray(500)], vocab);
    expect(c.vectors).not.toEqual(a.vectors);
    a.dispose();
    expect(a.words).toHaveLength(0);
  });

  test('progress: fractions rise to 1, lr decays, finite loss and rate', async () => {
    const big = topics(12000, ZZ);
    const seen: Progress[] = [];
    const m = new Word2Vec({ dim: 32, minCount: 1, epochs: 2, sample: 0 });
    await m.trainIds(big.ids, big.vocab, { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThanOrEqual(1);
    const last = seen[seen.length - 1]!;
    expect(last.progress).toBe(1);
    expect(last.epoch).toBe(2); // 1-based: the second of 2 epochs
    expect(last.epochEnd).toBe(true);
    expect(last.step).toBe(last.steps);
    expect(last.unit).toBe('words');
    expect(last.lr).toBeLessThan(0.025 * 0.01);
    for (const p of seen) {
      expect(p.itemsPerSec).toBeGreaterThan(0);
      expect(Number.isFinite(p.loss)).toBe(true);
      expect(p.etaSec).toBeGreaterThanOrEqual(0);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress).toBeGreaterThanOrEqual(seen[i - 1]!.progress);
  });
});

describe('Word2Vec queries and errors', () => {
  test('analogy on hand-made vectors: king - man + woman = queen, inputs excluded', () => {
    const words = ['man', 'woman', 'king', 'queen', 'apple'];
    const v = Float32Array.from([1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0.1, 0.1, -1]);
    const m = Word2Vec.fromTrained(words, v, { dim: 3 });
    const r = m.analogy('man', 'king', 'woman', 2);
    expect(r[0]!.word).toBe('queen');
    expect(r.map((n) => n.word)).not.toContain('king');
    expect(m.mostSimilar('king', 1)[0]!.word).not.toBe('king');
    expect(() => m.analogy('man', 'king', 'prince')).toThrow(VocabError);
    expect(() => m.mostSimilar('king', 0)).toThrow(ArgumentError);
    expect(() => Word2Vec.fromTrained(words, new Float32Array(14), { dim: 3 })).toThrow(ShapeError);
  });

  test('bad options and inputs: typed errors', async () => {
    expect(() => new Word2Vec({ dim: 0 })).toThrow(/dim must be an integer/);
    expect(() => new Word2Vec({ model: 'glove' as never })).toThrow(ArgumentError);
    expect(() => new Word2Vec({ loss: 'softmax' as never })).toThrow(ArgumentError);
    expect(() => new Word2Vec({ sample: -1 })).toThrow(ArgumentError);
    expect(() => new Word2Vec({ lr: 0 })).toThrow(ArgumentError);
    expect(new Word2Vec({ model: 'cbow' }).options.lr).toBe(0.05);
    expect(new Word2Vec().options.lr).toBe(0.025);
    const vocab: TrainVocab = { words: ['</s>', 'x', 'y'], counts: [1, 9, 9], eosId: 0 };
    const m = new Word2Vec({ dim: 4, minCount: 1, epochs: 1 });
    await expect(m.trainIds(Int32Array.from([1, 2, 3]), vocab)).rejects.toThrow(/ids\[2\] must be in \[0, 3\), got 3/);
    await expect(m.trainIds([1, 2] as never, vocab)).rejects.toThrow(ArgumentError);
    await expect(m.trainIds(Int32Array.from([1]), { ...vocab, counts: [1, 2] })).rejects.toThrow(ShapeError);
    await expect(m.trainIds(Int32Array.from([1]), { ...vocab, eosId: 3 })).rejects.toThrow(ArgumentError);
    await expect(new Word2Vec({ minCount: 100 }).trainIds(Int32Array.from([1]), vocab)).rejects.toThrow(VocabError);
    await expect(m.trainIds(Int32Array.from([0, 0]), vocab)).rejects.toThrow(/must contain a word/);
  });
});

describe('Word2Vec.train(text) and saving', () => {
  const text = (() => {
    const rng = new Philox(4, 1);
    const a = ['cat', 'dog', 'horse', 'cow', 'sheep'];
    const b = ['red', 'blue', 'green', 'white', 'black'];
    const lines: string[] = [];
    for (let i = 0; i < 800; i++) {
      const t = i % 2 ? a : b;
      lines.push(Array.from({ length: 8 }, () => t[rng.nextInt(5)]).join(' '));
    }
    return lines.join('\n') + '\n';
  })();

  test('train(text) builds the vocabulary, keeps topics apart, and .vec / word2vec .bin round-trip the vectors exactly', async () => {
    const m = new Word2Vec({ dim: 12, window: 3, negative: 4, minCount: 1, epochs: 3, sample: 0, seed: 2 });
    const r = await m.train(text);
    expect(r.words).toBe(800 * 8 * 3);
    expect(new Set(m.words)).toEqual(
      new Set(['cat', 'dog', 'horse', 'cow', 'sheep', 'red', 'blue', 'green', 'white', 'black', '</s>']),
    );
    const animals = new Set(['dog', 'horse', 'cow', 'sheep']);
    expect(m.mostSimilar('cat', 4).every((n) => animals.has(n.word))).toBe(true);
    for (const back of [Word2Vec.fromVec(m.toVec()), Word2Vec.fromWord2VecBin(m.toWord2VecBin())]) {
      expect(back.words).toEqual(m.words);
      expect(back.vectors).toEqual(m.vectors);
      expect(back.mostSimilar('red', 3)).toEqual(m.mostSimilar('red', 3));
      back.dispose();
    }
    await expect(m.train('__label__x a b c\n')).rejects.toThrow(/must not contain labels/);
    m.dispose();
  });
});
