// Robustness of the safetensors, .vec and word2vec .bin readers (fuzz-campaign regressions):
// mutated and truncated files give a FormatError (never a RangeError or silently shifted data),
// words are bytes, and what a reader accepts its writer writes back. Node Buffers:
// tests/node/readers-robust.test.ts.
import { describe, expect, test } from 'vitest';
import { ArgumentError, FormatError } from '../../src/core/errors.js';
import { decodeSafetensors, encodeSafetensors, type Safetensors } from '../../src/io/safetensors.js';
import { readVec, writeVec, type WordVectorTable } from '../../src/io/vec.js';
import { readWord2VecBin, writeWord2VecBin } from '../../src/io/word2vec-bin.js';
import { readFastTextBin, writeFastTextBin } from '../../src/io/fasttext-bin.js';

const enc = new TextEncoder();
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const cat = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

/** A seeded generator of uint32 (an LCG; enough to pick bytes and positions). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** The error `f` throws (fails when it returns). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function expectFormatError(f: () => unknown, pattern?: RegExp, label?: string): void {
  const e = thrown(f);
  expect(e, `${label ?? ''}: ${e.constructor.name}: ${e.message}`).toBeInstanceOf(FormatError);
  if (pattern) expect(e.message, label).toMatch(pattern);
}

/** Float32 bits of a table's data, so NaNs compare. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function sameTable(a: WordVectorTable, b: WordVectorTable): void {
  expect(b.words).toEqual(a.words);
  expect(b.dim).toBe(a.dim);
  expect(bits(b.data)).toEqual(bits(a.data));
}

function sameSafetensors(a: Safetensors, b: Safetensors): void {
  expect(b.metadata).toEqual(a.metadata);
  expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
  for (const [k, t] of Object.entries(a.tensors)) {
    const u = b.tensors[k]!;
    expect([u.dtype, u.shape]).toEqual([t.dtype, t.shape]);
    expect(Array.from(new Uint32Array(u.data.buffer, u.data.byteOffset, u.data.length))).toEqual(
      Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)),
    );
  }
}

/** Re-encode a decoded file (F32 / I32 as they are). */
const reencode = (s: Safetensors) =>
  encodeSafetensors(
    Object.fromEntries(Object.entries(s.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data }])),
    s.metadata,
  );

/** A file from its parts: u64 header length (default: the header's), header text, data bytes. */
function build(header: string, data: Uint8Array, length?: bigint): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors: the header length and the tiling of the data section', () => {
  const good = encodeSafetensors(
    { w: { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }, ids: { shape: [2], data: Int32Array.of(7, -8) } },
    { format: 'pt' },
  );
  const n = Number(new DataView(good.buffer).getBigUint64(0, true));

  test('a header length one byte short (or long, or anything else) is a FormatError, not shifted tensors', () => {
    expect(good[8 + n - 1], 'the header ends in a padding space, so N - 1 is still valid JSON').toBe(0x20);
    const lengths = [0n, 1n, 7n, BigInt(n - 8), BigInt(n - 1), BigInt(n + 1), BigInt(n + 4), 2n ** 31n];
    lengths.push(2n ** 32n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n);
    for (const len of lengths) {
      const b = good.slice();
      new DataView(b.buffer).setBigUint64(0, len, true);
      expectFormatError(() => decodeSafetensors(b), undefined, `header length ${len}`);
    }
    expectFormatError(
      () => {
        const b = good.slice();
        new DataView(b.buffer).setBigUint64(0, BigInt(n - 1), true);
        return decodeSafetensors(b);
      },
      new RegExp(`offset ${8 + n - 1 + 32} must be the end of the file after the last tensor, "ids", got 1 more bytes`),
    );
  });

  test('truncated at every byte, or with bytes appended: FormatError', () => {
    for (let k = 0; k < good.length; k++)
      expectFormatError(() => decodeSafetensors(good.subarray(0, k)), undefined, `truncated to ${k}`);
    for (const extra of [[0], [0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8]]) {
      expectFormatError(
        () => decodeSafetensors(cat(good, extra)),
        new RegExp(
          `offset ${good.length} must be the end of the file after the last tensor, "ids", got ${extra.length} more bytes`,
        ),
      );
    }
  });

  test('gaps (at the start or between tensors) and overlaps: FormatError naming the offset', () => {
    const f32 = (k: number) => new Uint8Array(4 * k);
    const lead = '{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expectFormatError(
      () => decodeSafetensors(build(lead, f32(2))),
      new RegExp(
        `offset ${8 + lead.length} must be the bytes of a tensor at data offset 0 .*gap of 4 bytes before tensor "x"`,
      ),
    );
    const mid =
      '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    expectFormatError(
      () => decodeSafetensors(build(mid, f32(3))),
      new RegExp(`offset ${8 + mid.length + 4} must be .*the end of tensor "x".*gap of 4 bytes before tensor "y"`),
    );
    const empty = '{"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}';
    expectFormatError(() => decodeSafetensors(build(empty, f32(1))), /got 4 more bytes/);
    expectFormatError(() => decodeSafetensors(build('{}', f32(1))), /after the header of a file with no tensors/);
    // Tiling in any order of the entries, zero-size tensors anywhere: accepted.
    const ok =
      '{"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},' +
      '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0,5],"data_offsets":[8,8]}}';
    const t = decodeSafetensors(build(ok, Uint8Array.of(0, 0, 0x80, 0x3f, 5, 0, 0, 0))).tensors;
    expect([t.a!.data[0], t.b!.data[0], t.z!.data.length, t.e!.shape]).toEqual([1, 5, 0, [0, 5]]);
  });

  test('a key twice (JSON.parse would keep the last): FormatError at the second one', () => {
    const x = '"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    const top = `{${x},${x}}`;
    expectFormatError(
      () => decodeSafetensors(build(top, new Uint8Array(4))),
      new RegExp(`offset ${8 + x.length + 2} must be a key used once in the header, got "x" again`),
    );
    // The same key spelt with an escape is the same key.
    expectFormatError(
      () => decodeSafetensors(build(`{${x},${x.replace('"x"', '"\\u0078"')}}`, new Uint8Array(4))),
      /a key used once in the header, got "x" again/,
    );
    expectFormatError(
      () =>
        decodeSafetensors(
          build('{"x":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)),
        ),
      /offset 28 must be a key used once in the entry "x", got "dtype" again/,
    );
    expectFormatError(
      () => decodeSafetensors(build('{"__metadata__":{"k":"a","k":"b"}}', new Uint8Array(0))),
      /a key used once in the entry "__metadata__", got "k" again/,
    );
    // Distinct keys that JSON.parse treats specially are still distinct.
    const special = decodeSafetensors(build('{"__metadata__":{"__proto__":"p","constructor":"c"}}', new Uint8Array(0)));
    expect(special.metadata).toEqual(JSON.parse('{"__proto__":"p","constructor":"c"}'));
  });

  test('shape and data_offsets must be unsigned integer literals; the element count a safe integer', () => {
    for (const [shape, offsets] of [
      ['[1.0]', '[0,4]'],
      ['[1e0]', '[0,4]'],
      ['[-0,1]', '[0,0]'],
      ['[1]', '[0,4.0]'],
      ['[1]', '[-0,4]'],
    ]) {
      const h = `{"x":{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}}`;
      expectFormatError(
        () => decodeSafetensors(build(h, new Uint8Array(offsets === '[0,0]' ? 0 : 4))),
        /an unsigned integer literal in "(shape|data_offsets)"/,
        h,
      );
    }
    const big = `{"x":{"dtype":"F32","shape":[${2 ** 40},${2 ** 40},0],"data_offsets":[0,0]}}`;
    expectFormatError(() => decodeSafetensors(build(big, new Uint8Array(0))), /element count is a safe integer/);
    const huge = `{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}`;
    expectFormatError(() => decodeSafetensors(build(huge, new Uint8Array(4))), /data_offsets \[begin, end\]/);
  });

  test('a UTF-8 byte-order mark before the header is refused (the header must start with "{")', () => {
    const b = build('\ufeff{}', new Uint8Array(0));
    expectFormatError(() => decodeSafetensors(b), /starting with '\{'/);
  });

  test('input that is a view into a larger buffer: each tensor owns exactly its bytes', () => {
    const big = new Uint8Array(good.length + 64).fill(0xab);
    big.set(good, 24);
    const got = decodeSafetensors(big.subarray(24, 24 + good.length));
    sameSafetensors(decodeSafetensors(good), got);
    for (const t of Object.values(got.tensors)) expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
  });

  test('canonical files round-trip byte for byte; encode refuses a metadata key twice', () => {
    expect(Array.from(reencode(decodeSafetensors(good)))).toEqual(Array.from(good));
    const e = thrown(() =>
      encodeSafetensors({}, [
        ['k', 'a'],
        ['k', 'b'],
      ] as never),
    );
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/metadata keys must be unique, got "k" twice/);
  });

  test('fuzz: mutated files are a FormatError or decode to tensors that re-encode and decode the same', () => {
    const next = rng(7);
    let accepted = 0;
    for (let c = 0; c < 3000; c++) {
      const b = good.slice();
      if (c % 4 === 0) {
        // The header length off by a little (alone: the rest of the file is good).
        new DataView(b.buffer).setBigUint64(0, BigInt(n + (next() % 17) - 8), true);
      } else {
        const k = 1 + (next() % 3);
        for (let j = 0; j < k; j++) {
          // Mostly the length and the header, where the structure is.
          const at = next() % 4 === 0 ? next() % b.length : next() % (8 + n);
          b[at] = next() % 4 === 0 ? next() & 0xff : b[at]! ^ (1 << (next() % 8));
        }
      }
      let s: Safetensors;
      try {
        s = decodeSafetensors(b);
      } catch (err) {
        expect(err, `case ${c}: ${(err as Error).message}`).toBeInstanceOf(FormatError);
        continue;
      }
      accepted++;
      // The tensors cover the data section exactly (a shifted header length would leave a byte over).
      const size = { F32: 4, I32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };
      const header = Number(new DataView(b.buffer).getBigUint64(0, true));
      const covered = Object.values(s.tensors).reduce((a, t) => a + t.data.length * size[t.stored], 0);
      expect(covered, `case ${c}`).toBe(b.length - 8 - header);
      sameSafetensors(s, decodeSafetensors(reencode(s)));
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('.vec: header counts, rows, words as bytes', () => {
  test('header counts the file cannot hold: FormatError before any allocation (not RangeError)', () => {
    const counts = ['1 4294967296', '2147483648 1', '4294967296 1', '4294967296 0', '1000000000 1000'];
    counts.push(`${2 ** 53} 1`, '9223372036854775808 1', '1 9223372036854775808', '99999999999999999999 3');
    for (const h of counts) {
      expectFormatError(() => readVec(`${h}\na 1\n`), /readVec: bytes at offset 0 must be a header line/, h);
    }
    expectFormatError(
      () => readVec('4294967296 1\na 1\n'),
      /whose 4294967296 rows of a word and 1 numbers fit in the 4 bytes after it/,
    );
    for (const h of ['-1 2', '1 -2', '1 2 3', '1', '0x10 1', '1e3 1', '+1 1', '1.0 1'])
      expectFormatError(() => readVec(`${h}\na 1 2\n`), /offset 0 must be a header line/, h);
  });

  /** A canonical file (what writeVec writes), its words with a Unicode space, values with NaN and -inf. */
  const canonicalVec = () =>
    writeVec({
      words: ['the', 'café', 'a\u00a0b'],
      dim: 2,
      data: Float32Array.of(1, -2, 0.5, 3, NaN, -Infinity),
    });

  test('truncated at every byte: a FormatError, or a prefix that is still a whole file', () => {
    const canonical = canonicalVec();
    for (let k = 0; k < canonical.length; k++) {
      const b = canonical.subarray(0, k);
      // A cut in the last number of the last row, or just before its newline, is a shorter valid row.
      const lastRow = canonical.lastIndexOf(0x20) + 1;
      if (k > lastRow) continue;
      expectFormatError(() => readVec(b), undefined, `truncated to ${k}`);
    }
  });

  test('rows: wrong count, non-numbers (also bytes Number() would skip), float32 overflow, NUL, duplicates', () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ['1 2\na 1\n', /offset 4 must be line 2: a word and 2 numbers, got 1 numbers/],
      ['1 2\na 1 2 3\n', /got 3 numbers/],
      ['1 1\na 1_0\n', /offset 6 must be line 2: a number, got "1_0"/],
      [cat(ascii('1 1\na '), [0xa0], ascii('1\n')), /offset 6 must be line 2: a number/],
      ['1 1\na 1\u00002\n', /line 2: a number/],
      ['1 1\na Infinityx\n', /line 2: a number/],
      ['1 1\na 0x1p3\n', /line 2: a number/],
      ['1 1\na 1e39\n', /offset 6 must be line 2: a number within the float32 range \(or inf\), got 1e39/],
      ['1 1\na -3.5e38\n', /float32 range/],
      [cat(ascii('1 1\na'), [0], ascii('b 1\n')), /offset 5 must be line 2: a word without NUL bytes/],
      ['3 1\na 1\nb 2\na 3\n', /offset 12 must be line 4: a word not given before, got "a", the word of line 2/],
    ];
    for (const [input, pattern] of cases) expectFormatError(() => readVec(input), pattern, String(input));
    // What native tools print for special values is read, and written back the same way.
    const special = readVec('1 6\nx inf -inf nan -nan Infinity 1e-50\n');
    expect(Array.from(special.data)).toEqual([Infinity, -Infinity, NaN, NaN, Infinity, 0]);
    expect(new TextDecoder().decode(writeVec(special))).toBe('1 6\nx inf -inf nan nan inf 0\n');
  });

  test('Latin-1 (not UTF-8) words stay distinct and round-trip byte for byte', () => {
    const file = cat(ascii('3 1\ncaf'), [0xe9], ascii(' 1\ncaf'), [0xe8], ascii(' 2\n'), [0xff, 0xfe], ascii(' 3\n'));
    const wv = readVec(file);
    expect(new Set(wv.words).size).toBe(3);
    expect(wv.words[0]).toBe('caf\udce9');
    expect(Array.from(writeVec(wv))).toEqual(Array.from(file));
    // A string input is the same file (its escapes are the bytes).
    sameTable(wv, readVec(String.fromCharCode(...ascii('3 1\n')) + wv.words.map((w, i) => `${w} ${i + 1}\n`).join('')));
  });

  test('the writer refuses what the reader refuses, and accepts the rest (Unicode spaces are word bytes)', () => {
    const w = (words: string[]) => () => writeVec({ words, dim: 0, data: new Float32Array(0) });
    for (const bad of [['a\tb'], ['a\vb'], ['a\rb'], ['a\0b'], [''], ['a', 'a'], ['\ud800'], ['\udcc3\udca9']]) {
      const e = thrown(w(bad));
      expect(e, JSON.stringify(bad)).toBeInstanceOf(ArgumentError);
    }
    // A word the reader would not give back (here a leading U+FEFF, which TextDecoder drops) is refused.
    for (const word of ['\ufeffz', 'z\udc80\ufeff']) {
      const one = { words: [word], dim: 0, data: new Float32Array(0) };
      for (const [write, read] of [
        [writeVec, readVec],
        [writeWord2VecBin, readWord2VecBin],
      ] as const) {
        let out: Uint8Array;
        try {
          out = write(one);
        } catch (e) {
          expect(e, JSON.stringify(word)).toBeInstanceOf(ArgumentError);
          continue;
        }
        sameTable(one, read(out));
      }
    }
    const words = ['a\u00a0b', '\u3000', 'x\u2028y', 'z\ufeff', 'caf\udce9', '😀'];
    const wv = { words, dim: 1, data: Float32Array.of(1, 2, 3, 4, 5, 6) };
    const bytes = writeVec(wv);
    sameTable(wv, readVec(bytes));
    expect(Array.from(writeVec(readVec(bytes)))).toEqual(Array.from(bytes));
  });

  test('fuzz: whatever the reader accepts, the writer writes, and that file reads back and writes identically', () => {
    const canonical = canonicalVec();
    const next = rng(11);
    const alphabet = [0x20, 0x0a, 0x09, 0x0d, 0x00, 0x30, 0x31, 0x2e, 0x2d, 0x65, 0x61, 0xe9, 0xc3, 0xa9, 0x6e, 0x69];
    let accepted = 0;
    for (let c = 0; c < 3000; c++) {
      const b = canonical.slice();
      const k = 1 + (next() % 3);
      for (let j = 0; j < k; j++) b[next() % b.length] = alphabet[next() % alphabet.length]!;
      let wv: WordVectorTable;
      try {
        wv = readVec(b);
      } catch (err) {
        expect(err, `case ${c}: ${(err as Error).message}`).toBeInstanceOf(FormatError);
        continue;
      }
      accepted++;
      const out = writeVec(wv);
      sameTable(wv, readVec(out));
      expect(Array.from(writeVec(readVec(out)))).toEqual(Array.from(out));
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('word2vec .bin: header counts, words as bytes, bit-exact values', () => {
  const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
  const good = writeWord2VecBin({ words: ['ab', 'c\u00e9'], dim: 2, data: Float32Array.of(1, 2, 3, 4) });

  test('header counts the file cannot hold or that are not safe integers: FormatError (not RangeError)', () => {
    const counts = ['4294967296 0', '2147483648 0', '1000 0', '1 4294967296', '0 99999999999999999999'];
    counts.push(`${2 ** 53} 1`, '9223372036854775808 0', '1 9223372036854775808', `0 ${2 ** 53}`);
    for (const h of counts)
      expectFormatError(() => readWord2VecBin(cat(ascii(`${h}\nab `), f32(1))), /offset 0 must be/, h);
    expectFormatError(
      () => readWord2VecBin(cat(ascii('4294967296 0\nab '))),
      /4294967296 vectors of 0 float32, got a file of only 16 bytes/,
    );
    expectFormatError(
      () => readWord2VecBin(cat(ascii('1 1'), new Uint8Array(200).fill(0x20), ascii('\n'))),
      /at most 80 bytes/,
    );
    expectFormatError(
      () => readWord2VecBin(cat([0xa0], ascii('1 1\nab '), f32(1))),
      /a header line "<count> <dim>", got/,
    );
  });

  test('truncated at every byte: FormatError', () => {
    // The last newline is optional, so only the cuts before it.
    for (let k = 0; k < good.length - 1; k++)
      expectFormatError(() => readWord2VecBin(good.subarray(0, k)), undefined, `truncated to ${k}`);
  });

  test('words: empty, with a newline, CR or NUL inside, or twice: FormatError; the writer refuses the same', () => {
    const cases: [Uint8Array, RegExp][] = [
      [
        cat(ascii('1 1\na\rb '), f32(1)),
        /offset 5 must be word 0: a word without newline, CR or NUL bytes, got the byte 13/,
      ],
      [cat(ascii('1 1\na'), [0], ascii('b '), f32(1)), /offset 5 must be word 0: a word without newline, CR or NUL/],
      [
        cat(ascii('2 1\nab '), f32(1), ascii('\nab '), f32(2)),
        /offset 12 must be word 1: a word not given before, got "ab", word 0 again/,
      ],
      [cat(ascii('1 1\n\n '), f32(1)), /word 0: a non-empty word, got an empty word/],
    ];
    for (const [input, pattern] of cases) expectFormatError(() => readWord2VecBin(input), pattern);
    for (const bad of [['a b'], ['a\nb'], ['\rab'], ['a\rb'], ['a\0'], [''], ['x', 'x'], ['\udfff']]) {
      const e = thrown(() => writeWord2VecBin({ words: bad, dim: 0, data: new Float32Array(0) }));
      expect(e, JSON.stringify(bad)).toBeInstanceOf(ArgumentError);
    }
    // Tabs and Unicode spaces are word bytes for both.
    const wv = { words: ['a\tb', 'c\u00a0d'], dim: 1, data: Float32Array.of(1, 2) };
    sameTable(wv, readWord2VecBin(writeWord2VecBin(wv)));
  });

  test('Latin-1 words stay distinct and round-trip byte for byte; NaN payloads at unaligned offsets are kept', () => {
    const nan = new Uint8Array(Uint32Array.of(0x7f800001, 0xffc12345).buffer); // a signalling NaN, a negative one
    const full = cat(ascii('3 2\ncaf'), [0xe9, 0x20], nan, [0x0a], ascii('caf'), [0xe8, 0x20], f32(1, 2), [0x0a]);
    const withLast = cat(full, [0xff, 0x20], f32(3, 4), [0x0a]);
    const wv = readWord2VecBin(withLast);
    expect(wv.words).toEqual(['caf\udce9', 'caf\udce8', '\udcff']);
    expect(bits(wv.data).slice(0, 2)).toEqual([0x7f800001, 0xffc12345]);
    expect(Array.from(writeWord2VecBin(wv))).toEqual(Array.from(withLast));
  });

  test('fuzz: whatever the reader accepts, the writer writes, and that file reads back and writes identically', () => {
    const next = rng(13);
    let accepted = 0;
    for (let c = 0; c < 3000; c++) {
      const b = good.slice();
      const k = 1 + (next() % 3);
      for (let j = 0; j < k; j++)
        b[next() % b.length] = next() % 3 === 0 ? [0x20, 0x0a, 0x0d, 0, 0x32][next() % 5]! : next() & 0xff;
      let wv: WordVectorTable;
      try {
        wv = readWord2VecBin(b);
      } catch (err) {
        expect(err, `case ${c}: ${(err as Error).message}`).toBeInstanceOf(FormatError);
        continue;
      }
      accepted++;
      const out = writeWord2VecBin(wv);
      sameTable(wv, readWord2VecBin(out));
      expect(Array.from(writeWord2VecBin(readWord2VecBin(out)))).toEqual(Array.from(out));
    }
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('every reader takes an ArrayBuffer as it takes a Uint8Array, and refuses anything else typed', () => {
  const table: WordVectorTable = { words: ['a', 'b'], dim: 2, data: new Float32Array([1, 2, 3, 4]) };
  const fastText = writeFastTextBin({
    args: {
      dim: 2,
      ws: 5,
      epoch: 1,
      minCount: 1,
      neg: 5,
      wordNgrams: 1,
      loss: 'softmax',
      model: 'sup',
      bucket: 0,
      minn: 0,
      maxn: 0,
      lrUpdateRate: 100,
      t: 1e-4,
    },
    words: [
      { word: 'w', count: 1, type: 'word' },
      { word: '__label__x', count: 1, type: 'label' },
    ],
    ntokens: 2,
    pruneIdxSize: -1,
    input: { rows: 1, cols: 2, data: new Float32Array([1, 2]) },
    output: { rows: 1, cols: 2, data: new Float32Array([3, 4]) },
  });
  const readers: [string, (b: never) => unknown, Uint8Array][] = [
    ['decodeSafetensors', decodeSafetensors, encodeSafetensors({ x: { shape: [2], data: new Float32Array([1, 2]) } })],
    ['readVec', readVec, writeVec(table)],
    ['readWord2VecBin', readWord2VecBin, writeWord2VecBin(table)],
    ['readFastTextBin', readFastTextBin, fastText],
  ];
  test.each(readers)('%s', (name, read, bytes) => {
    // an ArrayBuffer holding exactly the file, and the bytes at an odd offset of a larger buffer
    const whole = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(read(whole as never)).toEqual(read(bytes as never));
    expect(read(padded.subarray(3) as never)).toEqual(read(bytes as never));
    for (const bad of [null, 7, [1, 2], new DataView(whole)]) {
      expect(() => read(bad as never)).toThrow(ArgumentError);
      expect(() => read(bad as never)).toThrow(new RegExp(`^${name}: .*must be a Uint8Array or an ArrayBuffer, got`));
    }
  });
});
