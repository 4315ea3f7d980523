import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { gradCheck } from '../helpers/gradcheck.js';
import { seededValues } from '../reference/softmax.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import * as F from '../../src/autograd/functional.js';
import { type Variable, tape } from '../../src/autograd/tape.js';
import { memoryStats } from '../../src/core/runtime.js';

beforeAll(async () => {
  await initForTests();
  // The GEMM workspaces are made on first use and kept: make them before any leak check.
  tidy(() => {
    F.matmul(Tensor.zeros([1, 1]), Tensor.zeros([1, 1]));
    F.linear(Tensor.zeros([1, 1]), Tensor.zeros([1, 1]));
  });
  tape.release();
});

let seedCounter = 100;
/** A seeded float32 tensor, uniform in [-scale, scale]. */
const rnd = (shape: number[], scale = 1) =>
  Tensor.fromArray(
    Float32Array.from(
      seededValues(
        shape.reduce((a, b) => a * b, 1),
        seedCounter++,
        scale,
      ),
    ),
    shape,
  );

/** Run a test body and check that nothing it made (inputs included) outlives it. */
function leakFree(body: () => void): void {
  const before = memoryStats().bytesInUse;
  tidy(body);
  expect(memoryStats().bytesInUse).toBe(before);
}

describe('every op backward = central finite differences (through the tape)', () => {
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ]) {
    test(`matmul transposeA=${ta} transposeB=${tb}, bias, and ReLU epilogue`, () =>
      leakFree(() => {
        const [M, K, N] = [3, 5, 4];
        const a = rnd(ta ? [K, M] : [M, K]),
          b = rnd(tb ? [N, K] : [K, N]),
          bias = rnd([N]);
        gradCheck((A, B, C) => F.matmul(A, B, { transposeA: ta, transposeB: tb, bias: C }), [a, b, bias]);
        gradCheck(
          (A, B, C) => F.matmul(A, B, { transposeA: ta, transposeB: tb, bias: C, activation: 'relu' }),
          [a, b, bias],
          { eps: 1e-3 },
        );
      }));
  }

  test('linear over [2, 3, 5] with bias, with and without ReLU', () =>
    leakFree(() => {
      const x = rnd([2, 3, 5]),
        w = rnd([4, 5]),
        b = rnd([4]);
      gradCheck((X, W, B) => F.linear(X, W, B), [x, w, b]);
      gradCheck((X, W, B) => F.linear(X, W, B, { activation: 'relu' }), [x, w, b], { eps: 1e-3 });
      gradCheck((X, W) => F.linear(X, W), [x, w]);
    }));

  test('add (same shape and bias broadcast), mul, scale, sum, mean', () =>
    leakFree(() => {
      const a = rnd([3, 5]),
        b = rnd([3, 5]),
        c = rnd([5]);
      gradCheck((A, B) => F.add(A, B), [a, b]);
      gradCheck((A, C) => F.add(A, C), [a, c]);
      gradCheck((A, B) => F.mul(A, B), [a, b]);
      gradCheck((A) => F.mul(A, A), [a]);
      gradCheck((A) => F.scale(A, -1.7), [a]);
      gradCheck((A) => F.sum(A), [a]);
      gradCheck((A) => F.mean(F.mul(A, A)), [a]);
    }));

  test('reshape, transpose, splitHeads, mergeHeads, concat, slice, split', () =>
    leakFree(() => {
      const x = rnd([2, 3, 6]),
        y = rnd([2, 3, 1]);
      gradCheck((X) => F.reshape(X, [6, -1]), [x]);
      gradCheck((X) => F.transpose(X), [x]);
      gradCheck((X) => F.splitHeads(X, 3), [x]);
      gradCheck((X) => F.mergeHeads(F.splitHeads(X, 2)), [x]);
      gradCheck((X, Y) => F.concat([Y, X, Y]), [x, y]);
      gradCheck((X) => F.slice(X, 1, 4), [x]);
      gradCheck(
        (X) => {
          const [a, , c] = F.split(X, [2, 1, 3]);
          return F.mul(a!, F.slice(c!, 0, 2));
        },
        [x],
      );
    }));

  test('embedding with repeated ids (scatter-add)', () =>
    leakFree(() => {
      const w = rnd([6, 5]);
      const ids = Tensor.fromArray(Int32Array.from([1, 4, 1, 0, 5, 1]), [2, 3], 'int32');
      gradCheck((W) => F.embedding(W, ids), [w]);
    }));

  test('layerNorm: x, gamma and beta', () =>
    leakFree(() => {
      const x = rnd([3, 7], 2),
        g = rnd([7]),
        b = rnd([7]);
      gradCheck((X, G, B) => F.layerNorm(X, G, B), [x, g, b], { eps: 3e-3 });
    }));

  test('relu, gelu (erf and tanh), tanh, sigmoid', () =>
    leakFree(() => {
      const x = rnd([4, 5], 3);
      gradCheck((X) => F.relu(X), [x], { eps: 1e-3 });
      gradCheck((X) => F.gelu(X), [x]);
      gradCheck((X) => F.gelu(X, { approximate: 'tanh' }), [x]);
      gradCheck((X) => F.tanh(X), [x]);
      gradCheck((X) => F.sigmoid(X), [x]);
    }));

  test('dropout (mask regenerated from seed, stream, counter); p = 0 is the identity', () =>
    leakFree(() => {
      const x = rnd([3, 11]);
      gradCheck((X) => F.dropout(X, { p: 0.3, seed: 7, stream: 2, counter: 5 }), [x]);
      gradCheck((X) => F.dropout(X, { p: 0, seed: 7 }), [x]);
    }));

  for (const c of [
    { name: 'plain' },
    { name: 'key mask + causal', mask: true, causal: true },
    { name: 'dropout', dropout: { p: 0.25, seed: 3, counter: 9 } },
    { name: 'rotary + key mask', rotary: true, mask: true },
  ]) {
    test(`attention: ${c.name}`, () =>
      leakFree(() => {
        const [B, H, S, D] = [2, 2, 5, 4];
        const q = rnd([B, H, S, D]),
          k = rnd([B, H, S, D]),
          v = rnd([B, H, S, D]);
        const keyMask = c.mask
          ? Tensor.fromArray(Int32Array.from([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]), [B, S], 'int32')
          : undefined;
        gradCheck(
          (Q, K, V) => F.attention(Q, K, V, { keyMask, causal: c.causal, dropout: c.dropout, rotary: c.rotary }),
          [q, k, v],
        );
      }));
  }

  test('rotary alone, with an offset', () =>
    leakFree(() => {
      const x = rnd([2, 5, 6]);
      gradCheck((X) => F.rotary(X, { offset: 3 }), [x]);
    }));

  test('crossEntropy: ignoreIndex, label smoothing, rank-3 logits', () =>
    leakFree(() => {
      const logits = rnd([6, 5], 2);
      const t = Tensor.fromArray(Int32Array.from([0, 4, -100, 2, 2, 1]), [6], 'int32');
      gradCheck((L) => F.crossEntropy(L, t), [logits]);
      gradCheck((L) => F.crossEntropy(L, t, { labelSmoothing: 0.1 }), [logits]);
      const l3 = rnd([2, 3, 5], 2);
      const t3 = Tensor.fromArray(Int32Array.from([0, 4, 7, 2, 2, 1]), [2, 3], 'int32');
      gradCheck((L) => F.crossEntropy(L, t3, { ignoreIndex: 7 }), [l3]);
    }));

  test('pooling: mean and max with a padding mask, first token', () =>
    leakFree(() => {
      const x = rnd([3, 7, 5]);
      const mask = Tensor.fromArray(
        Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
        [3, 7],
        'int32',
      );
      gradCheck((X) => F.meanPool(X, { mask }), [x]);
      gradCheck((X) => F.meanPool(X), [x]);
      gradCheck((X) => F.maxPool(X, { mask }), [x], { eps: 1e-3 });
      gradCheck((X) => F.firstPool(X), [x]);
    }));
});

describe('composite: linear → gelu → layerNorm → attention → mean pool → linear → cross-entropy', () => {
  test('every input and parameter = central finite differences', () =>
    leakFree(() => {
      const [B, S, Din, Dm, H, C] = [2, 3, 4, 6, 2, 3];
      const x = rnd([B, S, Din]);
      const w1 = rnd([Dm, Din], 0.6),
        b1 = rnd([Dm], 0.1);
      const g = rnd([Dm], 1),
        be = rnd([Dm], 0.1);
      const wq = rnd([Dm, Dm], 0.5),
        wk = rnd([Dm, Dm], 0.5),
        wv = rnd([Dm, Dm], 0.5);
      const w2 = rnd([C, Dm], 0.5),
        b2 = rnd([C], 0.1);
      const mask = Tensor.fromArray(Int32Array.from([1, 1, 1, 1, 1, 0]), [B, S], 'int32');
      const targets = Tensor.fromArray(Int32Array.from([2, 0]), [B], 'int32');
      const model = (
        X: Variable,
        W1: Variable,
        B1: Variable,
        G: Variable,
        BE: Variable,
        WQ: Variable,
        WK: Variable,
        WV: Variable,
        W2: Variable,
        B2: Variable,
      ) => {
        const h = F.layerNorm(F.gelu(F.linear(X, W1, B1)), G, BE);
        const q = F.splitHeads(F.linear(h, WQ), H),
          k = F.splitHeads(F.linear(h, WK), H),
          v = F.splitHeads(F.linear(h, WV), H);
        const a = F.mergeHeads(F.attention(q, k, v, { keyMask: mask }));
        const pooled = F.meanPool(F.add(a, h), { mask });
        return F.crossEntropy(F.linear(pooled, W2, B2), targets);
      };
      gradCheck(model as (...xs: Variable[]) => Variable, [x, w1, b1, g, be, wq, wk, wv, w2, b2], { eps: 3e-3 });
    }));
});

describe('shared inputs', () => {
  test('self-attention on one Variable (q = k = v) sums the three gradients', () =>
    leakFree(() => {
      const x = rnd([1, 2, 4, 4]);
      gradCheck((X) => F.attention(X, X, X, { causal: true }), [x]);
      gradCheck((X) => F.attention(X, X, F.scale(X, 2), { rotary: true }), [x]);
    }));
});
