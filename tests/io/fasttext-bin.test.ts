// The fastText .bin format at the byte level: round trips, the exact layout,
// and FormatErrors (with byte offsets) for malformed or truncated input.
// Reading real native files is in tests/node/fasttext-native.test.ts.
import { describe, expect, test } from 'vitest';
import { ArgumentError, FormatError } from '../../src/core/errors.js';
import { FASTTEXT_MAGIC, readFastTextBin, writeFastTextBin } from '../../src/io/fasttext-bin.js';
import type { FastTextModelData } from '../../src/models/fasttext/model.js';

function tinyModel(): FastTextModelData {
  const words = [
    { word: '</s>', count: 9, type: 'word' as const },
    { word: 'café', count: 5, type: 'word' as const },
    { word: '日本', count: 2, type: 'word' as const },
    { word: '__label__a', count: 3, type: 'label' as const },
    { word: '__label__b', count: 1, type: 'label' as const },
  ];
  const dim = 3;
  const bucket = 7;
  const input = Float32Array.from({ length: (3 + bucket) * dim }, (_, i) => Math.fround(Math.sin(i + 1) / 3));
  const output = Float32Array.from({ length: 2 * dim }, (_, i) => Math.fround(-i / 7));
  return {
    args: {
      dim,
      ws: 5,
      epoch: 25,
      minCount: 1,
      neg: 5,
      wordNgrams: 2,
      loss: 'softmax',
      model: 'sup',
      bucket,
      minn: 0,
      maxn: 0,
      lrUpdateRate: 100,
      t: 1e-4,
    },
    words,
    ntokens: 123456789012,
    pruneIdxSize: -1,
    input: { rows: 3 + bucket, cols: dim, data: input },
    output: { rows: 2, cols: dim, data: output },
  };
}

/** Byte offsets of the sections of tinyModel()'s file. */
const ARGS = 8;
const DICT = ARGS + 12 * 4 + 8; // 64
const ENTRIES = DICT + 12 + 16; // 92
const ENTRY_BYTES = ['</s>', 'café', '日本', '__label__a', '__label__b'].map(
  (w) => new TextEncoder().encode(w).length + 10,
);
const QUANT = ENTRIES + ENTRY_BYTES.reduce((a, b) => a + b, 0);
const INPUT = QUANT + 1;
const QOUT = INPUT + 16 + 10 * 3 * 4;
const OUTPUT = QOUT + 1;
const END = OUTPUT + 16 + 2 * 3 * 4;

function expectFormatError(bytes: Uint8Array, pattern: RegExp): void {
  let err: unknown;
  try {
    readFastTextBin(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  expect((err as Error).message).toMatch(pattern);
}

describe('writeFastTextBin / readFastTextBin', () => {
  test('round trip: args, dictionary, int64 ntokens, matrices', () => {
    const m = tinyModel();
    const bytes = writeFastTextBin(m);
    expect(bytes.length).toBe(END);
    const back = readFastTextBin(bytes);
    expect(back).toEqual(m);
    expect(writeFastTextBin(back)).toEqual(bytes);
  });

  test('layout: magic, version, args, counts, entries, flags, matrix shapes', () => {
    const bytes = writeFastTextBin(tinyModel());
    const v = new DataView(bytes.buffer);
    expect(v.getInt32(0, true)).toBe(FASTTEXT_MAGIC);
    expect(v.getInt32(4, true)).toBe(12);
    expect(v.getInt32(ARGS + 24, true)).toBe(3); // loss softmax
    expect(v.getInt32(ARGS + 28, true)).toBe(3); // model sup
    expect(v.getFloat64(ARGS + 48, true)).toBe(1e-4);
    expect([v.getInt32(DICT, true), v.getInt32(DICT + 4, true), v.getInt32(DICT + 8, true)]).toEqual([5, 3, 2]);
    expect(v.getBigInt64(DICT + 12, true)).toBe(123456789012n);
    expect(v.getBigInt64(DICT + 20, true)).toBe(-1n);
    expect(Array.from(bytes.subarray(ENTRIES, ENTRIES + 5))).toEqual([0x3c, 0x2f, 0x73, 0x3e, 0]); // "</s>\0"
    expect(v.getBigInt64(ENTRIES + 5, true)).toBe(9n);
    expect(bytes[ENTRIES + 13]).toBe(0);
    expect(bytes[QUANT]).toBe(0);
    expect(v.getBigInt64(INPUT, true)).toBe(10n);
    expect(v.getBigInt64(INPUT + 8, true)).toBe(3n);
    expect(bytes[QOUT]).toBe(0);
    expect(v.getBigInt64(OUTPUT, true)).toBe(2n);
  });

  test('the writer rejects bad models with ArgumentError', () => {
    const m = tinyModel();
    expect(() => writeFastTextBin({ ...m, words: [m.words[3]!, ...m.words.slice(0, 3), m.words[4]!] })).toThrow(
      /words must list every word before the labels/,
    );
    expect(() => writeFastTextBin({ ...m, input: { ...m.input, rows: 11 } })).toThrow(
      /input.data must have rows\*cols = 33 values, got 30/,
    );
    expect(() => writeFastTextBin({ ...m, args: { ...m.args, loss: 'nope' as never } })).toThrow(ArgumentError);
    expect(() => writeFastTextBin({ ...m, words: [{ word: 'a\0b', count: 1, type: 'word' }] })).toThrow(
      /must not contain NUL/,
    );
  });

  test('each model kind and loss round-trips', () => {
    for (const model of ['cbow', 'sg', 'sup'] as const) {
      for (const loss of ['hs', 'ns', 'softmax', 'ova'] as const) {
        const m = tinyModel();
        m.args = { ...m.args, model, loss };
        expect(readFastTextBin(writeFastTextBin(m)).args).toEqual(m.args);
      }
    }
  });
});

describe('malformed .bin input gets a FormatError with the byte offset', () => {
  const good = writeFastTextBin(tinyModel());

  test('truncated anywhere', () => {
    const cuts: [number, RegExp][] = [
      [0, /offset 0 must be the fastText magic number/],
      [3, /offset 0 must be the fastText magic number.*end of data/],
      [6, /offset 4 must be the format version/],
      [ARGS + 10, /offset 16 must be args.epoch/],
      [ARGS + 50, /offset 56 must be args.t \(float64\)/],
      [DICT + 14, /offset 76 must be the token count \(int64\)/],
      [ENTRIES + 2, /offset 92 must be dictionary entry 0: a NUL-terminated word, got end of data/],
      [ENTRIES + 7, /offset 97 must be dictionary entry 0: the count \(int64\)/],
      [QUANT, new RegExp(`offset ${QUANT} must be the quant_input flag`)],
      [INPUT + 20, new RegExp(`offset ${INPUT + 16} must be 10 x 3 float32 values of the input matrix`)],
      [QOUT, new RegExp(`offset ${QOUT} must be the qout flag`)],
      [END - 1, new RegExp(`offset ${OUTPUT + 16} must be 2 x 3 float32 values of the output matrix`)],
    ];
    for (const [cut, pattern] of cuts) expectFormatError(good.slice(0, cut), pattern);
    for (let cut = 0; cut < END; cut += 7) expect(() => readFastTextBin(good.slice(0, cut))).toThrow(FormatError);
  });

  test('bad magic, version, enum codes, counts, flags, trailing bytes', () => {
    const patch = (at: number, f: (v: DataView) => void) => {
      const b = good.slice();
      f(new DataView(b.buffer));
      return b;
    };
    expectFormatError(
      patch(0, (v) => v.setInt32(0, 1234, true)),
      /offset 0 must be the fastText magic number 793712314, got 1234/,
    );
    expectFormatError(
      patch(4, (v) => v.setInt32(4, 13, true)),
      /offset 4 must be format version 12 \(or 11\), got 13/,
    );
    expectFormatError(
      patch(0, (v) => v.setInt32(ARGS + 24, 9, true)),
      /offset 32 must be args.loss in 1..4/,
    );
    expectFormatError(
      patch(0, (v) => v.setInt32(ARGS + 28, 0, true)),
      /offset 36 must be args.model in 1..3/,
    );
    expectFormatError(
      patch(0, (v) => v.setInt32(DICT + 4, 4, true)),
      /offset 64 must be dictionary counts with size = nwords \+ nlabels/,
    );
    expectFormatError(
      patch(0, (v) => v.setInt8(ENTRIES + 13, 5)),
      /offset 105 must be dictionary entry 0: type 0 \(word\) or 1 \(label\), got 5/,
    );
    expectFormatError(
      patch(0, (v) => v.setInt8(QUANT, 1)),
      new RegExp(`offset ${QUANT} must be quant_input 0: quantized models \\(.ftz\\) are not supported yet`),
    );
    expectFormatError(
      patch(0, (v) => v.setInt8(QOUT, 1)),
      /quantized output matrices are not supported yet/,
    );
    expectFormatError(
      patch(0, (v) => v.setBigInt64(INPUT + 8, 4n, true)),
      /must be an input matrix with 3 \(args.dim\) columns|must be 10 x 4 float32/,
    );
    const longer = new Uint8Array(END + 3);
    longer.set(good);
    expectFormatError(longer, new RegExp(`offset ${END} must be the end of the file, got 3 more bytes`));
  });

  test('an int64 beyond 2^53 is rejected, not rounded', () => {
    const b = good.slice();
    new DataView(b.buffer).setBigInt64(DICT + 12, 1n << 60n, true);
    expectFormatError(
      b,
      /offset 76 must be the token count \(int64\), got 1152921504606846976 \(outside the safe integer range\)/,
    );
  });

  test('a version-11 supervised model reads with maxn forced to 0 (as fastText does)', () => {
    const m = tinyModel();
    m.args.maxn = 6;
    const b = writeFastTextBin(m);
    new DataView(b.buffer).setInt32(4, 11, true);
    expect(readFastTextBin(b).args.maxn).toBe(0);
  });
});
