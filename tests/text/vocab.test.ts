// Vocab with fastText's Dictionary semantics; encode / encodeLine.
import { describe, expect, test } from 'vitest';
import { ArgumentError, VocabError } from '../../src/core/errors.js';
import { EOS, tokenizeString } from '../../src/text/tokenize.js';
import { encode, encodeLine, Vocab } from '../../src/text/vocab.js';

// Counts by hand: a 4, b 3, c 3 (c first seen after b), d 1, </s> 3,
// __label__x 2, __label__y 1; 17 tokens.
const TEXT = 'a b c __label__x\nc a d b\n__label__y a b c a __label__x\n';

async function all(gen: AsyncGenerator<Int32Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of gen) out.push(...chunk);
  return out;
}

describe('Vocab.build', () => {
  test('hand-checked counts, order and types at minCount 1', async () => {
    const v = await Vocab.build(TEXT, { minCount: 1 });
    expect(v.entries()).toEqual([
      { word: 'a', count: 4, type: 'word' },
      { word: 'b', count: 3, type: 'word' },
      { word: 'c', count: 3, type: 'word' },
      { word: EOS, count: 3, type: 'word' },
      { word: 'd', count: 1, type: 'word' },
      { word: '__label__x', count: 2, type: 'label' },
      { word: '__label__y', count: 1, type: 'label' },
    ]);
    expect([v.nwords, v.nlabels, v.size, v.ntokens]).toEqual([5, 2, 7, 17]);
    expect(v.id('c')).toBe(2);
    expect(v.id('zzz')).toBe(-1);
    expect(v.word(3)).toBe(EOS);
    expect(v.count(0)).toBe(4);
    expect(v.type(5)).toBe('label');
    expect(v.type(4)).toBe('word');
    expect(v.label(1)).toBe('__label__y');
    expect(Array.from(v.counts())).toEqual([4, 3, 3, 3, 1]);
    expect(Array.from(v.counts('label'))).toEqual([2, 1]);
  });

  test('ties keep first-occurrence order', async () => {
    const v = await Vocab.build('z y x y z x w', { minCount: 1 });
    expect(v.entries().map((e) => e.word)).toEqual(['z', 'y', 'x', 'w']);
  });

  test('minCount (default 5) and minCountLabel thresholds; ntokens counts everything read', async () => {
    const v5 = await Vocab.build(TEXT);
    expect(v5.nwords).toBe(0);
    expect(v5.nlabels).toBe(2); // minCountLabel 0 keeps every label
    expect(v5.ntokens).toBe(17);
    const v3 = await Vocab.build(TEXT, { minCount: 3, minCountLabel: 2 });
    expect(v3.entries().map((e) => e.word)).toEqual(['a', 'b', 'c', EOS, '__label__x']);
  });

  test('maxVocab keeps the most frequent words, never caps labels', async () => {
    const v = await Vocab.build(TEXT, { minCount: 1, maxVocab: 2 });
    expect(v.entries().map((e) => e.word)).toEqual(['a', 'b', '__label__x', '__label__y']);
  });

  test('a custom label prefix', async () => {
    const v = await Vocab.build('#pos good\n#neg bad\n', { minCount: 1, labelPrefix: '#' });
    expect(v.nlabels).toBe(2);
    expect(v.type(v.id('#neg'))).toBe('label');
    expect(v.type(v.id('good'))).toBe('word');
  });

  test('pruning while counting drops entries below a rising threshold (like fastText)', async () => {
    // Table limit 3: 'a a b c' -> {a:2,b:1,c:1}; 'd' makes 4 entries > 3 -> prune count<2 -> {a:2};
    // then 'b b' -> {a, b:2}; 'e' -> 3 entries, fine; 'f' -> 4 > 3 -> prune count<3 -> {} ...
    const v = await Vocab.build('a a b c d b b e f a', { minCount: 1, pruneAt: 3 });
    // After 'f': {a:2,b:2,e:1,f:1} -> threshold 3 drops all; then 'a' -> {a:1}.
    expect(v.entries()).toEqual([{ word: 'a', count: 1, type: 'word' }]);
    expect(v.ntokens).toBe(10);
    const big = await Vocab.build('a a a b b c d e f g a b', { minCount: 1, pruneAt: 4 });
    // 'a a a b b c d' -> 5th entry 'e' ... prune at 5 entries (>4): threshold 2 keeps a:3, b:2.
    expect(big.entries().map((e) => [e.word, e.count])).toEqual([
      ['a', 4],
      ['b', 3],
      ['f', 1],
      ['g', 1],
    ]);
  });

  test('bad options are ArgumentErrors', async () => {
    await expect(Vocab.build('a', { minCount: -1 })).rejects.toThrow(ArgumentError);
    await expect(Vocab.build('a', { maxVocab: 1.5 })).rejects.toThrow(/maxVocab must be an integer >= 0, got 1.5/);
    await expect(Vocab.build('a', { labelPrefix: '' })).rejects.toThrow(ArgumentError);
  });

  test('ids out of range are VocabErrors', async () => {
    const v = await Vocab.build('a b', { minCount: 1 });
    expect(() => v.word(2)).toThrow(VocabError);
    expect(() => v.count(-1)).toThrow(/Vocab.count: id must be an integer in \[0, 2\), got -1/);
    expect(() => v.label(0)).toThrow(VocabError);
  });
});

describe('Vocab.fromEntries', () => {
  test('round trip of entries and ntokens', async () => {
    const v = await Vocab.build(TEXT, { minCount: 1 });
    const w = Vocab.fromEntries(v.entries(), v.ntokens);
    expect(w.entries()).toEqual(v.entries());
    expect([w.nwords, w.nlabels, w.ntokens]).toEqual([v.nwords, v.nlabels, v.ntokens]);
    expect(Vocab.fromEntries(v.entries()).ntokens).toBe(17);
  });
  test('keeps the given order; rejects duplicates, words after labels, bad types', () => {
    const v = Vocab.fromEntries([
      { word: 'x', count: 1, type: 'word' },
      { word: 'y', count: 9, type: 'word' },
    ]);
    expect(v.id('y')).toBe(1);
    expect(() =>
      Vocab.fromEntries([
        { word: 'x', count: 1, type: 'word' },
        { word: 'x', count: 1, type: 'word' },
      ]),
    ).toThrow(/repeat/);
    expect(() =>
      Vocab.fromEntries([
        { word: '__label__a', count: 1, type: 'label' },
        { word: 'x', count: 1, type: 'word' },
      ]),
    ).toThrow(/before the labels/);
    expect(() => Vocab.fromEntries([{ word: 'x', count: 1, type: 'noun' as never }])).toThrow(ArgumentError);
    expect(() => Vocab.fromEntries([{ word: 'x', count: -1, type: 'word' }])).toThrow(ArgumentError);
  });
});

describe('encode', () => {
  test('drops labels and unknown words, keeps </s>, chunks of chunkTokens', async () => {
    const v = await Vocab.build(TEXT, { minCount: 3 }); // a b c </s> + labels
    const want = tokenizeString(TEXT)
      .map((t) => v.id(t))
      .filter((id) => id >= 0 && id < v.nwords);
    expect(want).toEqual([0, 1, 2, 3, 2, 0, 1, 3, 0, 1, 2, 0, 3]);
    expect(await all(encode(TEXT, v))).toEqual(want);
    const sizes: number[] = [];
    for await (const c of encode(TEXT, v, { chunkTokens: 4 })) sizes.push(c.length);
    expect(sizes).toEqual([4, 4, 4, 1]);
    expect(await all(encode(TEXT, v, { chunkTokens: 1 }))).toEqual(want);
  });
  test('chunks are fresh arrays', async () => {
    const v = await Vocab.build('a b a b', { minCount: 1 });
    const chunks: Int32Array[] = [];
    for await (const c of encode('a b a b a', v, { chunkTokens: 2 })) chunks.push(c);
    expect(chunks.map((c) => Array.from(c))).toEqual([[0, 1], [0, 1], [0]]);
  });
  test('chunkTokens must be >= 1', async () => {
    const v = await Vocab.build('a', { minCount: 1 });
    await expect(all(encode('a', v, { chunkTokens: 0 }))).rejects.toThrow(ArgumentError);
  });
});

describe('encodeLine', () => {
  test('words (with </s> for the line end), label indices, word tokens', async () => {
    const v = await Vocab.build(TEXT, { minCount: 1 });
    const r = encodeLine('__label__y a zz\tb __label__x __label__new', v);
    expect(Array.from(r.words)).toEqual([0, 1, 3]);
    expect(Array.from(r.labels)).toEqual([1, 0]);
    expect(r.tokens).toEqual(['a', 'zz', 'b', EOS]);
    expect(encodeLine('a\nb', v).tokens).toEqual(['a', EOS]);
    expect(Array.from(encodeLine('', v).words)).toEqual([3]);
  });
});
