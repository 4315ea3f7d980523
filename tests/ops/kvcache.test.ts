import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import { refDecode } from '../reference/decode.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { attention, rotary, rotaryBackward } from '../../src/ops/attention.js';
import { KVCache } from '../../src/ops/kvcache.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';
import { memoryInUse } from '../../src/core/runtime.js';

beforeAll(async () => {
  await initForTests();
});

/** Seeded values scaled by `amp` (amp 2 keeps the softmax far from uniform). */
function data(n: number, seed: number, amp = 1): Float32Array {
  return seeded(n, seed).map((x) => x * amp);
}

/** Positions [t0, t1) of x [B, H, S, D] as a new [B, H, t1 - t0, D] array. */
function slicePositions(
  x: Float32Array | Int32Array,
  B: number,
  H: number,
  S: number,
  D: number,
  t0: number,
  t1: number,
) {
  const n = t1 - t0;
  const out = new Float32Array(B * H * n * D);
  for (let bh = 0; bh < B * H; bh++) out.set(x.subarray((bh * S + t0) * D, (bh * S + t1) * D), bh * n * D);
  return out;
}

/** x [B, H, S, D] laid out in a [B, H, Tmax, D] buffer (positions >= S are NaN). */
function padPositions(x: Float32Array, B: number, H: number, S: number, D: number, Tmax: number): Float64Array {
  const out = new Float64Array(B * H * Tmax * D).fill(Number.NaN);
  for (let bh = 0; bh < B * H; bh++) out.set(x.subarray(bh * S * D, (bh + 1) * S * D), bh * Tmax * D);
  return out;
}

/** Largest |a - b| and its index. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { err: number; at: number } {
  let err = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (!(e <= err)) {
      err = e;
      at = i;
    }
  }
  return { err, at };
}

/** Fills every position of every layer with NaN and empties the cache, so a read past the length shows. */
function poison(cache: KVCache): void {
  const { batch: B, heads: H, headDim: D, maxLength: T } = cache;
  tidy(() => {
    const nan = Tensor.fromArray(new Float32Array(B * H * T * D).fill(Number.NaN), [B, H, T, D]);
    for (let l = 0; l < cache.layers; l++) cache.append(l, nan, nan);
  });
  cache.reset();
}

describe('KVCache.attend = float64 reference', () => {
  // [B, H, D, T, n, Tmax]
  const CASES: [number, number, number, number, number, number][] = [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 3, 2, 2, 5],
    [2, 3, 17, 7, 3, 9],
    [1, 3, 64, 70, 1, 80],
    [2, 1, 3, 65, 5, 70],
    [1, 1, 64, 64, 64, 64],
    [2, 3, 1, 13, 13, 20],
    [1, 2, 17, 129, 4, 130],
    [2, 1, 64, 33, 1, 40],
    [1, 1, 5, 70, 7, 71],
    [2, 3, 64, 1, 1, 3],
  ];
  for (const [B, H, D, T, n, Tmax] of CASES) {
    test(`B=${B} H=${H} D=${D} T=${T} n=${n} Tmax=${Tmax}`, () => {
      const cache = new KVCache({ layers: 2, batch: B, heads: H, headDim: D, maxLength: Tmax });
      try {
        poison(cache);
        const k = data(B * H * T * D, T * 7 + D, 2);
        const v = data(B * H * T * D, T * 7 + D + 1);
        const q = data(B * H * n * D, T * 7 + D + 2, 2);
        const scale = D === 17 ? 0.3 : undefined;
        tidy(() => {
          // Two appends (all but the newest n, then those) into layer 1.
          const cut = T - n;
          if (cut > 0) {
            const k0 = Tensor.fromArray(slicePositions(k, B, H, T, D, 0, cut), [B, H, cut, D]);
            cache.append(1, k0, Tensor.fromArray(slicePositions(v, B, H, T, D, 0, cut), [B, H, cut, D]));
          }
          cache.append(
            1,
            Tensor.fromArray(slicePositions(k, B, H, T, D, cut, T), [B, H, n, D]),
            Tensor.fromArray(slicePositions(v, B, H, T, D, cut, T), [B, H, n, D]),
          );
          expect(cache.lengthOf(1)).toBe(T);
          expect(cache.lengthOf(0)).toBe(0);
          const out = cache.attend(1, Tensor.fromArray(q, [B, H, n, D]), { scale });
          expect(out.shape).toEqual([B, H, n, D]);
          const ref = refDecode(
            q,
            padPositions(k, B, H, T, D, Tmax),
            padPositions(v, B, H, T, D, Tmax),
            B,
            H,
            n,
            T,
            Tmax,
            D,
            scale,
          );
          expectClose(out.toArray(), ref, { rtol: 1e-5, atol: 1e-6 });
        });
      } finally {
        cache.dispose();
      }
    });
  }

  test('every length T = 1 .. 70 with n = 1 and n = min(T, 4), D = 3', () => {
    const [B, H, D, Tmax] = [2, 1, 3, 72];
    const cache = new KVCache({ layers: 1, batch: B, heads: H, headDim: D, maxLength: Tmax });
    try {
      poison(cache);
      const k = data(B * H * 70 * D, 11, 2);
      const v = data(B * H * 70 * D, 12);
      const kc = padPositions(k, B, H, 70, D, Tmax);
      const vc = padPositions(v, B, H, 70, D, Tmax);
      for (let T = 1; T <= 70; T++) {
        tidy(() => {
          const s = slicePositions(k, B, H, 70, D, T - 1, T);
          cache.append(
            0,
            Tensor.fromArray(s, [B, H, 1, D]),
            Tensor.fromArray(slicePositions(v, B, H, 70, D, T - 1, T), [B, H, 1, D]),
          );
          for (const n of [1, Math.min(T, 4)]) {
            const q = data(B * H * n * D, 100 + T);
            const out = cache.attend(0, Tensor.fromArray(q, [B, H, n, D]));
            // The reference only reads positions < T of the padded buffers.
            const ref = refDecode(q, kc, vc, B, H, n, T, Tmax, D);
            expectClose(out.toArray(), ref, { rtol: 1e-5, atol: 1e-6 });
          }
        });
      }
    } finally {
      cache.dispose();
    }
  });
});

describe('incremental decoding = full causal attention at every step', () => {
  // [B, H, S, D]
  const SHAPES: [number, number, number, number][] = [
    [1, 1, 70, 64],
    [2, 3, 67, 17],
    [1, 2, 9, 3],
    [2, 1, 70, 1],
    [1, 3, 64, 6],
    [2, 2, 65, 4],
  ];
  const SCHEDULES: { name: string; chunks: (S: number) => number[] }[] = [
    { name: 'position by position', chunks: (S) => Array.from({ length: S }, () => 1) },
    {
      name: 'prefill 5, then 1s',
      chunks: (S) => [Math.min(5, S), ...Array.from({ length: S - Math.min(5, S) }, () => 1)],
    },
    {
      name: 'chunks 3, 1, 7, 1, 2, ...',
      chunks: (S) => {
        const out: number[] = [];
        const pattern = [3, 1, 7, 1, 2];
        for (let t = 0, i = 0; t < S; i++) {
          const c = Math.min(pattern[i % pattern.length]!, S - t);
          out.push(c);
          t += c;
        }
        return out;
      },
    },
  ];

  for (const [B, H, S, D] of SHAPES) {
    for (const rope of D % 2 === 0 ? [false, true] : [false]) {
      for (const sched of SCHEDULES) {
        test(`${B}x${H}x${S}x${D}${rope ? ' rotary' : ''}, ${sched.name}`, () => {
          const n = B * H * S * D;
          const qs = data(n, S + D, 2);
          const ks = data(n, S + D + 1, 2);
          const vs = data(n, S + D + 2);
          const base = 500;
          const layers = 2;
          const cache = new KVCache({ layers, batch: B, heads: H, headDim: D, maxLength: S + 3 });
          try {
            poison(cache);
            tidy(() => {
              const shape = [B, H, S, D];
              let q = Tensor.fromArray(qs, shape);
              let k = Tensor.fromArray(ks, shape);
              if (rope) {
                q = rotary(q, { base });
                k = rotary(k, { base });
              }
              const full = attention(q, k, Tensor.fromArray(vs, shape), { causal: true }).out.toArray();
              let t0 = 0;
              for (const c of sched.chunks(S)) {
                const t1 = t0 + c;
                tidy(() => {
                  const sh = [B, H, c, D];
                  let qc = Tensor.fromArray(slicePositions(qs, B, H, S, D, t0, t1), sh);
                  const kc = Tensor.fromArray(slicePositions(ks, B, H, S, D, t0, t1), sh);
                  if (rope) {
                    qc = rotary(qc, { base, offset: t0 });
                    rotary(kc, { base, offset: t0, out: kc });
                  }
                  const vc = Tensor.fromArray(slicePositions(vs, B, H, S, D, t0, t1), sh);
                  // Every layer gets the same step; each attends over its own buffers.
                  for (let l = 0; l < layers; l++) {
                    cache.append(l, kc, vc);
                    expect(cache.lengthOf(l)).toBe(t1);
                    const got = cache.attend(l, qc).toArray();
                    const want = slicePositions(full, B, H, S, D, t0, t1);
                    const { err, at } = maxAbsDiff(got, want);
                    if (!(err <= 1e-6))
                      expect.fail(`positions [${t0}, ${t1}) layer ${l}: max |decode - full| ${err} at index ${at}`);
                    // Same blocks, same f32 operations in the same order: the same bits.
                    expectSameBits(got, want);
                  }
                });
                t0 = t1;
              }
              expect(cache.length).toBe(S);
            });
          } finally {
            cache.dispose();
          }
        });
      }
    }
  }

  test('truncate then a different continuation = full attention over the new sequence', () => {
    const [B, H, S, D, P] = [2, 2, 20, 8, 12];
    const n = B * H * S * D;
    const qs = data(n, 1, 2);
    const ks = data(n, 2, 2);
    const vs = data(n, 3);
    // The second sequence shares the first P positions and differs after them.
    const ks2 = ks.slice();
    const vs2 = vs.slice();
    for (let bh = 0; bh < B * H; bh++) {
      for (let i = (bh * S + P) * D; i < (bh + 1) * S * D; i++) {
        ks2[i] = -ks[i]!;
        vs2[i] = vs[i]! * 0.5 + 0.25;
      }
    }
    const cache = new KVCache({ layers: 1, batch: B, heads: H, headDim: D, maxLength: S });
    try {
      tidy(() => {
        const shape = [B, H, S, D];
        cache.append(0, Tensor.fromArray(ks, shape), Tensor.fromArray(vs, shape));
        cache.truncate(P);
        expect(cache.length).toBe(P);
        const rest = [B, H, S - P, D];
        cache.append(
          0,
          Tensor.fromArray(slicePositions(ks2, B, H, S, D, P, S), rest),
          Tensor.fromArray(slicePositions(vs2, B, H, S, D, P, S), rest),
        );
        const out = Tensor.empty(rest);
        expect(cache.attend(0, Tensor.fromArray(slicePositions(qs, B, H, S, D, P, S), rest), { out })).toBe(out);
        const full = attention(
          Tensor.fromArray(qs, shape),
          Tensor.fromArray(ks2, shape),
          Tensor.fromArray(vs2, shape),
          {
            causal: true,
          },
        ).out.toArray();
        expectSameBits(out.toArray(), slicePositions(full, B, H, S, D, P, S));
        cache.truncate(S + 10);
        expect(cache.length).toBe(S);
        cache.reset();
        expect(cache.length).toBe(0);
      });
    } finally {
      cache.dispose();
    }
  });
});

describe('rotary with a position offset', () => {
  for (const [N, S, D, base] of [
    [1, 1, 2, 10000],
    [3, 70, 64, 10000],
    [2, 17, 6, 500],
  ] as [number, number, number, number][]) {
    test(`rotary and rotaryBackward of position p at offset p = row p of the full sequence (${N}x${S}x${D})`, () => {
      const xs = data(N * S * D, S + D);
      const gs = data(N * S * D, S + D + 1);
      tidy(() => {
        const full = rotary(Tensor.fromArray(xs, [N, S, D]), { base }).toArray();
        const dfull = Tensor.zeros([N, S, D]);
        rotaryBackward(Tensor.fromArray(gs, [N, S, D]), dfull, { base });
        const dfullv = dfull.toArray();
        for (let p = 0; p < S; p++) {
          const row = slicePositions(xs, N, 1, S, D, p, p + 1);
          const got = rotary(Tensor.fromArray(row, [N, 1, D]), { base, offset: p }).toArray();
          expectSameBits(got, slicePositions(full, N, 1, S, D, p, p + 1));
          const dx = Tensor.zeros([N, 1, D]);
          rotaryBackward(Tensor.fromArray(slicePositions(gs, N, 1, S, D, p, p + 1), [N, 1, D]), dx, {
            base,
            offset: p,
          });
          expectSameBits(dx.toArray(), slicePositions(dfullv, N, 1, S, D, p, p + 1));
        }
      });
    });
  }
});

describe('KVCache state and memory', () => {
  test('sizes, byteLength, tidy does not free the buffers, dispose frees them', () => {
    const before = memoryInUse();
    const cache = tidy(() => new KVCache({ layers: 3, batch: 2, heads: 3, headDim: 5, maxLength: 7 }));
    expect([cache.layers, cache.batch, cache.heads, cache.headDim, cache.maxLength]).toEqual([3, 2, 3, 5, 7]);
    expect(cache.byteLength).toBe(2 * 3 * 2 * 3 * 7 * 5 * 4);
    expect(memoryInUse() - before).toBeGreaterThanOrEqual(cache.byteLength);
    expect(cache.length).toBe(0);
    tidy(() => {
      const k = Tensor.fromArray(data(2 * 3 * 4 * 5, 1), [2, 3, 4, 5]);
      cache.append(2, k, k);
      expect(cache.lengthOf(2)).toBe(4);
      expect(cache.lengthOf(0)).toBe(0);
      // attend allocates only its result (the scratch is freed).
      const q = Tensor.fromArray(data(2 * 3 * 1 * 5, 2), [2, 3, 1, 5]);
      const mid = memoryInUse();
      const out = cache.attend(2, q);
      expect(memoryInUse() - mid).toBe(Math.ceil(out.byteLength / 16) * 16);
    });
    cache.dispose();
    cache.dispose();
    expect(cache.disposed).toBe(true);
    expect(cache.byteLength).toBe(0);
    expect(memoryInUse()).toBe(before);
  });
});

describe('bad input gives typed errors', () => {
  test('constructor options', () => {
    const ok = { layers: 1, batch: 1, heads: 1, headDim: 4, maxLength: 8 };
    expect(() => new KVCache(undefined as never)).toThrow(ArgumentError);
    expect(() => new KVCache({ ...ok, layers: 0 })).toThrow(ArgumentError);
    expect(() => new KVCache({ ...ok, heads: 1.5 })).toThrow(ArgumentError);
    expect(() => new KVCache({ ...ok, maxLength: -1 })).toThrow(ArgumentError);
    expect(() => new KVCache({ ...ok, headDim: undefined } as never)).toThrow(ArgumentError);
    expect(() => new KVCache({ ...ok, max_length: 8 } as never)).toThrow(/did you mean 'maxLength'/);
  });

  test('append, attend, layer index, overflow, truncate', () => {
    const [B, H, D] = [2, 3, 4];
    const cache = new KVCache({ layers: 2, batch: B, heads: H, headDim: D, maxLength: 6 });
    try {
      tidy(() => {
        const kv = (n: number) => Tensor.zeros([B, H, n, D]);
        expect(() => cache.attend(0, kv(1))).toThrow(ShapeError); // nothing appended yet
        expect(() => cache.append(0, Tensor.zeros([B, H, D]), kv(1))).toThrow(ShapeError);
        expect(() => cache.append(0, Tensor.zeros([B + 1, H, 1, D]), Tensor.zeros([B + 1, H, 1, D]))).toThrow(
          ShapeError,
        );
        expect(() => cache.append(0, Tensor.zeros([B, H + 1, 1, D]), Tensor.zeros([B, H + 1, 1, D]))).toThrow(
          ShapeError,
        );
        expect(() => cache.append(0, Tensor.zeros([B, H, 1, D + 1]), Tensor.zeros([B, H, 1, D + 1]))).toThrow(
          ShapeError,
        );
        expect(() => cache.append(0, kv(0), kv(0))).toThrow(ShapeError);
        expect(() => cache.append(0, kv(2), kv(3))).toThrow(ShapeError);
        expect(() => cache.append(0, Tensor.zeros([B, H, 1, D], 'int32'), kv(1))).toThrow(DTypeError);
        expect(() => cache.append(0, kv(1), Tensor.zeros([B, H, 1, D], 'int32'))).toThrow(DTypeError);
        expect(() => cache.append(0, [] as never, kv(1))).toThrow(ArgumentError);
        for (const bad of [-1, 2, 0.5, Number.NaN, '0']) {
          expect(() => cache.append(bad as never, kv(1), kv(1))).toThrow(ArgumentError);
          expect(() => cache.attend(bad as never, kv(1))).toThrow(ArgumentError);
          expect(() => cache.lengthOf(bad as never)).toThrow(ArgumentError);
        }
        cache.append(0, kv(4), kv(4));
        expect(() => cache.append(0, kv(3), kv(3))).toThrow(ArgumentError);
        expect(() => cache.append(0, kv(3), kv(3))).toThrow(/maxLength 6.*Hint:/);
        expect(cache.lengthOf(0)).toBe(4); // a failed append changes nothing
        cache.append(0, kv(2), kv(2));
        expect(cache.lengthOf(0)).toBe(6);
        expect(() => cache.append(0, kv(1), kv(1))).toThrow(ArgumentError);
        const q = kv(2);
        expect(() => cache.attend(0, kv(7))).toThrow(ShapeError);
        expect(() => cache.attend(0, Tensor.zeros([B, H, 2, D], 'int32'))).toThrow(DTypeError);
        expect(() => cache.attend(0, Tensor.zeros([B, 1, 2, D]))).toThrow(ShapeError);
        expect(() => cache.attend(0, q, { scale: Number.NaN })).toThrow(ArgumentError);
        expect(() => cache.attend(0, q, { scale: Infinity })).toThrow(ArgumentError);
        expect(() => cache.attend(0, q, { out: q })).toThrow(ArgumentError);
        expect(() => cache.attend(0, q, { out: kv(1) })).toThrow(ShapeError);
        expect(() => cache.attend(0, q, { out: Tensor.zeros([B, H, 2, D], 'int32') })).toThrow(DTypeError);
        expect(() => cache.attend(0, q, { causal: true } as never)).toThrow(ArgumentError);
        expect(() => cache.attend(0, q, null as never)).toThrow(ArgumentError);
        expect(cache.attend(0, q, { scale: 0.5 }).shape).toEqual([B, H, 2, D]);
        expect(() => cache.truncate(-1)).toThrow(ArgumentError);
        expect(() => cache.truncate(1.5)).toThrow(ArgumentError);
      });
    } finally {
      cache.dispose();
    }
  });

  test('a disposed cache', () => {
    const cache = new KVCache({ layers: 1, batch: 1, heads: 1, headDim: 2, maxLength: 4 });
    cache.dispose();
    tidy(() => {
      const t = Tensor.zeros([1, 1, 1, 2]);
      expect(() => cache.append(0, t, t)).toThrow(ArgumentError);
      expect(() => cache.attend(0, t)).toThrow(/must not be disposed/);
      expect(() => cache.lengthOf(0)).toThrow(ArgumentError);
      expect(() => cache.length).toThrow(ArgumentError);
      expect(() => cache.truncate(0)).toThrow(ArgumentError);
      expect(() => cache.reset()).toThrow(ArgumentError);
    });
  });
});
