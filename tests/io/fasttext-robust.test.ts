// fastText .bin robustness: the reader checks what the lookups rely on (input rows = nwords +
// bucket, one output row per label, at least one label or word, distinct words without the
// bytes fastText splits on ...), the writer refuses what the reader refuses, every file that
// reads also predicts and re-serialises byte for byte, words keep their bytes (invalid UTF-8
// included) and the training options are checked by name. Files are built here byte by byte,
// independently of writeFastTextBin; tests/node/fasttext-robust.test.ts runs native fastText.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { ArgumentError, FormatError } from '../../src/core/errors.js';
import { wordBytes, wordFromBytes } from '../../src/text/word-bytes.js';
import { readFastTextBin, writeFastTextBin } from '../../src/io/fasttext-bin.js';
import type { FastTextModelData } from '../../src/io/fasttext-model.js';
import { FastTextClassifier } from '../../src/models/fasttext/classifier.js';
import { fastTextLineIds, fastTextWordSubwords, fastTextWordVector } from '../../src/models/fasttext/model.js';
import { supervisedPredict } from '../../src/models/fasttext/trainer.js';
import { FastText } from '../../src/models/vectors/fasttext.js';
import { Tensor } from '../../src/core/tensor.js';
import { computeSubwords, fastTextHash, ngramStrings } from '../../src/text/subwords.js';
import { tokenize, tokenizeString } from '../../src/text/tokenize.js';
import { Vocab } from '../../src/text/vocab.js';

beforeAll(async () => {
  await initForTests();
});

const enc = (s: string) => new TextEncoder().encode(s);

/** A .bin spelled out field by field; `raw` writes it without any check. */
interface Raw {
  version: number;
  /** dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate */
  ints: number[];
  t: number;
  words: { bytes: Uint8Array; count: number; type: 0 | 1 }[];
  counts?: [number, number, number];
  ntokens: number;
  prune: number;
  input: { rows: number; cols: number };
  output: { rows: number; cols: number };
}

const I = {
  dim: 0,
  ws: 1,
  epoch: 2,
  minCount: 3,
  neg: 4,
  wordNgrams: 5,
  loss: 6,
  model: 7,
  bucket: 8,
  minn: 9,
  maxn: 10,
  lrUpdateRate: 11,
};

function raw(m: Raw): Uint8Array {
  const parts: number[] = [];
  const b = new DataView(new ArrayBuffer(8));
  const i32 = (v: number) => {
    b.setInt32(0, v, true);
    for (let k = 0; k < 4; k++) parts.push(b.getUint8(k));
  };
  const i64 = (v: number) => {
    b.setBigInt64(0, BigInt(v), true);
    for (let k = 0; k < 8; k++) parts.push(b.getUint8(k));
  };
  const f64 = (v: number) => {
    b.setFloat64(0, v, true);
    for (let k = 0; k < 8; k++) parts.push(b.getUint8(k));
  };
  const f32 = (v: number) => {
    b.setFloat32(0, v, true);
    for (let k = 0; k < 4; k++) parts.push(b.getUint8(k));
  };
  i32(793712314);
  i32(m.version);
  m.ints.forEach(i32);
  f64(m.t);
  const nwords = m.words.filter((w) => w.type === 0).length;
  const [size, nw, nl] = m.counts ?? [m.words.length, nwords, m.words.length - nwords];
  i32(size);
  i32(nw);
  i32(nl);
  i64(m.ntokens);
  i64(m.prune);
  for (const w of m.words) {
    parts.push(...w.bytes, 0);
    i64(w.count);
    parts.push(w.type);
  }
  let x = 0;
  for (const mat of [m.input, m.output]) {
    parts.push(0);
    i64(mat.rows);
    i64(mat.cols);
    for (let k = 0; k < mat.rows * mat.cols; k++) f32(Math.fround(Math.sin(++x) / 4));
  }
  return Uint8Array.from(parts);
}

/** The model data `raw(m)` stands for (what the writer is given). */
function dataOf(m: Raw): FastTextModelData {
  let x = 0;
  const mat = (r: { rows: number; cols: number }) => ({
    ...r,
    data: Float32Array.from({ length: r.rows * r.cols }, () => Math.fround(Math.sin(++x) / 4)),
  });
  const [dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate] = m.ints as number[];
  return {
    args: {
      dim: dim!,
      ws: ws!,
      epoch: epoch!,
      minCount: minCount!,
      neg: neg!,
      wordNgrams: wordNgrams!,
      loss: (['hs', 'ns', 'softmax', 'ova'] as const)[loss! - 1]!,
      model: (['cbow', 'sg', 'sup'] as const)[model! - 1]!,
      bucket: bucket!,
      minn: minn!,
      maxn: maxn!,
      lrUpdateRate: lrUpdateRate!,
      t: m.t,
    },
    words: m.words.map((w) => ({
      word: wordFromBytes(w.bytes),
      count: w.count,
      type: w.type === 0 ? 'word' : 'label',
    })),
    ntokens: m.ntokens,
    pruneIdxSize: m.prune,
    input: mat(m.input),
    output: mat(m.output),
  };
}

const word = (s: string | Uint8Array, count = 3, type: 0 | 1 = 0) => ({
  bytes: typeof s === 'string' ? enc(s) : s,
  count,
  type,
});

/** Supervised: 3 words, 2 labels, word bigrams in 7 buckets, dim 3. */
function sup(): Raw {
  return {
    version: 12,
    ints: [3, 5, 5, 1, 5, 2, 3, 3, 7, 0, 0, 100],
    t: 1e-4,
    words: [word('</s>', 9), word('café', 5), word('good', 2), word('__label__a', 3, 1), word('__label__b', 1, 1)],
    ntokens: 40,
    prune: -1,
    input: { rows: 3 + 7, cols: 3 },
    output: { rows: 2, cols: 3 },
  };
}

/** Skip-gram: 3 words, character 2..4-grams in 11 buckets, dim 3. */
function sg(): Raw {
  return {
    version: 12,
    ints: [3, 5, 5, 1, 5, 1, 2, 2, 11, 2, 4, 100],
    t: 1e-4,
    words: [word('</s>', 9), word('café', 5), word('cat', 2)],
    ntokens: 40,
    prune: -1,
    input: { rows: 3 + 11, cols: 3 },
    output: { rows: 3, cols: 3 },
  };
}

function withInts(m: Raw, set: Partial<Record<keyof typeof I, number>>): Raw {
  const ints = m.ints.slice();
  for (const [k, v] of Object.entries(set)) ints[I[k as keyof typeof I]] = v!;
  return { ...m, ints };
}

/** Rows follow nwords + bucket and nlabels (for edits of the dictionary or the bucket). */
function fitRows(m: Raw, outRows?: number): Raw {
  const nw = m.words.filter((w) => w.type === 0).length;
  const nl = m.words.length - nw;
  const isSup = m.ints[I.model] === 3;
  return {
    ...m,
    input: { ...m.input, rows: nw + m.ints[I.bucket]! },
    output: { ...m.output, rows: outRows ?? (isSup ? nl : nw) },
  };
}

function readError(bytes: Uint8Array): Error {
  try {
    readFastTextBin(bytes);
  } catch (e) {
    return e as Error;
  }
  throw new Error('readFastTextBin accepted the file');
}

/** Everything a loaded model offers works, and it saves to the same bytes. */
function exercise(bytes: Uint8Array): void {
  const m = readFastTextBin(bytes);
  const again = writeFastTextBin(m);
  if (new DataView(bytes.buffer, bytes.byteOffset).getInt32(4, true) === 12) expect(again).toEqual(bytes);
  expect(readFastTextBin(again)).toEqual(readFastTextBin(writeFastTextBin(readFastTextBin(again))));
  if (m.args.model === 'sup') {
    const c = FastTextClassifier.fromBytes(bytes);
    try {
      const nl = c.labels.length;
      for (const line of ['café good', 'good good café unknown', '', '__label__a café']) {
        const p = c.predict(line, nl + 2);
        expect(p.length).toBeLessThanOrEqual(nl);
        for (const q of p) expect(c.labels).toContain(q.label);
        const probs = c.probabilities([line])[0]!;
        expect(probs.length).toBe(nl);
      }
      const r = c.test(enc('__label__a café good\n__label__b good\n'), 1);
      expect(r.n).toBeLessThanOrEqual(2);
      expect(c.toBytes()).toEqual(again);
    } finally {
      c.dispose();
    }
  } else {
    const f = FastText.fromBytes(bytes);
    try {
      for (const w of ['café', 'cat', 'unknownword', '</s>', ...f.words]) expect(f.vector(w).length).toBe(m.args.dim);
      f.mostSimilar(f.words[0]!, 2);
      f.toVec();
      expect(f.toBytes()).toEqual(again);
    } finally {
      f.dispose();
    }
  }
}

describe('semantic checks: each bad field is a FormatError naming its offset and field (and an ArgumentError to write)', () => {
  const ARGS = 8;
  const DICT = ARGS + 56;
  const ENTRIES = DICT + 28;
  const cases: [string, Raw, RegExp][] = [
    [
      'sup, loss hs, 1 output row for 2 labels',
      { ...withInts(sup(), { loss: 1 }), output: { rows: 1, cols: 3 } },
      /\(the output matrix rows\) must be nlabels = 2 .*got 1/,
    ],
    [
      'sup, 3 output rows for 2 labels',
      { ...sup(), output: { rows: 3, cols: 3 } },
      /\(the output matrix rows\) must be nlabels = 2/,
    ],
    [
      'sup with 0 labels',
      fitRows({ ...sup(), words: sup().words.slice(0, 3) }),
      new RegExp(`offset ${DICT} \\(the dictionary\\) must be at least 1 label for a supervised model, got 0 labels`),
    ],
    [
      'sup with 0 labels but 2 output rows',
      { ...sup(), words: sup().words.slice(0, 3), input: { rows: 10, cols: 3 } },
      /at least 1 label/,
    ],
    ['sg with 0 words', fitRows({ ...sg(), words: [] }), /\(the dictionary\) must be at least 1 word for a sg model/],
    [
      'input rows nwords + bucket - 1',
      { ...sup(), input: { rows: 9, cols: 3 } },
      /\(the input matrix rows\) must be nwords \+ args.bucket = 3 \+ 7 = 10, got 9/,
    ],
    [
      'input rows nwords + bucket + 1',
      { ...sg(), input: { rows: 15, cols: 3 } },
      /input matrix rows\) must be nwords \+ args.bucket = 3 \+ 11 = 14, got 15/,
    ],
    [
      'a duplicate word',
      { ...sg(), words: [word('</s>'), word('cat'), word('cat')] },
      new RegExp(`offset ${ENTRIES + 14 + 13} \\(words\\[2\\].word\\) must differ from every other word.*got "cat"`),
    ],
    [
      'a label equal to a word',
      { ...sup(), words: [...sup().words.slice(0, 3), word('good', 1, 1), word('__label__b', 1, 1)] },
      /\(words\[3\].word\) must differ/,
    ],
    [
      'an empty word',
      { ...sg(), words: [word('</s>'), word(''), word('cat')] },
      new RegExp(`offset ${ENTRIES + 14} \\(words\\[1\\].word\\) must be a non-empty word`),
    ],
    ...[' ', '\t', '\n', '\v', '\f', '\r'].map((c): [string, Raw, RegExp] => [
      `a word with ${JSON.stringify(c)}`,
      { ...sg(), words: [word('</s>'), word(`ca${c}t`), word('cat')] },
      new RegExp(`\\(words\\[1\\].word\\) must not contain "${c === ' ' ? ' ' : '\\\\'}`),
    ]),
    [
      'a negative count',
      { ...sup(), words: [word('</s>'), word('café', -2), ...sup().words.slice(2)] },
      /\(words\[1\].count\) must be an integer >= 0, got -2/,
    ],
    [
      'negative ntokens',
      { ...sup(), ntokens: -1 },
      new RegExp(`offset ${DICT + 12} \\(ntokens\\) must be an integer >= 0, got -1`),
    ],
    [
      'bucket -1',
      withInts(sup(), { bucket: -1 }),
      new RegExp(`offset ${ARGS + 32} \\(args.bucket\\) must be an integer >= 0, got -1`),
    ],
    [
      'bucket 0 with character n-grams',
      fitRows(withInts(sg(), { bucket: 0 })),
      /\(args.bucket\) must be > 0 when args.maxn \(4\) > 0/,
    ],
    [
      'bucket 0 with word bigrams (sup)',
      fitRows(withInts(sup(), { bucket: 0 })),
      /\(args.bucket\) must be > 0 when args.wordNgrams \(2\) > 1/,
    ],
    [
      't NaN',
      { ...sup(), t: NaN },
      new RegExp(`offset ${ARGS + 48} \\(args.t\\) must be a number \\(not NaN\\), got NaN`),
    ],
    ['pruneidx_size 0', { ...sup(), prune: 0 }, new RegExp(`offset ${DICT + 20} must be pruneidx_size -1`)],
    ['pruneidx_size -2', { ...sg(), prune: -2 }, /must be pruneidx_size -1.*got -2/],
    [
      'sg with more labels than buckets',
      fitRows({
        ...withInts(sg(), { bucket: 1 }),
        words: [...sg().words, word('__label__x', 1, 1), word('__label__y', 1, 1)],
      }),
      /\(the dictionary\) must be at most args.bucket \(1\) labels in a sg model/,
    ],
  ];

  test.each(cases)('%s', (_name, m, pattern) => {
    const bytes = raw(m);
    const e = readError(bytes);
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/^readFastTextBin: bytes at offset \d+ /);
    expect(e.message).toMatch(pattern);
    const load = () => (m.ints[I.model] === 3 ? FastTextClassifier.fromBytes(bytes) : FastText.fromBytes(bytes));
    expect(load).toThrow(FormatError);
    // the writer refuses the same model (unless the problem is pruneidx_size, which it always writes as -1)
    if (m.prune === -1) {
      let w: unknown;
      try {
        writeFastTextBin(dataOf(m));
      } catch (err) {
        w = err;
      }
      expect(w).toBeInstanceOf(ArgumentError);
      expect((w as Error).message).toMatch(/^writeFastTextBin: /);
    }
  });

  test('the base files and an hs word-vector model with nwords - 1 output rows (this library wrote those) load', () => {
    exercise(raw(sup()));
    exercise(raw(sg()));
    exercise(raw({ ...withInts(sg(), { loss: 1 }), output: { rows: 2, cols: 3 } }));
  });
});

describe('fields native fastText writes (it checks none of the training arguments) load, predict and re-save byte for byte', () => {
  const supCases: [string, Raw][] = [
    ['ws -3', withInts(sup(), { ws: -3 })],
    ['epoch 0', withInts(sup(), { epoch: 0 })],
    ['neg -2', withInts(sup(), { neg: -2 })],
    ['minCount 0', withInts(sup(), { minCount: 0 })],
    ['lrUpdateRate -5', withInts(sup(), { lrUpdateRate: -5 })],
    ['t -1, 0, -0 and Infinity', { ...sup(), t: -1 }],
    ['t -0', { ...sup(), t: -0 }],
    ['t Infinity', { ...sup(), t: Infinity }],
    ['wordNgrams 0, bucket 0', fitRows(withInts(sup(), { wordNgrams: 0, bucket: 0 }))],
    ['wordNgrams -1 with buckets', withInts(sup(), { wordNgrams: -1 })],
    ['minn 5 > maxn 3', withInts(sup(), { minn: 5, maxn: 3 })],
    ['minn -1, maxn 3', withInts(sup(), { minn: -1, maxn: 3 })],
    ['maxn -1', withInts(sup(), { minn: 3, maxn: -1 })],
    ['loss hs', withInts(sup(), { loss: 1 })],
    ['loss ns', withInts(sup(), { loss: 2 })],
    ['loss ova', withInts(sup(), { loss: 4 })],
    ['loss hs with 1 label', fitRows(withInts({ ...sup(), words: sup().words.slice(0, 4) }, { loss: 1 }))],
    [
      'no words, only labels',
      fitRows(withInts({ ...sup(), words: sup().words.slice(3) }, { bucket: 0, wordNgrams: 1 })),
    ],
    ['count 0', { ...sup(), words: [word('</s>', 0), ...sup().words.slice(1)] }],
    ['dim 0', { ...withInts(sup(), { dim: 0 }), input: { rows: 10, cols: 0 }, output: { rows: 2, cols: 0 } }],
    ['a label without the prefix', { ...sup(), words: [...sup().words.slice(0, 4), word('other', 1, 1)] }],
    ['version 11 (maxn read as 0)', { ...withInts(sup(), { maxn: 6 }), version: 11 }],
  ];
  test.each(supCases)('sup: %s', (_name, m) => exercise(raw(m)));

  const sgCases: [string, Raw][] = [
    ['ws -3, neg -2, epoch 0', withInts(sg(), { ws: -3, neg: -2, epoch: 0 })],
    ['loss hs (native: nwords output rows)', withInts(sg(), { loss: 1 })],
    ['loss softmax', withInts(sg(), { loss: 3 })],
    ['cbow', withInts(sg(), { model: 1 })],
    ['minn -1', withInts(sg(), { minn: -1 })],
    ['minn 5 > maxn 4', withInts(sg(), { minn: 5 })],
    ['maxn 0, bucket 0', fitRows(withInts(sg(), { maxn: 0, bucket: 0 }))],
    ['maxn -1 with buckets', withInts(sg(), { maxn: -1 })],
    ['labels (within the buckets)', fitRows({ ...sg(), words: [...sg().words, word('__label__x', 1, 1)] })],
    ['only </s>', fitRows({ ...sg(), words: [word('</s>')] })],
    ['output rows differ from nwords (only kept, never read)', { ...sg(), output: { rows: 1, cols: 3 } }],
    ['dim 0', { ...withInts(sg(), { dim: 0 }), input: { rows: 14, cols: 0 }, output: { rows: 3, cols: 0 } }],
  ];
  test.each(sgCases)('sg: %s', (_name, m) => exercise(raw(m)));
});

describe('random mutations of valid files: a FormatError or a model that works', () => {
  test('2400 mutated files, never another error (no RangeError, no Wasm trap)', () => {
    let s = 12345;
    const rand = (n: number) => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s % n;
    };
    const interesting = [-1, 0, 1, 2, 3, 4, 7, 11, 255, 256, 0x7fffffff, -0x80000000, 10, 9, 12, 14];
    let loaded = 0;
    for (const base of [
      raw(sup()),
      raw(sg()),
      raw(withInts(sup(), { loss: 1 })),
      raw({ ...withInts(sg(), { loss: 1 }), output: { rows: 2, cols: 3 } }),
    ]) {
      for (let k = 0; k < 600; k++) {
        const b = base.slice();
        const v = new DataView(b.buffer);
        const edits = 1 + rand(3);
        for (let e = 0; e < edits; e++) {
          const kind = rand(3);
          const at = rand(Math.min(b.length, 200));
          if (kind === 0 && at + 4 <= b.length) v.setInt32(at, interesting[rand(interesting.length)]!, true);
          else if (kind === 1) b[at] = rand(256);
          else b[at] = [0, 9, 10, 32, 0xe9, 0xff, 0x80][rand(7)]!;
        }
        let ok = false;
        try {
          readFastTextBin(b);
          ok = true;
        } catch (err) {
          if (!(err instanceof FormatError)) throw err;
        }
        if (ok) {
          exercise(b);
          loaded++;
        }
      }
    }
    expect(loaded).toBeGreaterThan(50);
  });
});

describe('words keep their bytes', () => {
  const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

  test('Latin-1 words read, stay distinct and write back byte for byte; their n-grams hash their bytes', () => {
    // "café" and "cafè" in Latin-1: one invalid byte each (0xE9, 0xE8); lossy decoding made both "caf\uFFFD"
    const m: Raw = {
      ...sg(),
      words: [word('</s>'), word(latin1('café')), word(latin1('cafè')), word(latin1('\xff\xfe'))],
    };
    const fitted = fitRows(m);
    const bytes = raw(fitted);
    const md = readFastTextBin(bytes);
    const [, a, b, c] = md.words.map((e) => e.word);
    expect(a).toBe('caf\udce9');
    expect(b).toBe('caf\udce8');
    expect(c).toBe('\udcff\udcfe');
    expect(writeFastTextBin(md)).toEqual(bytes);
    // the n-gram rows are those of the bytes: <caf\xe9> has the byte 0xE9 as one character
    const wrapped = latin1('<café>');
    expect(fastTextHash(a!)).toBe(fastTextHash(latin1('café')));
    expect(fastTextHash('<' + a + '>')).toBe(fastTextHash(wrapped));
    expect(ngramStrings(a!, 2, 4).map((g) => Array.from(wordBytes(g)))).toContainEqual([0x66, 0xe9, 0x3e]); // "f\xe9>"
    const rows = computeSubwords(a!, 2, 4, 11, 4);
    expect(rows).toContain(4 + (fastTextHash(latin1('fé>')) % 11));
    expect(fastTextWordSubwords(md, a!)).toEqual([1, ...rows]);
    expect(fastTextWordVector(md, a!)).not.toEqual(fastTextWordVector(md, b!));
  });

  test('a leading byte-order mark and mixed valid/invalid bytes are kept', () => {
    const words = [
      enc('</s>'),
      Uint8Array.of(0xef, 0xbb, 0xbf, 0x61),
      enc('a'),
      Uint8Array.of(0xc3, 0xa9, 0xe9, 0xe2, 0x82),
      Uint8Array.of(0xf0, 0x9f, 0x98),
    ];
    const m = fitRows({ ...sg(), words: words.map((w) => word(w)) });
    const bytes = raw(m);
    const md = readFastTextBin(bytes);
    expect(md.words[1]!.word).toBe('\ufeffa');
    expect(new Set(md.words.map((e) => e.word)).size).toBe(5);
    expect(writeFastTextBin(md)).toEqual(bytes);
    md.words.forEach((e, i) => expect(wordBytes(e.word)).toEqual(words[i]));
  });

  test('the tokenizer decodes bytes the same way, whatever the chunking', async () => {
    const text = Uint8Array.of(
      ...enc('\ufeffcaf'),
      0xe9,
      0x20,
      ...enc('naïve 日本'),
      0x0a,
      0xe2,
      0x82,
      0x20,
      ...enc('😀x'),
      0xff,
      0x0a,
      0xf0,
      0x9f,
    );
    const want = ['\ufeffcaf\udce9', 'naïve', '日本', '</s>', '\udce2\udc82', '😀x\udcff', '</s>', '\udcf0\udc9f'];
    const collect = async (src: Parameters<typeof tokenize>[0]) => {
      const out: string[] = [];
      for await (const t of tokenize(src)) out.push(t);
      return out;
    };
    expect(await collect(text)).toEqual(want);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(await collect([text.subarray(0, cut), text.subarray(cut)])).toEqual(want);
      for (let cut2 = cut; cut2 <= text.length; cut2 += 3) {
        expect(await collect([text.subarray(0, cut), text.subarray(cut, cut2), text.subarray(cut2)])).toEqual(want);
      }
    }
    // one byte at a time
    expect(await collect(Array.from(text, (b) => Uint8Array.of(b)))).toEqual(want);
    expect(wordFromBytes(text).split(/[ \n]/)).toEqual(want.filter((t) => t !== '</s>'));
    want.filter((t) => t !== '</s>').forEach((t) => expect(fastTextHash(t)).toBe(fastTextHash(wordBytes(t))));
  });

  test('long byte input (slices of 64 KiB) in random chunks: the same tokens as decoding it whole', async () => {
    const pieces = [
      [0x61],
      [0x62],
      [0x20],
      [0x0a],
      [0xe9],
      [0xc3, 0xa9],
      [0xe6, 0x97, 0xa5],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xff],
      [0xe2, 0x82],
    ];
    let s = 7;
    const rand = (n: number) => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return (s >>> 8) % n;
    };
    const bytes: number[] = [];
    while (bytes.length < 200_000) bytes.push(...pieces[rand(pieces.length)]!);
    const text = Uint8Array.from(bytes);
    const want = tokenizeString(wordFromBytes(text));
    expect(want.some((t) => /[\udc80-\udcff]/.test(t))).toBe(true);
    const collect = async (src: Parameters<typeof tokenize>[0]) => {
      const out: string[] = [];
      for await (const t of tokenize(src)) out.push(t);
      return out;
    };
    expect(await collect(text)).toEqual(want);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < text.length;) {
      const n = 1 + rand(70_000);
      chunks.push(text.subarray(i, i + n));
      i += n;
    }
    expect(await collect(chunks)).toEqual(want);
  });

  test('a classifier trained on Latin-1 bytes keeps the words distinct, saves their bytes and tests on the same bytes', async () => {
    const lines: number[] = [];
    for (let i = 0; i < 30; i++) {
      lines.push(...latin1(i % 2 ? '__label__x café ok\n' : '__label__y cafè ok\n'));
    }
    const text = Uint8Array.from(lines);
    const vocab = await Vocab.build(text, { minCount: 1 });
    expect(vocab.id('caf\udce9')).toBeGreaterThanOrEqual(0);
    expect(vocab.id('caf\udce8')).toBeGreaterThanOrEqual(0);
    const c = await FastTextClassifier.train(text, { dim: 4, epoch: 20, lr: 0.5, seed: 1 });
    try {
      const bytes = c.toBytes();
      const find = (needle: Uint8Array) => bytes.findIndex((_, i) => needle.every((x, k) => bytes[i + k] === x));
      expect(find(Uint8Array.of(...latin1('café'), 0))).toBeGreaterThan(0);
      expect(find(Uint8Array.of(...latin1('cafè'), 0))).toBeGreaterThan(0);
      expect(c.test(text).precision).toBe(1);
      expect(c.predict('caf\udce9 ok')[0]!.label).toBe('__label__x');
      expect(c.predict('caf\udce8 ok')[0]!.label).toBe('__label__y');
      const back = FastTextClassifier.fromBytes(bytes);
      try {
        expect(back.test(text)).toEqual(c.test(text));
        expect(back.toBytes()).toEqual(bytes);
      } finally {
        back.dispose();
      }
      // the line ids of a byte line match those of its escaped string
      const md = c.toModelData();
      expect(fastTextLineIds(md, wordFromBytes(latin1('café ok'))).ids).toEqual(
        fastTextLineIds(md, 'caf\udce9 ok').ids,
      );
    } finally {
      c.dispose();
    }
  });
});

describe('supervisedPredict checks the label counts against the output rows', () => {
  test('hs with labelCounts of another length, and no output rows: an error, not a trap', () => {
    const input = Tensor.zeros([4, 3]);
    const output = Tensor.zeros([3, 3]);
    const empty = Tensor.zeros([0, 3]);
    try {
      const rows = Int32Array.of(0, 1);
      const offsets = Int32Array.of(0, 2);
      expect(() => supervisedPredict(input, output, rows, offsets, { loss: 'hs', labelCounts: [5, 1] })).toThrow(
        /labelCounts must have 3 entries \(one per output row\), got 2/,
      );
      expect(() => supervisedPredict(input, empty, rows, offsets, { loss: 'softmax' })).toThrow(
        /output must have at least 1 row/,
      );
      expect(supervisedPredict(input, output, rows, offsets, { loss: 'hs', labelCounts: [5, 1, 2] }).length).toBe(3);
    } finally {
      input.dispose();
      output.dispose();
      empty.dispose();
    }
  });
});

describe('unknown training options are errors', () => {
  test('FastTextClassifier.train: a misspelt option names itself', async () => {
    const text = '__label__a x y\n__label__b y z\n';
    for (const bad of ['wordNgram', 'epochs', 'thread', 'minn']) {
      const err = await FastTextClassifier.train(text, { dim: 4, epoch: 1, [bad]: 2 } as never).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ArgumentError);
      expect((err as Error).message).toMatch(new RegExp(`^FastTextClassifier\\.train: .*${bad}`));
    }
    const ok = await FastTextClassifier.train(text, {
      dim: 4,
      epoch: 1,
      wordNgrams: 2,
      bucket: 10,
      onProgress: undefined,
    });
    ok.dispose();
  });

  test('FastText.train: a misspelt option names itself', async () => {
    const text = 'a b c a b c a b\n';
    for (const bad of ['minxn', 'window', 'negative', 'wordNgrams']) {
      const err = await FastText.train(text, { model: 'skipgram', dim: 4, [bad]: 2 } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArgumentError);
      expect((err as Error).message).toMatch(new RegExp(`^FastText\\.train: .*${bad}`));
    }
    const ok = await FastText.train(text, { model: 'cbow', dim: 4, epoch: 1, minCount: 1, bucket: 50, threads: 1 });
    ok.dispose();
  });
});
