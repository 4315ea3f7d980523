// .vec text: exact round trips, the written text, native-style input, and
// FormatErrors with byte offsets. Native .vec files: tests/node/fasttext-native.test.ts.
import { describe, expect, test } from 'vitest';
import { ArgumentError, FormatError } from '../../src/core/errors.js';
import { formatFloat32, readVec, writeVec, type WordVectorTable } from '../../src/io/vec.js';

/** Seeded float32 values over many magnitudes, with the awkward ones. */
function sample(): WordVectorTable {
  const words = ['the', 'café', 'straße', '日本', '😀', '</s>', '__label__x', 'a-b'];
  const dim = 7;
  const data = new Float32Array(words.length * dim);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (s / 2 ** 32 - 0.5) * 10 ** ((i % 13) - 6);
  }
  data.set([0, -0, 1e-45, -3.4028234663852886e38, 1.1754943508222875e-38, 0.1, 1 / 3], 0);
  return { words, dim, data };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('.vec text', () => {
  test('round trip is float32-exact (shortest digits), -0 and subnormals included', () => {
    const wv = sample();
    const back = readVec(writeVec(wv));
    expect(back.words).toEqual(wv.words);
    expect(back.dim).toBe(wv.dim);
    expect(Array.from(back.data)).toEqual(Array.from(wv.data));
    expect(Object.is(back.data[1], -0)).toBe(true);
  });

  test('the written text: header, one line per word, shortest float32 digits', () => {
    const out = text(writeVec({ words: ['a', 'é'], dim: 2, data: Float32Array.from([0.1, -2, 1 / 3, 1e-7]) }));
    expect(out).toBe('2 2\na 0.1 -2\né 0.33333334 1e-7\n');
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(16777216)).toBe('16777216');
    expect(formatFloat32(Math.fround(3.4e38))).toBe('3.4e+38');
    expect(formatFloat32(Infinity)).toBe('inf');
  });

  test('reads native fastText style: trailing space per line, 5 significant digits', () => {
    const wv = readVec('2 3\nthe -0.01482 0.013986 1.532e-05 \ncafé 0 -0.10595 2 \n');
    expect(wv.words).toEqual(['the', 'café']);
    expect(Array.from(wv.data)).toEqual([-0.01482, 0.013986, 1.532e-5, 0, -0.10595, 2].map(Math.fround));
  });

  test('reads word2vec text (-binary 0: "%lf " values), CRLF, tabs, a missing final newline, inf/nan', () => {
    const wv = readVec('2 2\r\nx 0.500000 -1.250000 \r\ny\tinf\t-nan');
    expect(wv.words).toEqual(['x', 'y']);
    expect(Array.from(wv.data.subarray(0, 3))).toEqual([0.5, -1.25, Infinity]);
    expect(Number.isNaN(wv.data[3])).toBe(true);
  });

  test('malformed: FormatError naming the byte offset and what was expected', () => {
    const cases: [string, RegExp][] = [
      ['', /readVec: bytes at offset 0 must be a header line "<count> <dim>", got end of data/],
      ['2 x\n', /offset 0 must be a header line "<count> <dim>", got "2 x"/],
      ['2 2\na 1 2\n', /offset 10 must be line 3: a word and 2 numbers, got end of data/],
      ['1 2\na 1\n', /offset 4 must be line 2: a word and 2 numbers, got 1 numbers/],
      ['1 2\na 1 2 3\n', /offset 4 must be line 2: a word and 2 numbers, got 3 numbers/],
      ['1 2\na 1 zz\n', /offset 8 must be line 2: a number, got "zz"/],
      ['1 2\na 1 0x10\n', /offset 8 must be line 2: a number, got "0x10"/],
      ['1 1\na 1\nb 2\n', /offset 8 must be the end of the file after 1 vectors, got more data/],
    ];
    for (const [input, pattern] of cases) {
      expect(() => readVec(input), input).toThrow(FormatError);
      expect(() => readVec(input), input).toThrow(pattern);
    }
  });

  test('the writer rejects words with whitespace and mismatched data (ArgumentError)', () => {
    expect(() => writeVec({ words: ['a b'], dim: 1, data: new Float32Array(1) })).toThrow(ArgumentError);
    expect(() => writeVec({ words: ['a'], dim: 2, data: new Float32Array(1) })).toThrow(
      /data must have words.length \* dim = 2 values, got 1/,
    );
  });
});
