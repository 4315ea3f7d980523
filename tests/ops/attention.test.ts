import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import {
  dropoutFactors,
  refAttention,
  refAttentionBackward,
  refRotary,
  type RefAttentionOptions,
} from '../reference/attention.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import {
  attention,
  attentionBackward,
  attentionWorkspaceBytes,
  rotary,
  rotaryBackward,
  type AttentionOptions,
} from '../../src/ops/attention.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';
import { memoryInUse } from '../../src/core/runtime.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

type Shape = [number, number, number, number];

/** Seeded q, k, v (scaled so the softmax is far from uniform) and a key mask with some zeros per batch. */
function inputs(shape: Shape, seed: number) {
  const n = shape.reduce((a, b) => a * b, 1);
  const amp = 2;
  const q = seeded(n, seed).map((x) => x * amp);
  const k = seeded(n, seed + 1).map((x) => x * amp);
  const v = seeded(n, seed + 2);
  const [B, , S] = shape;
  const mask = new Int32Array(B * S);
  // Key j of batch b is masked when (j * 7 + b * 3) % 5 == 4; key 0 is always kept.
  for (let b = 0; b < B; b++) for (let j = 0; j < S; j++) mask[b * S + j] = j > 0 && (j * 7 + b * 3) % 5 === 4 ? 0 : 1;
  return { q, k, v, mask };
}

function tensors(shape: Shape, x: { q: Float32Array; k: Float32Array; v: Float32Array }) {
  return { q: Tensor.fromArray(x.q, shape), k: Tensor.fromArray(x.k, shape), v: Tensor.fromArray(x.v, shape) };
}

const SHAPES: Shape[] = [
  [1, 1, 1, 1],
  [1, 1, 3, 3],
  [2, 3, 5, 8],
  [1, 2, 17, 64],
  [2, 1, 33, 3],
  [1, 1, 65, 8],
  [2, 2, 65, 64],
  [1, 1, 129, 5],
];
const MODES: { name: string; mask: boolean; causal: boolean }[] = [
  { name: 'plain', mask: false, causal: false },
  { name: 'key mask', mask: true, causal: false },
  { name: 'causal', mask: false, causal: true },
  { name: 'key mask + causal', mask: true, causal: true },
];

function opts(
  mode: { mask: boolean; causal: boolean },
  shape: Shape,
  mask: Int32Array,
  extra: AttentionOptions = {},
): AttentionOptions {
  return {
    ...extra,
    causal: mode.causal,
    keyMask: mode.mask ? Tensor.fromArray(mask, [shape[0], shape[2]]) : undefined,
  };
}
function refOpts(
  mode: { mask: boolean; causal: boolean },
  mask: Int32Array,
  extra: RefAttentionOptions = {},
): RefAttentionOptions {
  return { ...extra, causal: mode.causal, mask: mode.mask ? mask : undefined };
}

describe('attention forward = float64 reference', () => {
  for (const shape of SHAPES) {
    for (const mode of MODES) {
      test(`${shape.join('x')} ${mode.name}`, () => {
        const x = inputs(shape, shape[2] * 10 + shape[3]);
        tidy(() => {
          const { q, k, v } = tensors(shape, x);
          const { out, lse } = attention(q, k, v, opts(mode, shape, x.mask));
          expect(out.shape).toEqual(shape);
          expect(lse.shape).toEqual(shape.slice(0, 3));
          const ref = refAttention(x.q, x.k, x.v, ...shape, refOpts(mode, x.mask));
          expectClose(out.toArray(), ref.out, { rtol: 1e-4, atol: 1e-5 });
          expectClose(lse.toArray(), ref.lse, { rtol: 1e-5, atol: 1e-5 });
        });
      });
    }
  }

  test('scale option and out option', () => {
    const shape: Shape = [2, 2, 19, 12];
    const x = inputs(shape, 5);
    tidy(() => {
      const { q, k, v } = tensors(shape, x);
      const out = Tensor.zeros(shape);
      const res = attention(q, k, v, { scale: 0.37, out });
      expect(res.out).toBe(out);
      const ref = refAttention(x.q, x.k, x.v, ...shape, { scale: 0.37 });
      expectClose(out.toArray(), ref.out, { rtol: 1e-4, atol: 1e-5 });
    });
  });

  test('a float32 key mask gives the bits of the int32 mask', () => {
    const shape: Shape = [2, 1, 33, 8];
    const x = inputs(shape, 6);
    tidy(() => {
      const { q, k, v } = tensors(shape, x);
      const a = attention(q, k, v, { keyMask: Tensor.fromArray(x.mask, [2, 33]) }).out.toArray();
      const b = attention(q, k, v, { keyMask: Tensor.fromArray(Float32Array.from(x.mask), [2, 33]) }).out.toArray();
      expectSameBits(a, b);
    });
  });
});

describe('masked positions have exactly zero weight', () => {
  test('changing masked keys and values leaves every output bit unchanged', () => {
    const shape: Shape = [2, 2, 70, 16];
    const x = inputs(shape, 7);
    const [B, H, S, D] = shape;
    const k2 = x.k.slice();
    const v2 = x.v.slice();
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < S; j++) {
        if (x.mask[b * S + j] !== 0) continue;
        for (let h = 0; h < H; h++)
          for (let d = 0; d < D; d++) {
            const i = ((b * H + h) * S + j) * D + d;
            k2[i] = 1000 - 37 * d;
            v2[i] = -5e3 + d;
          }
      }
    }
    tidy(() => {
      const { q, k, v } = tensors(shape, x);
      for (const causal of [false, true]) {
        const keyMask = Tensor.fromArray(x.mask, [B, S]);
        const a = attention(q, k, v, { keyMask, causal });
        const b = attention(q, Tensor.fromArray(k2, shape), Tensor.fromArray(v2, shape), { keyMask, causal });
        expectSameBits(a.out.toArray(), b.out.toArray());
        expectSameBits(a.lse.toArray(), b.lse.toArray());
      }
    });
  });

  test('causal: changing the last key and value leaves the earlier rows unchanged bit for bit', () => {
    const shape: Shape = [1, 2, 67, 8];
    const x = inputs(shape, 8);
    const [, H, S, D] = shape;
    const k2 = x.k.slice();
    const v2 = x.v.slice();
    for (let h = 0; h < H; h++)
      for (let d = 0; d < D; d++) {
        k2[(h * S + S - 1) * D + d] = 50;
        v2[(h * S + S - 1) * D + d] = -50;
      }
    tidy(() => {
      const { q, k, v } = tensors(shape, x);
      const a = attention(q, k, v, { causal: true }).out.toArray();
      const b = attention(q, Tensor.fromArray(k2, shape), Tensor.fromArray(v2, shape), { causal: true }).out.toArray();
      for (let h = 0; h < H; h++) {
        const lo = h * S * D;
        expectSameBits(a.subarray(lo, lo + (S - 1) * D), b.subarray(lo, lo + (S - 1) * D));
        expect(a[lo + (S - 1) * D]).not.toBe(b[lo + (S - 1) * D]);
      }
    });
  });
});

describe('fully masked rows', () => {
  test('key mask all zero for one batch: zeros, lse -inf, no NaN, zero gradients', () => {
    const shape: Shape = [2, 2, 37, 8];
    const x = inputs(shape, 9);
    const [B, H, S, D] = shape;
    const mask = x.mask.slice();
    mask.fill(0, S, 2 * S);
    tidy(() => {
      const { q, k, v } = tensors(shape, x);
      const keyMask = Tensor.fromArray(mask, [B, S]);
      const { out, lse } = attention(q, k, v, { keyMask });
      const o = out.toArray();
      const l = lse.toArray();
      const half = H * S * D;
      expect(o.subarray(half).every((y) => y === 0)).toBe(true);
      expect(l.subarray(H * S).every((y) => y === -Infinity)).toBe(true);
      expect(o.some((y) => Number.isNaN(y))).toBe(false);
      const dout = Tensor.fromArray(seeded(B * half, 10), shape);
      const dq = Tensor.zeros(shape),
        dk = Tensor.zeros(shape),
        dv = Tensor.zeros(shape);
      attentionBackward(q, k, v, out, lse, dout, { dq, dk, dv }, { keyMask });
      for (const g of [dq, dk, dv]) {
        const a = g.toArray();
        expect(a.subarray(half).every((y) => y === 0)).toBe(true);
        expect(a.some((y) => Number.isNaN(y))).toBe(false);
        expect(a.subarray(0, half).some((y) => y !== 0)).toBe(true);
      }
      const ref = refAttentionBackward(x.q, x.k, x.v, dout.toArray(), ...shape, { mask });
      expectClose(dq.toArray(), ref.dq, { rtol: 1e-3, atol: 1e-4 });
    });
  });

  test('causal + key mask leaving the first rows nothing: zeros, no NaN, zero dq rows', () => {
    const shape: Shape = [1, 1, 20, 4];
    const x = inputs(shape, 11);
    const [, , S, D] = shape;
    const mask = new Int32Array(S).fill(1);
    mask.fill(0, 0, 3);
    tidy(() => {
      const { q, k, v } = tensors(shape, x);
      const opt = { keyMask: Tensor.fromArray(mask, [1, S]), causal: true };
      const { out, lse } = attention(q, k, v, opt);
      const o = out.toArray();
      expect(o.subarray(0, 3 * D).every((y) => y === 0)).toBe(true);
      expect(
        lse
          .toArray()
          .subarray(0, 3)
          .every((y) => y === -Infinity),
      ).toBe(true);
      expect(o.some((y) => Number.isNaN(y))).toBe(false);
      const dout = Tensor.fromArray(seeded(S * D, 12), shape);
      const dq = Tensor.zeros(shape),
        dk = Tensor.zeros(shape),
        dv = Tensor.zeros(shape);
      attentionBackward(q, k, v, out, lse, dout, { dq, dk, dv }, opt);
      expect(
        dq
          .toArray()
          .subarray(0, 3 * D)
          .every((y) => y === 0),
      ).toBe(true);
      for (const g of [dq, dk, dv]) expect(g.toArray().some((y) => Number.isNaN(y))).toBe(false);
      const ref = refAttentionBackward(x.q, x.k, x.v, dout.toArray(), ...shape, { mask, causal: true });
      expectClose(dk.toArray(), ref.dk, { rtol: 1e-3, atol: 1e-4 });
    });
  });
});

/** Kernel backward added to seeded starting gradients, against start + the reference backward. */
function checkBackward(
  shape: Shape,
  mode: { mask: boolean; causal: boolean },
  seed: number,
  extra: AttentionOptions = {},
) {
  const x = inputs(shape, seed);
  const n = x.q.length;
  const dout = seeded(n, seed + 3);
  const start = [seeded(n, seed + 4), seeded(n, seed + 5), seeded(n, seed + 6)];
  tidy(() => {
    const { q, k, v } = tensors(shape, x);
    const o = opts(mode, shape, x.mask, extra);
    const { out, lse } = attention(q, k, v, o);
    const [dq, dk, dv] = start.map((s) => Tensor.fromArray(s, shape));
    attentionBackward(q, k, v, out, lse, Tensor.fromArray(dout, shape), { dq: dq!, dk: dk!, dv: dv! }, o);
    const ref = refAttentionBackward(
      x.q,
      x.k,
      x.v,
      dout,
      ...shape,
      refOpts(mode, x.mask, extra as RefAttentionOptions),
    );
    [ref.dq, ref.dk, ref.dv].forEach((g, t) => {
      const want = g.map((y, i) => y + start[t]![i]!);
      expectClose([dq, dk, dv][t]!.toArray(), want, { rtol: 1e-3, atol: 2e-5 * Math.sqrt(shape[2]) });
    });
  });
}

describe('attention backward = float64 reference backward (accumulating)', () => {
  for (const shape of [
    [1, 1, 1, 1],
    [1, 1, 3, 3],
    [2, 2, 17, 8],
    [1, 2, 65, 64],
    [2, 1, 33, 5],
    [1, 1, 129, 16],
  ] as Shape[]) {
    for (const mode of MODES) {
      test(`${shape.join('x')} ${mode.name}`, () => checkBackward(shape, mode, shape[2] + shape[3]));
    }
  }
});

/**
 * Central finite differences of L = sum(W out) of the float64 reference, for every
 * element of q, k and v, against the kernel's gradients.
 */
function checkFD(
  shape: Shape,
  mode: { mask: boolean; causal: boolean },
  seed: number,
  extra: RefAttentionOptions = {},
) {
  const x = inputs(shape, seed);
  const n = x.q.length;
  const W = seeded(n, seed + 7);
  const ro = refOpts(mode, x.mask, extra);
  const loss = (q: Float64Array, k: Float64Array, v: Float64Array) => {
    const { out } = refAttention(q, k, v, ...shape, ro);
    let s = 0;
    for (let i = 0; i < n; i++) s += out[i]! * W[i]!;
    return s;
  };
  const base = [Float64Array.from(x.q), Float64Array.from(x.k), Float64Array.from(x.v)];
  const eps = 1e-5;
  const fd = base.map((arr) => {
    const g = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const keep = arr[i]!;
      arr[i] = keep + eps;
      const up = loss(base[0]!, base[1]!, base[2]!);
      arr[i] = keep - eps;
      const down = loss(base[0]!, base[1]!, base[2]!);
      arr[i] = keep;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  });
  tidy(() => {
    const { q, k, v } = tensors(shape, x);
    const o = opts(mode, shape, x.mask, extra as AttentionOptions);
    const { out, lse } = attention(q, k, v, o);
    const grads = { dq: Tensor.zeros(shape), dk: Tensor.zeros(shape), dv: Tensor.zeros(shape) };
    attentionBackward(q, k, v, out, lse, Tensor.fromArray(W, shape), grads, o);
    expectClose(grads.dq.toArray(), fd[0]!, { rtol: 1e-3, atol: 1e-4 });
    expectClose(grads.dk.toArray(), fd[1]!, { rtol: 1e-3, atol: 1e-4 });
    expectClose(grads.dv.toArray(), fd[2]!, { rtol: 1e-3, atol: 1e-4 });
  });
}

describe('attention backward = central finite differences of the float64 reference', () => {
  for (const shape of [
    [1, 2, 5, 3],
    [2, 1, 9, 4],
  ] as Shape[]) {
    for (const mode of MODES) {
      test(`${shape.join('x')} ${mode.name}`, () => checkFD(shape, mode, 20 + shape[2]));
    }
  }
});

describe('dropout on the attention probabilities', () => {
  test('dropped fraction within 1 point of p, and the exact Philox mask (B=2, H=2, S=256)', () => {
    // q = 0 gives uniform probabilities 1/S; v_j = e_j (D = S) makes out[i][j] = Pd[i][j].
    const [B, H, S] = [2, 2, 256];
    const shape: Shape = [B, H, S, S];
    const p = 0.15;
    const dropout = { p, seed: 1234, stream: 3, counter: 77 };
    tidy(() => {
      const q = Tensor.zeros(shape);
      const vv = new Float32Array(B * H * S * S);
      for (let bh = 0; bh < B * H; bh++) for (let j = 0; j < S; j++) vv[(bh * S + j) * S + j] = 1;
      const v = Tensor.fromArray(vv, shape);
      const out = attention(q, q, v, { dropout }).out.toArray();
      const z = dropoutFactors(out.length, dropout);
      let dropped = 0;
      let mismatch = -1;
      const kept = Math.fround(Math.fround(1 / S) * Math.fround(1 / (1 - p)));
      for (let e = 0; e < out.length; e++) {
        if (out[e] === 0) dropped++;
        if ((z[e] === 0) !== (out[e] === 0) && mismatch < 0) mismatch = e;
        if (out[e] !== 0 && Math.abs(out[e]! - kept) > 1e-7) mismatch = e;
      }
      expect(mismatch).toBe(-1);
      expect(Math.abs(dropped / out.length - p)).toBeLessThan(0.01);
    });
  });

  // The last counter sits just below 2^32, so the 64-bit block counter carries inside a row.
  for (const [shape, mode, counter] of [
    [[2, 2, 33, 8], MODES[0], 2 ** 33 + 3],
    [[1, 2, 70, 64], MODES[3], 0],
    [[2, 1, 17, 3], MODES[1], 2 ** 32 - 37],
  ] as [Shape, (typeof MODES)[0], number][]) {
    test(`forward and backward = reference with the regenerated mask ${shape.join('x')} ${mode!.name} counter=${counter}`, () => {
      const x = inputs(shape, 40);
      const dropout = { p: 0.3, seed: 2 ** 40 + 5, stream: 1, counter };
      tidy(() => {
        const { q, k, v } = tensors(shape, x);
        const { out } = attention(q, k, v, opts(mode!, shape, x.mask, { dropout }));
        const ref = refAttention(x.q, x.k, x.v, ...shape, refOpts(mode!, x.mask, { dropout }));
        expectClose(out.toArray(), ref.out, { rtol: 1e-4, atol: 1e-5 });
        const plain = attention(q, k, v, opts(mode!, shape, x.mask)).out.toArray();
        expect(out.toArray().some((y, i) => y !== plain[i])).toBe(true);
      });
      checkBackward(shape, mode!, 41, { dropout });
    });
  }

  test('backward = finite differences under the same seed', () => {
    checkFD([1, 2, 7, 4], MODES[3]!, 50, { dropout: { p: 0.25, seed: 9, stream: 0, counter: 0 } });
    checkFD([2, 1, 6, 3], MODES[0]!, 51, { dropout: { p: 0.5, seed: 10 } });
  });
});

describe('tfjs-core cpu: matMul, softmax, matMul and tf.grad', () => {
  for (const [shape, causal] of [
    [[2, 2, 17, 8], false],
    [[1, 3, 33, 16], true],
    [[2, 1, 65, 64], false],
  ] as [Shape, boolean][]) {
    test(`${shape.join('x')} causal=${causal}`, () => {
      const x = inputs(shape, 60);
      const [B, H, S, D] = shape;
      const scale = 1 / Math.sqrt(D);
      const W = seeded(x.q.length, 61);
      const bias = new Float32Array(S * S);
      if (causal) for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) bias[i * S + j] = -1e9;
      const tq = tf.tensor4d(x.q, shape),
        tk = tf.tensor4d(x.k, shape),
        tv = tf.tensor4d(x.v, shape);
      const tb = tf.tensor2d(bias, [S, S]);
      const tw = tf.tensor4d(W, shape);
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.matMul(
          tf.softmax(tf.add(tf.mul(tf.matMul(a as tf.Tensor4D, b as tf.Tensor4D, false, true), scale), tb)),
          c as tf.Tensor4D,
        );
      const tout = f(tq, tk, tv);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), tw)))([
        tq,
        tk,
        tv,
      ]);
      tidy(() => {
        const { q, k, v } = tensors(shape, x);
        const { out, lse } = attention(q, k, v, { causal });
        expectClose(out.toArray(), tout.dataSync(), { rtol: 1e-4, atol: 1e-5 });
        const g = { dq: Tensor.zeros(shape), dk: Tensor.zeros(shape), dv: Tensor.zeros(shape) };
        attentionBackward(q, k, v, out, lse, Tensor.fromArray(W, shape), g, { causal });
        expectClose(g.dq.toArray(), grads[0]!.dataSync(), { rtol: 1e-3, atol: 1e-4 });
        expectClose(g.dk.toArray(), grads[1]!.dataSync(), { rtol: 1e-3, atol: 1e-4 });
        expectClose(g.dv.toArray(), grads[2]!.dataSync(), { rtol: 1e-3, atol: 1e-4 });
      });
      tf.dispose([tq, tk, tv, tb, tw, tout, ...grads]);
      expect(B * H).toBeGreaterThan(0);
    });
  }
});

describe('empty shapes', () => {
  for (const shape of [
    [0, 2, 5, 4],
    [2, 0, 5, 4],
    [2, 2, 0, 4],
  ] as Shape[]) {
    test(`${shape.join('x')} forward, backward and rotary do nothing and do not throw`, () => {
      tidy(() => {
        const q = Tensor.zeros(shape);
        const { out, lse } = attention(q, Tensor.zeros(shape), Tensor.zeros(shape), {
          causal: true,
          dropout: { p: 0.5, seed: 1 },
        });
        expect(out.shape).toEqual(shape);
        expect(lse.shape).toEqual(shape.slice(0, 3));
        const g = { dq: Tensor.zeros(shape), dk: Tensor.zeros(shape), dv: Tensor.zeros(shape) };
        attentionBackward(q, Tensor.zeros(shape), Tensor.zeros(shape), out, lse, out, g, { causal: true });
        expect(rotary(q).shape).toEqual(shape);
      });
    });
  }
});

describe('attentionWorkspaceBytes', () => {
  test('scratch stops growing at seq 64 and is far below seq x seq at 512', () => {
    const w64 = attentionWorkspaceBytes(64, 64);
    const w512 = attentionWorkspaceBytes(512, 64);
    expect(w512).toBe(w64);
    expect(w512).toBeLessThan(4 * 512 * 512);
    expect(attentionWorkspaceBytes(17, 64)).toBeLessThan(w64);
  });

  test('no memory is left allocated by forward and backward', () => {
    const shape: Shape = [1, 2, 40, 8];
    const x = inputs(shape, 70);
    tidy(() => {
      const { q, k, v } = tensors(shape, x);
      const keyMask = Tensor.fromArray(Float32Array.from(x.mask), [1, 40]);
      const before = memoryInUse();
      const r = attention(q, k, v, { keyMask });
      const g = { dq: Tensor.zeros(shape), dk: Tensor.zeros(shape), dv: Tensor.zeros(shape) };
      attentionBackward(q, k, v, r.out, r.lse, r.out, g, { keyMask });
      const live = [r.out, r.lse, g.dq, g.dk, g.dv].reduce((s, t) => s + t.byteLength, 0);
      expect(memoryInUse() - before).toBeLessThanOrEqual(live + 5 * 16);
    });
  });
});

describe('rotary position embedding', () => {
  for (const [shape, base, offset] of [
    [[1, 1, 1, 2], undefined, undefined],
    [[2, 3, 5, 6], undefined, 3],
    [[1, 2, 17, 64], 500, 0],
    [[3, 7, 10], 10000, 100],
    [[9, 18], 10, 2],
  ] as [number[], number | undefined, number | undefined][]) {
    test(`forward = reference and backward = finite differences ${shape.join('x')} base=${base} offset=${offset}`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const D = shape[shape.length - 1]!;
      const S = shape[shape.length - 2]!;
      const N = n / (S * D);
      const xs = seeded(n, n);
      const o = { base, offset };
      tidy(() => {
        const x = Tensor.fromArray(xs, shape);
        const y = rotary(x, o);
        expectClose(y.toArray(), refRotary(xs, N, S, D, base, offset), { rtol: 1e-5, atol: 1e-6 });
        // L = sum(dy * rotary(x)) is linear in x: central differences of the float64 reference.
        const dyv = seeded(n, n + 1);
        const start = seeded(n, n + 2);
        const dx = Tensor.fromArray(start, shape);
        rotaryBackward(Tensor.fromArray(dyv, shape), dx, o);
        const xd = Float64Array.from(xs);
        const fd = new Float64Array(n);
        const eps = 1e-3;
        const L = () => refRotary(xd, N, S, D, base, offset).reduce((s, yv, i) => s + yv * dyv[i]!, 0);
        for (let i = 0; i < n && i < 600; i++) {
          const keep = xd[i]!;
          xd[i] = keep + eps;
          const up = L();
          xd[i] = keep - eps;
          const down = L();
          xd[i] = keep;
          fd[i] = (up - down) / (2 * eps) + start[i]!;
        }
        const got = dx.toArray();
        const m = Math.min(n, 600);
        expectClose(got.subarray(0, m), fd.subarray(0, m), { rtol: 1e-4, atol: 1e-5 });
      });
    });
  }

  test('in place (out = x) gives the same bits as out of place', () => {
    const xs = seeded(2 * 9 * 10, 3);
    tidy(() => {
      const a = rotary(Tensor.fromArray(xs, [2, 9, 10]), { offset: 4 }).toArray();
      const x = Tensor.fromArray(xs, [2, 9, 10]);
      expect(rotary(x, { offset: 4, out: x })).toBe(x);
      expectSameBits(x.toArray(), a);
    });
  });
});

describe('bad input gives typed errors', () => {
  test('attention and attentionBackward', () => {
    tidy(() => {
      const shape: Shape = [2, 2, 5, 4];
      const q = Tensor.zeros(shape);
      const k = Tensor.zeros(shape);
      const v = Tensor.zeros(shape);
      expect(() => attention(q, Tensor.zeros([2, 2, 6, 4]), v)).toThrow(ShapeError);
      expect(() => attention(q, k, Tensor.zeros([2, 2, 5, 3]))).toThrow(ShapeError);
      expect(() => attention(Tensor.zeros([2, 5, 4]), k, v)).toThrow(ShapeError);
      expect(() => attention(Tensor.zeros(shape, 'int32'), k, v)).toThrow(DTypeError);
      expect(() => attention(q, k, v, { keyMask: Tensor.zeros([2, 4], 'int32') })).toThrow(ShapeError);
      expect(() => attention(q, k, v, { keyMask: Tensor.fromArray(new Int32Array(10).fill(2), [2, 5]) })).toThrow(
        ArgumentError,
      );
      expect(() => attention(q, k, v, { scale: Number.NaN })).toThrow(ArgumentError);
      expect(() => attention(q, k, v, { dropout: { p: 1, seed: 0 } })).toThrow(ArgumentError);
      expect(() => attention(q, k, v, { dropout: { p: -0.1, seed: 0 } })).toThrow(ArgumentError);
      expect(() => attention(q, k, v, { dropout: { p: 0.1, seed: -1 } })).toThrow(ArgumentError);
      expect(() => attention(q, k, v, { dropout: { p: 0.1, seed: 1, stream: 2 ** 32 } })).toThrow(ArgumentError);
      expect(() => attention(q, k, v, { out: q })).toThrow(ArgumentError);
      expect(() => attention(q, k, v, { out: Tensor.zeros([2, 2, 5, 5]) })).toThrow(ShapeError);
      const { out, lse } = attention(q, k, v);
      const g = { dq: Tensor.zeros(shape), dk: Tensor.zeros(shape), dv: Tensor.zeros(shape) };
      expect(() => attentionBackward(q, k, v, out, Tensor.zeros([2, 2, 4]), out, g)).toThrow(ShapeError);
      expect(() => attentionBackward(q, k, v, out, lse, Tensor.zeros([2, 2, 5, 3]), g)).toThrow(ShapeError);
      expect(() => attentionBackward(q, k, v, out, lse, out, { ...g, dk: g.dq })).toThrow(ArgumentError);
      expect(() => attentionBackward(q, k, v, out, lse, out, { ...g, dv: Tensor.zeros(shape, 'int32') })).toThrow(
        DTypeError,
      );
      expect(() => attentionWorkspaceBytes(-1, 4)).toThrow(ArgumentError);
    });
  });

  test('rotary', () => {
    tidy(() => {
      expect(() => rotary(Tensor.zeros([2, 3, 5]))).toThrow(ArgumentError);
      expect(() => rotary(Tensor.zeros([4]))).toThrow(ShapeError);
      expect(() => rotary(Tensor.zeros([2, 4], 'int32'))).toThrow(DTypeError);
      expect(() => rotary(Tensor.zeros([2, 4]), { base: 0 })).toThrow(ArgumentError);
      expect(() => rotary(Tensor.zeros([2, 4]), { offset: 1.5 })).toThrow(ArgumentError);
      expect(() => rotary(Tensor.zeros([2, 4]), { out: Tensor.zeros([2, 6]) })).toThrow(ShapeError);
      const dy = Tensor.zeros([2, 4]);
      expect(() => rotaryBackward(dy, dy)).toThrow(ArgumentError);
      expect(() => rotaryBackward(dy, Tensor.zeros([3, 4]))).toThrow(ShapeError);
    });
  });
});
