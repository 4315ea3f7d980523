// Philox4x32-10: the TypeScript generator (src/core/rng.ts) against the
// Random123 known answers, and the Wasm fills (assembly/rng.ts) against the
// TypeScript generator bit for bit, on long streams with awkward lengths.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { digest, expectClose } from '../helpers/assert.js';
import { boxMuller, chiSquareUniform, moments, philoxWords } from '../reference/rng.js';
import { Philox, philox4x32 } from '../../src/core/rng.js';
import { rt } from '../../src/core/runtime.js';
import { ArgumentError } from '../../src/core/errors.js';
import { Tensor } from '../../src/core/tensor.js';

beforeAll(async () => {
  await initForTests();
});

// ---------------------------------------------------------------- helpers

type Fill = 'u32' | 'uniform' | 'normal';

/** Raw kernel arguments: key words, stream, 64-bit counter split in words. */
interface FillArgs {
  key0: number;
  key1: number;
  stream: number;
  counterLo: number;
  counterHi: number;
  mean?: number;
  std?: number;
}

/** Kernel arguments for a (seed, stream, counter) as the TS Philox splits them. */
function argsOf(seed: number, stream: number, counter: number): FillArgs {
  return {
    key0: seed >>> 0,
    key1: Math.floor(seed / 2 ** 32) >>> 0,
    stream: stream >>> 0,
    counterLo: counter >>> 0,
    counterHi: Math.floor(counter / 2 ** 32) >>> 0,
  };
}

const SENTINEL = 0xdeadbeef;

/**
 * Run a Wasm fill of n elements into a fresh block of n + guard words that was
 * filled with SENTINEL, and return the bits of all n + guard words.
 */
function wasmFillBits(kind: Fill, n: number, a: FillArgs, guard = 0): Uint32Array {
  const r = rt('rng.test');
  const ptr = r.heap.alloc((n + guard) * 4);
  try {
    new Uint32Array(r.memory.buffer, ptr, n + guard).fill(SENTINEL);
    const { key0, key1, stream, counterLo, counterHi } = a;
    if (kind === 'u32') r.kernels.philox4x32_fill_u32(ptr, n, key0, key1, stream, counterLo, counterHi);
    else if (kind === 'uniform')
      r.kernels.philox4x32_fill_uniform_f32(ptr, n, key0, key1, stream, counterLo, counterHi);
    else
      r.kernels.philox4x32_fill_normal_f32(ptr, n, key0, key1, stream, counterLo, counterHi, a.mean ?? 0, a.std ?? 1);
    return new Uint32Array(r.memory.buffer, ptr, n + guard).slice();
  } finally {
    r.heap.free(ptr);
  }
}

const wasmU32 = (n: number, a: FillArgs) => wasmFillBits('u32', n, a);
const wasmUniform = (n: number, a: FillArgs) => new Float32Array(wasmFillBits('uniform', n, a).buffer);
const wasmNormal = (n: number, a: FillArgs) => new Float32Array(wasmFillBits('normal', n, a).buffer);

/** The bits of a Float32Array (so -0, NaN payloads and every ulp count). */
const bits = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

/** Exact equality of two word arrays; a failure names the first differing index and both words. */
function expectSameWords(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      expect.fail(
        `${what}: first difference at index ${i}: actual 0x${(actual[i]! >>> 0).toString(16)}, ` +
          `expected 0x${(expected[i]! >>> 0).toString(16)}`,
      );
    }
  }
}

const hex = (words: ArrayLike<number>) => Array.from(words, (w) => (w >>> 0).toString(16).padStart(8, '0'));

// ------------------------------------------------------------ known answers

// Random123 tests/kat_vectors (DEShawResearch/random123), the philox4x32 10 lines:
// counter c0..c3, key k0 k1 -> output words 0..3, all hex u32.
const KAT: {
  name: string;
  ctr: [number, number, number, number];
  key: [number, number];
  out: [number, number, number, number];
}[] = [
  { name: 'zeros', ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    name: 'all ones',
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    name: 'pi digits',
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

describe('Philox4x32-10 known-answer vectors (Random123 kat_vectors)', () => {
  for (const { name, ctr, key, out } of KAT) {
    test(`TS philox4x32, ${name}`, () => {
      const got = philox4x32(key[0], key[1], ctr[0], ctr[1], ctr[2], ctr[3]);
      expect(hex(got)).toEqual(hex(out));
    });
  }

  test('TS philox4x32 writes into out at the given index and leaves the rest alone', () => {
    const { ctr, key, out } = KAT[2]!;
    const buf = new Uint32Array(10).fill(7);
    const ret = philox4x32(key[0], key[1], ctr[0], ctr[1], ctr[2], ctr[3], buf, 5);
    expect(ret).toBe(buf);
    expect(hex(buf.subarray(5, 9))).toEqual(hex(out));
    expect(Array.from(buf.subarray(0, 5))).toEqual([7, 7, 7, 7, 7]);
    expect(buf[9]).toBe(7);
  });

  test('TS philox4x32 takes signed and out-of-range numbers as their low 32 bits', () => {
    const { out } = KAT[1]!;
    expect(hex(philox4x32(-1, -1, -1, -1, -1, -1))).toEqual(hex(out));
    expect(hex(philox4x32(2 ** 32, 2 ** 32, 0, 0, 0, 0))).toEqual(hex(KAT[0]!.out));
  });

  // The kernel's counter is (ctrLo, ctrHi, stream, 0): only KATs with c3 = 0 fit.
  test('Wasm philox4x32_fill_u32, zeros (n = 4, counter 0, stream 0, key 0)', () => {
    const got = wasmU32(4, { key0: 0, key1: 0, stream: 0, counterLo: 0, counterHi: 0 });
    expect(hex(got)).toEqual(hex(KAT[0]!.out));
  });

  test('Wasm block equals the KAT-checked TS block at the pi key with every counter word set but c3', () => {
    const [c0, c1, c2] = KAT[2]!.ctr;
    const [k0, k1] = KAT[2]!.key;
    const got = wasmU32(4, { key0: k0, key1: k1, stream: c2, counterLo: c0, counterHi: c1 });
    expect(hex(got)).toEqual(hex(philox4x32(k0, k1, c0, c1, c2, 0)));
    // And the TS block is not the KAT one (c3 matters), so this compares something else than the KAT.
    expect(hex(got)).not.toEqual(hex(KAT[2]!.out));
  });
});

// ------------------------------------------------------------- long streams

const N = 100_003; // odd, not a multiple of 4: the last block is cut

const STREAMS: { label: string; seed: number; stream: number; counter: number }[] = [
  { label: 'seed 0, stream 0, counter 0', seed: 0, stream: 0, counter: 0 },
  { label: 'seed 42, stream 7, counter 1000', seed: 42, stream: 7, counter: 1000 },
  { label: 'seed 2^32 + 5 (key1 = 1), stream 1', seed: 2 ** 32 + 5, stream: 1, counter: 123 },
  {
    label: 'seed 2^53 - 1, stream 2^32 - 1, counterLo carries into counterHi',
    seed: 2 ** 53 - 1,
    stream: 0xffffffff,
    counter: 0xffffffff - 10,
  },
  {
    label: 'seed 0x9e3779b97f4a, counterHi 5, carry to 6',
    seed: 0x9e3779b97f4a,
    stream: 3,
    counter: 5 * 2 ** 32 + 0xfffffff0,
  },
];

describe('Wasm fills = TS Philox, long streams of 100,003 elements', () => {
  for (const { label, seed, stream, counter } of STREAMS) {
    test(`fill_u32 = Philox.nextU32, ${label}`, () => {
      const expected = new Philox(seed, stream, counter).fillU32(new Uint32Array(N));
      expectSameWords(wasmU32(N, argsOf(seed, stream, counter)), expected, 'fill_u32');
    });

    test(`fill_uniform = Philox.nextFloat (exact f32), ${label}`, () => {
      const p = new Philox(seed, stream, counter);
      const expected = new Float32Array(N);
      for (let i = 0; i < N; i++) expected[i] = p.nextFloat();
      const got = wasmUniform(N, argsOf(seed, stream, counter));
      expectSameWords(bits(got), bits(expected), 'fill_uniform');
    });
  }

  test('the counterLo carry really happens inside the stream (blocks past it use counterHi + 1)', () => {
    const { seed, stream, counter } = STREAMS[3]!;
    const a = argsOf(seed, stream, counter);
    const got = wasmU32(64, a);
    // Block 11 has counter 2^32: words (0, 1, stream, 0).
    expect(hex(got.subarray(44, 48))).toEqual(hex(philox4x32(a.key0, a.key1, 0, 1, stream, 0)));
    expect(hex(got.subarray(40, 44))).toEqual(hex(philox4x32(a.key0, a.key1, 0xffffffff, 0, stream, 0)));
  });

  test('the 64-bit kernel counter wraps from 2^64 - 1 to 0', () => {
    const a: FillArgs = { key0: 11, key1: 22, stream: 33, counterLo: 0xfffffffe, counterHi: 0xffffffff };
    const got = wasmU32(4 * 5 + 3, a);
    expectSameWords(got, philoxWords(11, 22, 33, 0xfffffffe, 0xffffffff, 23), 'wrapping fill_u32');
    expect(hex(got.subarray(8, 12))).toEqual(hex(philox4x32(11, 22, 0, 0, 33, 0)));
  });

  test('Tensor.rand = Philox(seed, stream, 0).nextFloat, for 100,003 elements', () => {
    const seed = 2 ** 40 + 17;
    const t = Tensor.rand([N], { seed, stream: 9 });
    try {
      const p = new Philox(seed, 9, 0);
      const expected = new Float32Array(N);
      for (let i = 0; i < N; i++) expected[i] = p.nextFloat();
      expectSameWords(bits(t.toArray()), bits(expected), 'Tensor.rand');
    } finally {
      t.dispose();
    }
  });

  test('Tensor.rand of shape [7, 13, 11] is the flat row-major stream', () => {
    const t = Tensor.rand([7, 13, 11], { seed: 5 });
    try {
      expect(t.shape).toEqual([7, 13, 11]);
      const p = new Philox(5);
      const expected = Float32Array.from({ length: 1001 }, () => p.nextFloat());
      expectSameWords(bits(t.toArray()), bits(expected), 'Tensor.rand 3-d');
    } finally {
      t.dispose();
    }
  });

  test('uniform values lie in [0, 1) and are multiples of 2^-24', () => {
    const u = wasmUniform(N, argsOf(3, 0, 0));
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < u.length; i++) {
      const x = u[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
      if (!Number.isInteger(x * 2 ** 24)) expect.fail(`element ${i} = ${x} is not a multiple of 2^-24`);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(min).toBeLessThan(1e-3);
    expect(max).toBeGreaterThan(1 - 1e-3);
  });
});

// ------------------------------------------------------------- tails, prefixes

describe('fills of any length: tails equal the prefix of a longer fill, nothing written past n', () => {
  const a: FillArgs = { ...argsOf(2 ** 33 + 99, 4, 77), mean: 0.25, std: 2 };
  const LONG = 4096;
  const GUARD = 4;
  for (const kind of ['u32', 'uniform', 'normal'] as const) {
    const long = () => wasmFillBits(kind, LONG, a);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 9, 1001]) {
      test(`${kind}, n = ${n}`, () => {
        const got = wasmFillBits(kind, n, a, GUARD);
        expectSameWords(got.subarray(0, n), long().subarray(0, n), `${kind} prefix`);
        expectSameWords(got.subarray(n), new Uint32Array(GUARD).fill(SENTINEL), `${kind} guard words past n`);
      });
    }
  }
});

// ------------------------------------------------------------------- normals

describe('normal fill (Box-Muller in Wasm)', () => {
  const SAMPLES = 1_000_000;

  test('1e6 samples: finite, mean ~ 0, std ~ 1, skew ~ 0, excess kurtosis ~ 0, 68.3% within 1 sigma', () => {
    const t = Tensor.randn([SAMPLES], { seed: 2024 });
    const x = t.toArray();
    t.dispose();
    let within1 = 0;
    let maxAbs = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (!Number.isFinite(v)) expect.fail(`element ${i} is ${v}`);
      const a = Math.abs(v);
      if (a < 1) within1++;
      if (a > maxAbs) maxAbs = a;
    }
    const m = moments(x);
    // Standard errors at n = 1e6: mean 0.001, std 0.0007, skew 0.0025, kurtosis 0.005.
    expect(Math.abs(m.mean)).toBeLessThan(0.005);
    expect(Math.abs(m.std - 1)).toBeLessThan(0.004);
    expect(Math.abs(m.skew)).toBeLessThan(0.015);
    expect(Math.abs(m.exkurt)).toBeLessThan(0.03);
    expect(Math.abs(within1 / SAMPLES - 0.682689)).toBeLessThan(0.003);
    // u >= 2^-24, so |x| <= sqrt(-2 ln 2^-24) = 5.768...; and with 1e6 samples the tail is reached.
    expect(maxAbs).toBeLessThanOrEqual(5.77);
    expect(maxAbs).toBeGreaterThan(4);
  });

  test('= the float64 Box-Muller reference on the TS Philox words (10,003 samples, seed >= 2^32, stream, counter)', () => {
    const seed = 2 ** 45 + 3;
    const a = argsOf(seed, 12, 2 ** 33 + 7);
    const n = 10_003;
    const words = philoxWords(a.key0, a.key1, a.stream, a.counterLo, a.counterHi, Math.ceil(n / 4) * 4);
    expectClose(wasmNormal(n, a), boxMuller(words, n), { rtol: 1e-6, atol: 1e-7 });
    expectClose(wasmNormal(n, { ...a, mean: -2.5, std: 0.37 }), boxMuller(words, n, -2.5, 0.37), {
      rtol: 1e-6,
      atol: 1e-6,
    });
  });

  test('deterministic: the same seed gives identical bytes (digest)', async () => {
    const a = Tensor.randn([SAMPLES], { seed: 7, stream: 1 });
    const b = Tensor.randn([SAMPLES], { seed: 7, stream: 1 });
    const da = await digest(a.toArray());
    const db = await digest(b.toArray());
    a.dispose();
    b.dispose();
    expect(da).toBe(db);
    expect(da).toMatch(/^[0-9a-f]{64}$/);
  });

  // Cross-runtime identity of randn is checked live against Node by
  // tests/browser/bit-identical.test.ts (its inputs are randn tensors).

  test('different streams, seeds and counters give different, uncorrelated samples', async () => {
    const n = 100_000;
    const base = wasmNormal(n, argsOf(7, 0, 0));
    const others = [
      wasmNormal(n, argsOf(7, 1, 0)),
      wasmNormal(n, argsOf(8, 0, 0)),
      wasmNormal(n, argsOf(7, 0, 1)),
      wasmNormal(n, argsOf(7 + 2 ** 32, 0, 0)),
    ];
    const d0 = await digest(base);
    for (const o of others) {
      expect(await digest(o)).not.toBe(d0);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += base[i]! * o[i]!;
      // Correlation of independent standard normals: sd 1/sqrt(n) ~ 0.0032.
      expect(Math.abs(dot / n)).toBeLessThan(0.02);
    }
  });

  test('the counter selects blocks: counter c starts at element 4c of the counter-0 stream', () => {
    const full = wasmFillBits('normal', 400, argsOf(99, 2, 0));
    const shifted = wasmFillBits('normal', 399 - 40, argsOf(99, 2, 10));
    expectSameWords(shifted, full.subarray(40, 399), 'normal fill at counter 10');
  });

  test('mean and std are applied in f32 as mean + std * z, exactly', () => {
    const n = 1001;
    const z = Tensor.randn([n], { seed: 31 });
    const y = Tensor.randn([n], { seed: 31, mean: -2.5, std: 0.37 });
    const zs = z.toArray();
    const expected = Float32Array.from(zs, (v) => Math.fround(-2.5 + Math.fround(Math.fround(0.37) * v)));
    expectSameWords(bits(y.toArray()), bits(expected), 'randn mean/std');
    const m = moments(y.toArray());
    expect(m.mean).toBeCloseTo(-2.5, 1);
    expect(m.std).toBeCloseTo(0.37, 1);
    z.dispose();
    y.dispose();
  });

  test('std = 0 gives the mean everywhere', () => {
    const t = Tensor.randn([13], { seed: 1, mean: 4.5, std: 0 });
    expect(Array.from(t.toArray())).toEqual(new Array(13).fill(4.5));
    t.dispose();
  });

  test('Tensor.randn = the kernel at counter 0 with the seed split into key words', () => {
    const seed = 2 ** 50 + 12345;
    const t = Tensor.randn([1003], { seed, stream: 6 });
    expectSameWords(bits(t.toArray()), bits(wasmNormal(1003, argsOf(seed, 6, 0))), 'Tensor.randn');
    t.dispose();
  });
});

// --------------------------------------------------------------- Philox class

describe('Philox class', () => {
  test('word i is lane i % 4 of block counter + floor(i / 4), over the counterLo carry', () => {
    const seed = 2 ** 36 + 1;
    const c0 = 0xfffffffd;
    const p = new Philox(seed, 77, c0);
    expect(p.key0).toBe(1);
    expect(p.key1).toBe(16);
    const words = p.fillU32(new Uint32Array(4 * 6 + 2));
    for (let i = 0; i < words.length; i++) {
      const c = c0 + Math.floor(i / 4);
      const block = philox4x32(1, 16, c >>> 0, Math.floor(c / 2 ** 32), 77, 0);
      expect(words[i], `word ${i}`).toBe(block[i % 4]);
    }
  });

  test('counter advances by whole blocks; resuming from it continues at the next block', () => {
    const p = new Philox(9, 4, 100);
    expect(p.counter).toBe(100);
    for (let i = 0; i < 5; i++) p.nextU32();
    expect(p.counter).toBe(102);
    const fresh = new Philox(9, 4, 100).fillU32(new Uint32Array(12));
    expect(new Philox(9, 4, p.counter).nextU32()).toBe(fresh[8]);
    // The rest of the current block is still served before the next one.
    expect([p.nextU32(), p.nextU32(), p.nextU32(), p.nextU32()]).toEqual(Array.from(fresh.subarray(5, 9)));
  });

  test('fillU32 returns its argument and continues the stream', () => {
    const a = new Philox(3);
    const out = new Uint32Array(7);
    expect(a.fillU32(out)).toBe(out);
    const b = new Philox(3);
    const words = Array.from({ length: 10 }, () => b.nextU32());
    expect(Array.from(out)).toEqual(words.slice(0, 7));
    expect(a.nextU32()).toBe(words[7]);
  });

  test('nextFloat is (word >>> 8) * 2^-24', () => {
    const a = new Philox(12, 1);
    const b = new Philox(12, 1);
    for (let i = 0; i < 1000; i++) expect(a.nextFloat()).toBe((b.nextU32() >>> 8) * 2 ** -24);
  });

  test('defaults are seed 0, stream 0, counter 0', () => {
    const p = new Philox();
    expect(hex(p.fillU32(new Uint32Array(4)))).toEqual(hex(KAT[0]!.out));
  });

  test('the seed must be a safe non-negative integer', () => {
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, Infinity]) {
      expect(() => new Philox(bad), `seed ${bad}`).toThrow(ArgumentError);
      expect(() => new Philox(bad), `seed ${bad}`).toThrow(/seed must be an integer/);
    }
  });

  test('stream and counter are range-checked, not wrapped', () => {
    for (const bad of [-1, 2 ** 32, 0.5, Number.NaN]) {
      expect(() => new Philox(0, bad), `stream ${bad}`).toThrow(ArgumentError);
    }
    for (const bad of [-1, 1.5, 2 ** 53]) {
      expect(() => new Philox(0, 0, bad), `counter ${bad}`).toThrow(/counter must be an integer/);
    }
    expect(new Philox(0, 2 ** 32 - 1, 2 ** 40).nextU32()).toBe(philox4x32(0, 0, 0, 2 ** 8, 2 ** 32 - 1, 0)[0]);
  });
});

describe('Philox.nextInt', () => {
  test('values are integers in [0, n) for small, odd, huge and 2^32 bounds', () => {
    const p = new Philox(17, 2);
    for (const n of [1, 2, 3, 7, 10, 1000, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32]) {
      for (let i = 0; i < 2000; i++) {
        const x = p.nextInt(n);
        if (!(Number.isInteger(x) && x >= 0 && x < n)) expect.fail(`nextInt(${n}) gave ${x}`);
      }
    }
  });

  test('n = 1 always gives 0; n = 2^32 gives the raw word', () => {
    const p = new Philox(5);
    for (let i = 0; i < 100; i++) expect(p.nextInt(1)).toBe(0);
    const a = new Philox(5, 1);
    const b = new Philox(5, 1);
    for (let i = 0; i < 100; i++) expect(a.nextInt(2 ** 32)).toBe(b.nextU32());
  });

  test('is rejection sampling: the first word below 2^32 - (2^32 mod n), mod n', () => {
    // n = 2^31 + 1 rejects almost half of the words, so rejections are exercised.
    for (const n of [3, 1000, 2 ** 31 + 1]) {
      const a = new Philox(21, 5);
      const b = new Philox(21, 5);
      const limit = 2 ** 32 - (2 ** 32 % n);
      let rejected = 0;
      for (let i = 0; i < 5000; i++) {
        let w = b.nextU32();
        while (w >= limit) {
          rejected++;
          w = b.nextU32();
        }
        expect(a.nextInt(n)).toBe(w % n);
      }
      if (n === 2 ** 31 + 1) expect(rejected).toBeGreaterThan(1000);
    }
  });

  test('roughly uniform: chi-square of 120,000 draws over 12 and of 200,000 over 1000 bins', () => {
    const p = new Philox(1234, 8);
    const c12 = new Float64Array(12);
    for (let i = 0; i < 120_000; i++) c12[p.nextInt(12)]!++;
    // 11 degrees of freedom: P(chi2 > 40) ~ 3e-5.
    expect(chiSquareUniform(c12)).toBeLessThan(40);
    const c1000 = new Float64Array(1000);
    for (let i = 0; i < 200_000; i++) c1000[p.nextInt(1000)]!++;
    // 999 degrees of freedom: mean 999, sd 44.7; bounds at about 6 sd.
    const chi = chiSquareUniform(c1000);
    expect(chi).toBeLessThan(1270);
    expect(chi).toBeGreaterThan(730);
  });

  test('a huge bound is unbiased between its halves (n = 3 * 2^30)', () => {
    // Plain x % n would put 2/3 of the mass below 2^30 instead of 1/3.
    const p = new Philox(77);
    const n = 3 * 2 ** 30;
    let low = 0;
    const draws = 60_000;
    for (let i = 0; i < draws; i++) if (p.nextInt(n) < 2 ** 30) low++;
    expect(Math.abs(low / draws - 1 / 3)).toBeLessThan(0.012);
  });

  test('n outside [1, 2^32] throws', () => {
    const p = new Philox(1);
    for (const bad of [0, -1, 0.5, 2.5, 2 ** 32 + 1, Number.NaN]) {
      expect(() => p.nextInt(bad), `n = ${bad}`).toThrow(ArgumentError);
      expect(() => p.nextInt(bad), `n = ${bad}`).toThrow(/n must be an integer in \[1, 2\^32\]/);
    }
  });
});

describe('Philox.shuffle', () => {
  test('Fisher–Yates from the end with nextInt(i + 1): a permutation, the draws of a second generator at the same key, in place', () => {
    const a = Array.from({ length: 257 }, (_, i) => i);
    const out = new Philox(9, 4, 17).shuffle(a);
    expect(out).toBe(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 257 }, (_, i) => i));
    const rng = new Philox(9, 4, 17);
    const b = Array.from({ length: 257 }, (_, i) => i);
    for (let i = b.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [b[i], b[j]] = [b[j]!, b[i]!];
    }
    expect(a).toEqual(b);
    // Typed arrays shuffle the same way; lengths 0 and 1 draw nothing.
    const t = new Philox(9, 4, 17).shuffle(Int32Array.from({ length: 257 }, (_, i) => i));
    expect(Array.from(t)).toEqual(b);
    const r = new Philox(1, 2, 3);
    r.shuffle([]);
    r.shuffle([5]);
    expect(r.counter).toBe(3);
  });
});
