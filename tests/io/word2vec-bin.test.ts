// The word2vec C binary format (word2vec.c -binary 1): exact round trips, the
// byte layout, and FormatErrors with byte offsets.
import { describe, expect, test } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { readWord2VecBin, writeWord2VecBin } from '../../src/io/word2vec-bin.js';
import type { WordVectorTable } from '../../src/io/vec.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function sample(): WordVectorTable {
  const words = ['the', 'café', '日本', '😀', '</s>'];
  const data = Float32Array.from({ length: words.length * 5 }, (_, i) =>
    Math.fround(Math.sin(i) * 10 ** ((i % 9) - 4)),
  );
  data.set([0, -0, 1e-45, -3.4028234663852886e38], 0);
  return { words, dim: 5, data };
}

describe('word2vec binary', () => {
  test('round trip is exact', () => {
    const wv = sample();
    const back = readWord2VecBin(writeWord2VecBin(wv));
    expect(back.words).toEqual(wv.words);
    expect(Array.from(back.data)).toEqual(Array.from(wv.data));
  });

  test('layout as word2vec.c writes it: "n dim\\n", then word, space, float32 LE, "\\n"', () => {
    const b = writeWord2VecBin({ words: ['ab', 'é'], dim: 1, data: Float32Array.from([1, -2]) });
    expect(Array.from(b)).toEqual([
      ...bytes('2 1\n'),
      ...bytes('ab '),
      0,
      0,
      0x80,
      0x3f,
      0x0a,
      ...bytes('é '),
      0,
      0,
      0,
      0xc0,
      0x0a,
    ]);
  });

  test('reads files without the newline after each vector (and with CRLF header)', () => {
    const b = new Uint8Array([...bytes('2 1\r\nab '), 0, 0, 0x80, 0x3f, ...bytes('c '), 0, 0, 0, 0xc0]);
    const wv = readWord2VecBin(b);
    expect(wv.words).toEqual(['ab', 'c']);
    expect(Array.from(wv.data)).toEqual([1, -2]);
  });

  test('malformed: FormatError with the byte offset', () => {
    const good = writeWord2VecBin({ words: ['abcdefgh', 'c'], dim: 2, data: Float32Array.from([1, 2, 3, 4]) });
    const cases: [Uint8Array, RegExp][] = [
      [bytes('2 2'), /offset 0 must be a header line "<count> <dim>" ending in a newline, got end of data/],
      [bytes('two 2\n'), /offset 0 must be a header line "<count> <dim>", got "two 2"/],
      [good.slice(0, 8), /offset 0 must be 2 vectors of 2 float32, got a file of only 8 bytes/],
      [
        good.slice(0, 17),
        /offset 13 must be word 0 \("abcdefgh"\): 2 float32 values, got end of data \(4 of 8 bytes left/,
      ],
      [good.slice(0, 23), /offset 22 must be word 1: its bytes followed by a space/],
      [
        new Uint8Array([...good, 1, 2]),
        new RegExp(`offset ${good.length} must be the end of the file after 2 vectors, got 2 more bytes`),
      ],
      [bytes('1000000 300\nab '), /offset 0 must be 1000000 vectors of 300 float32, got a file of only 15 bytes/],
    ];
    for (const [input, pattern] of cases) {
      expect(() => readWord2VecBin(input)).toThrow(FormatError);
      expect(() => readWord2VecBin(input)).toThrow(pattern);
    }
  });
});
