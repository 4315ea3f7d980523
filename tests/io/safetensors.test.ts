import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { ArgumentError, FormatError, ShapeError } from '../../src/core/errors.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';

beforeAll(async () => {
  await initForTests();
});

const enc = new TextEncoder();

/** A file from the spec: u64 LE header length, the header text (padded with spaces to `pad`), the data. */
function build(header: string, data: Uint8Array, options: { length?: bigint; pad?: number } = {}): Uint8Array {
  const h = enc.encode(header);
  const padded = Math.ceil(h.length / (options.pad ?? 1)) * (options.pad ?? 1);
  const out = new Uint8Array(8 + padded + data.length);
  new DataView(out.buffer).setBigUint64(0, options.length ?? BigInt(padded), true);
  out.set(h, 8);
  out.fill(0x20, 8 + h.length, 8 + padded);
  out.set(data, 8 + padded);
  return out;
}

function expectFormatError(f: () => unknown, offset: number, what: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(FormatError);
  const msg = (err as Error).message;
  expect(msg).toContain(`decodeSafetensors: bytes at offset ${offset} must be`);
  expect(msg).toMatch(what);
}

describe('round trips', () => {
  test('F32 and I32 of several shapes, empty tensors, scalars and metadata', () => {
    const tensors = {
      'encoder.layer.0.attention.self.query.weight': { shape: [3, 5], data: seeded(15, 1) },
      'encoder.layer.0.attention.self.query.bias': { shape: [5], data: seeded(5, 2) },
      ids: { shape: [2, 2], data: Int32Array.from([-2147483648, 2147483647, 0, -1]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
      empty_i32: { shape: [3, 0], data: new Int32Array(0) },
      scalar: { shape: [], data: Float32Array.of(-0) },
      special: { shape: [4], data: Float32Array.of(NaN, Infinity, -Infinity, 1e-45) },
      'ünïcödé 🙂': { shape: [1], data: Float32Array.of(3) },
    };
    const metadata = { format: 'pt', config: '{"dim":4}', '': 'empty key' };
    const bytes = encodeSafetensors(tensors, metadata);
    const { tensors: got, metadata: meta } = decodeSafetensors(bytes);
    expect(meta).toEqual(metadata);
    expect(Object.keys(got).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const g = got[name]!;
      expect(g.shape, name).toEqual(t.shape);
      expect(g.dtype).toBe(t.data instanceof Int32Array ? 'I32' : 'F32');
      expect(g.stored).toBe(g.dtype);
      expectSameBits(g.data, t.data);
    }
    // The data starts at a multiple of 8; F32 tensors come first, then I32, each by name (Hugging Face's order).
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
      string,
      { data_offsets: number[] }
    >;
    expect(Object.keys(header)).toEqual([
      '__metadata__',
      'empty',
      'encoder.layer.0.attention.self.query.bias',
      'encoder.layer.0.attention.self.query.weight',
      'scalar',
      'special',
      'ünïcödé 🙂',
      'empty_i32',
      'ids',
    ]);
    expect(header.ids!.data_offsets).toEqual([104, 120]); // after 20 + 60 + 4 + 16 + 4 bytes of F32
  });

  test('Tensors, Parameters and Maps as input; no metadata gives {}; the decoded arrays do not alias the bytes', () => {
    tidy(() => {
      const w = Tensor.fromArray(seeded(6, 3), [2, 3]);
      const i = Tensor.fromArray(Int32Array.from([4, 5]), [2]);
      const p = new Parameter(Tensor.fromArray([5, 6], [1, 2]));
      const bytes = encodeSafetensors(
        new Map<string, Tensor | Parameter>([
          ['w', w],
          ['i', i],
          ['p', p],
        ]),
      );
      const out = decodeSafetensors(bytes);
      expect(out.metadata).toEqual({});
      expectSameBits(out.tensors.w!.data, w.toArray());
      expect(out.tensors.w!.shape).toEqual([2, 3]);
      expectSameBits(out.tensors.i!.data, i.toArray() as Int32Array);
      expect([out.tensors.p!.shape, Array.from(out.tensors.p!.data)]).toEqual([
        [1, 2],
        [5, 6],
      ]);
      bytes.fill(0);
      expectSameBits(out.tensors.w!.data, w.toArray());
    });
  });

  test('exact bytes of a small file: header text, space padding, offsets', () => {
    const bytes = encodeSafetensors(
      { b: { shape: [2], data: Float32Array.of(1, 2) }, a: { dtype: 'I32', shape: [], data: Int32Array.of(7) } },
      { format: 'pt' },
    );
    // F32 before I32 (Hugging Face sorts by dtype alignment, descending, then by name).
    const header =
      '{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}';
    const data = new Uint8Array(12);
    const dv = new DataView(data.buffer);
    dv.setFloat32(0, 1, true);
    dv.setFloat32(4, 2, true);
    dv.setInt32(8, 7, true);
    expect(Array.from(bytes)).toEqual(Array.from(build(header, data, { pad: 8 })));
    // No tensors, no metadata: "{}" and six spaces.
    expect(Array.from(encodeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]);
  });

  test('a file whose input bytes are not 4-aligned in their buffer', () => {
    const inner = encodeSafetensors({ x: { shape: [3], data: Float32Array.of(1.5, -2, 3) } });
    const shifted = new Uint8Array(inner.length + 3);
    shifted.set(inner, 3);
    expect(Array.from(decodeSafetensors(shifted.subarray(3)).tensors.x!.data)).toEqual([1.5, -2, 3]);
  });
});

describe('a hand-built fixture with every dtype we read', () => {
  // Data section, laid out in an order other than the names' (the reader follows data_offsets):
  //   [0, 24)  d  I64  [3]
  //   [24, 40) a  F16  [2, 4]
  //   [40, 46) b  BF16 [3]
  //   [46, 62) c  F64  [2]   (not 8-aligned in the file)
  //   [62, 66) e  F32  []
  //   [66, 66) f  I32  [0]
  //   [66, 74) g  I32  [2]
  const data = new Uint8Array(74);
  const dv = new DataView(data.buffer);
  [-1n, 2147483647n, -2147483648n].forEach((v, i) => dv.setBigInt64(8 * i, v, true));
  // 1, -2, 0.5, 65504 (max half), 2^-24 (smallest subnormal), -0, +inf, NaN
  [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00].forEach((h, i) => dv.setUint16(24 + 2 * i, h, true));
  // 1, -3, 3.140625
  [0x3f80, 0xc040, 0x4049].forEach((h, i) => dv.setUint16(40 + 2 * i, h, true));
  dv.setFloat64(46, 0.1, true);
  dv.setFloat64(54, -1 / 3, true);
  dv.setFloat32(62, 2.5, true);
  dv.setInt32(66, 42, true);
  dv.setInt32(70, -7, true);
  const header = JSON.stringify({
    a: { dtype: 'F16', shape: [2, 4], data_offsets: [24, 40] },
    b: { dtype: 'BF16', shape: [3], data_offsets: [40, 46] },
    c: { dtype: 'F64', shape: [2], data_offsets: [46, 62] },
    d: { dtype: 'I64', shape: [3], data_offsets: [0, 24] },
    e: { dtype: 'F32', shape: [], data_offsets: [62, 66] },
    f: { dtype: 'I32', shape: [0], data_offsets: [66, 66] },
    g: { dtype: 'I32', shape: [2], data_offsets: [66, 74] },
    __metadata__: { source: 'hand-built' },
  });

  test('decodes to the expected values (F16, BF16, F64 -> float32; I64 -> int32)', () => {
    const { tensors: t, metadata } = decodeSafetensors(build(header, data));
    expect(metadata).toEqual({ source: 'hand-built' });
    expect(t.a!.dtype).toBe('F32');
    expect(t.a!.stored).toBe('F16');
    expect(t.a!.shape).toEqual([2, 4]);
    const a = Array.from(t.a!.data);
    expect(a.slice(0, 7)).toEqual([1, -2, 0.5, 65504, 2 ** -24, -0, Infinity]);
    expect(Object.is(a[5], -0)).toBe(true);
    expect(a[7]).toBeNaN();
    expect([t.b!.dtype, t.b!.stored, ...t.b!.data]).toEqual(['F32', 'BF16', 1, -3, 3.140625]);
    expect([t.c!.dtype, t.c!.stored, ...t.c!.data]).toEqual(['F32', 'F64', Math.fround(0.1), Math.fround(-1 / 3)]);
    expect([t.d!.dtype, t.d!.stored, ...t.d!.data]).toEqual(['I32', 'I64', -1, 2147483647, -2147483648]);
    expect(t.d!.data).toBeInstanceOf(Int32Array);
    expect([t.e!.shape, ...t.e!.data]).toEqual([[], 2.5]);
    expect([t.f!.shape, t.f!.data.length, t.f!.data instanceof Int32Array]).toEqual([[0], 0, true]);
    expect(Array.from(t.g!.data)).toEqual([42, -7]);
  });

  test('every one of the 65536 F16 and BF16 bit patterns converts exactly', () => {
    const data = new Uint8Array(2 * 65536);
    const dv = new DataView(data.buffer);
    for (let h = 0; h < 65536; h++) dv.setUint16(2 * h, h, true);
    const one = (dtype: string) =>
      decodeSafetensors(build(`{"x":{"dtype":"${dtype}","shape":[65536],"data_offsets":[0,131072]}}`, data)).tensors.x!
        .data as Float32Array;
    const f16 = one('F16');
    const bf16 = one('BF16');
    const f16Bits = new Uint32Array(f16.buffer);
    const bf16Bits = new Uint32Array(bf16.buffer);
    for (let h = 0; h < 65536; h++) {
      const sign = (h & 0x8000) << 16;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      // Independent of the reader's arithmetic: float32 bits by field, subnormals normalised by shifting.
      let want: number;
      if (exp === 31) want = frac === 0 ? (sign | 0x7f800000) >>> 0 : -1;
      else if (exp !== 0) want = (sign | ((exp - 15 + 127) << 23) | (frac << 13)) >>> 0;
      else if (frac === 0) want = sign >>> 0;
      else {
        let e = -14;
        let f = frac;
        while ((f & 0x400) === 0) {
          f <<= 1;
          e--;
        }
        want = (sign | ((e + 127) << 23) | ((f & 0x3ff) << 13)) >>> 0;
      }
      if (want === -1) expect(Number.isNaN(f16[h]), `F16 ${h.toString(16)}`).toBe(true);
      else if (f16Bits[h] !== want)
        expect.fail(`F16 0x${h.toString(16)}: got bits 0x${f16Bits[h]!.toString(16)}, want 0x${want.toString(16)}`);
      if (bf16Bits[h] !== (h << 16) >>> 0)
        expect.fail(`BF16 0x${h.toString(16)}: got bits 0x${bf16Bits[h]!.toString(16)}`);
    }
  });

  test('padded header (spaces after the JSON) and trailing padding are accepted', () => {
    expect(decodeSafetensors(build(header, data, { pad: 8 })).tensors.g!.data[1]).toBe(-7);
  });
});

describe('malformed input: FormatError with the byte offset and what was expected', () => {
  const good = encodeSafetensors({
    a: { shape: [2], data: Float32Array.of(1, 2) },
    b: { shape: [1], data: Float32Array.of(3) },
  });
  const f32 = (k: number) => new Uint8Array(4 * k);

  test('fewer than 8 bytes', () => {
    expectFormatError(
      () => decodeSafetensors(new Uint8Array(5)),
      0,
      /8-byte little-endian header length, got end of data \(5 bytes\)/,
    );
  });
  test('header length past the end (truncated header)', () => {
    expectFormatError(
      () => decodeSafetensors(good.subarray(0, 20)),
      0,
      /header length of at most 12 .* got \d+, past the end/,
    );
    expectFormatError(
      () => decodeSafetensors(build('{}', new Uint8Array(0), { length: 2n ** 63n })),
      0,
      /got 9223372036854775808/,
    );
  });
  test('bad JSON, a header that is not an object, invalid UTF-8', () => {
    expectFormatError(
      () => decodeSafetensors(build('{"a": {', new Uint8Array(0))),
      8,
      /JSON object header of 7 bytes, got invalid JSON/,
    );
    expectFormatError(() => decodeSafetensors(build('[1, 2]', new Uint8Array(0))), 8, /starting with '\{'/);
    const bad = build('{"\u00e9":1}', new Uint8Array(0));
    bad[10] = 0xff;
    expectFormatError(() => decodeSafetensors(bad), 8, /UTF-8 JSON header of \d+ bytes, got invalid UTF-8/);
  });
  test('unknown dtype', () => {
    expectFormatError(
      () => decodeSafetensors(build('{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1))),
      8,
      /tensor "x" with a dtype we read \(F32, I32, F16, BF16, F64, I64\), got "U8"/,
    );
  });
  test('bad shape, bad data_offsets, bad entry, bad metadata', () => {
    expectFormatError(
      () => decodeSafetensors(build('{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', f32(1))),
      8,
      /shape of non-negative integers, got \[-1\]/,
    );
    expectFormatError(
      () => decodeSafetensors(build('{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', f32(1))),
      8,
      /0 <= begin <= end/,
    );
    expectFormatError(
      () => decodeSafetensors(build('{"x":{"dtype":"F32","shape":[1]}}', f32(1))),
      8,
      /data_offsets \[begin, end\].*got undefined/,
    );
    expectFormatError(
      () => decodeSafetensors(build('{"x":3}', f32(1))),
      8,
      /tensor "x" as \{ dtype, shape, data_offsets \}, got 3/,
    );
    expectFormatError(
      () => decodeSafetensors(build('{"__metadata__":{"k":1}}', f32(0))),
      8,
      /"__metadata__" as an object of strings, got 1 for key "k"/,
    );
  });
  test('offsets out of range (a truncated data section)', () => {
    expectFormatError(
      () => decodeSafetensors(good.subarray(0, good.length - 2)),
      8,
      /tensor "b" with data_offsets within the 10-byte data section .*got \[8, 12\]/,
    );
    expectFormatError(
      () => decodeSafetensors(build('{"x":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', f32(2))),
      8,
      /within the 8-byte data section/,
    );
  });
  test('overlapping tensors', () => {
    const h =
      '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    const bytes = build(h, f32(3));
    expectFormatError(
      () => decodeSafetensors(bytes),
      8 + enc.encode(h).length + 4,
      /tensor "y" alone .* got an overlap with tensor "x" \(data_offsets \[0, 8\]\)/,
    );
  });
  test('byte length != shape x dtype size', () => {
    const h = '{"x":{"dtype":"F32","shape":[2,3],"data_offsets":[4,24]}}';
    expectFormatError(
      () => decodeSafetensors(build(h, f32(6))),
      8 + h.length + 4,
      /24 bytes for tensor "x" \(F32 \[2, 3\]\), got 20 bytes \(data_offsets \[4, 24\]\)/,
    );
    const h16 = '{"x":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}}';
    expectFormatError(
      () => decodeSafetensors(build(h16, f32(1))),
      8 + h16.length,
      /6 bytes for tensor "x" \(BF16 \[3\]\), got 4 bytes/,
    );
  });
  test('an I64 value outside int32', () => {
    const h = '{"x":{"dtype":"I64","shape":[3],"data_offsets":[0,24]}}';
    const d = new Uint8Array(24);
    const dv = new DataView(d.buffer);
    dv.setBigInt64(0, 5n, true);
    dv.setBigInt64(8, 2147483648n, true);
    expectFormatError(
      () => decodeSafetensors(build(h, d)),
      8 + h.length + 8,
      /I64 value in the int32 range \(tensor "x" element 1\), got 2147483648/,
    );
    dv.setBigInt64(8, -2147483649n, true);
    expectFormatError(() => decodeSafetensors(build(h, d)), 8 + h.length + 8, /got -2147483649/);
  });
  test('gaps and trailing bytes are refused, as Hugging Face refuses them', () => {
    const h = '{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    const d = new Uint8Array(16);
    new DataView(d.buffer).setFloat32(4, 9, true);
    expectFormatError(() => decodeSafetensors(build(h, d)), 8 + h.length, /no gaps.*gap of 4 bytes before tensor "x"/);
  });
});

describe('encode errors', () => {
  test('reserved or repeated names, shape and dtype mismatches, non-string metadata', () => {
    expect(() => encodeSafetensors({ __metadata__: { shape: [1], data: Float32Array.of(1) } })).toThrow(
      /must not be "__metadata__"/,
    );
    expect(() =>
      encodeSafetensors([
        ['x', { shape: [1], data: Float32Array.of(1) }],
        ['x', { shape: [1], data: Float32Array.of(2) }],
      ]),
    ).toThrow(/unique, got "x" twice/);
    expect(() => encodeSafetensors({ x: { shape: [2, 2], data: Float32Array.of(1) } })).toThrow(ShapeError);
    expect(() => encodeSafetensors({ x: { shape: [1.5], data: Float32Array.of(1) } })).toThrow(ShapeError);
    expect(() => encodeSafetensors({ x: { dtype: 'I32', shape: [1], data: Float32Array.of(1) } })).toThrow(
      /dtype must be F32 for a Float32Array, got "I32"/,
    );
    expect(() => encodeSafetensors({ x: { shape: [1], data: [1] as never } })).toThrow(ArgumentError);
    expect(() => encodeSafetensors({}, { k: 1 as never })).toThrow(/metadata\["k"\] must be a string/);
    expect(() => decodeSafetensors([1, 2] as never)).toThrow(ArgumentError);
  });
});
