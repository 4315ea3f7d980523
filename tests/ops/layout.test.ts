import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { seededValues } from '../reference/softmax.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import {
  concatLast,
  concatLastBackward,
  mergeHeads,
  mergeHeadsBackward,
  reshape,
  reshapeBackward,
  splitHeads,
  splitHeadsBackward,
  transposeLast2,
  transposeLast2Backward,
} from '../../src/ops/layout.js';
import { linear, linearBackward } from '../../src/ops/linear.js';
import { ShapeError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
});

const f32 = (x: ArrayLike<number>) => Float32Array.from(x);

describe('layout ops move elements exactly; backward accumulates', () => {
  for (const [B, S, H, D] of [
    [1, 1, 1, 1],
    [2, 7, 3, 5],
    [3, 5, 4, 17],
  ] as [number, number, number, number][]) {
    test(`split/merge heads [${B}, ${S}, ${H}x${D}]`, () => {
      tidy(() => {
        const xv = f32(seededValues(B * S * H * D, S + D));
        const x = Tensor.fromArray(xv, [B, S, H * D]);
        const y = splitHeads(x, H);
        expect(y.shape).toEqual([B, H, S, D]);
        const want = new Float32Array(xv.length);
        for (let b = 0; b < B; b++)
          for (let s = 0; s < S; s++)
            for (let h = 0; h < H; h++)
              for (let d = 0; d < D; d++) {
                want[((b * H + h) * S + s) * D + d] = xv[(b * S + s) * H * D + h * D + d]!;
              }
        expectSameBits(y.toArray() as Float32Array, want);
        expectSameBits(mergeHeads(y).toArray() as Float32Array, xv);
        const dx = Tensor.fromArray(xv, [B, S, H * D]);
        splitHeadsBackward(y, dx);
        expectSameBits(
          dx.toArray() as Float32Array,
          xv.map((v) => v + v),
        );
        const dh = Tensor.zeros([B, H, S, D]);
        mergeHeadsBackward(x, dh);
        expectSameBits(dh.toArray() as Float32Array, want);
      });
    });
  }

  for (const [N, R, C] of [
    [1, 1, 1],
    [2, 3, 5],
    [3, 8, 4],
    [1, 9, 17],
  ] as [number, number, number][]) {
    test(`transposeLast2 [${N}, ${R}, ${C}]`, () => {
      tidy(() => {
        const xv = f32(seededValues(N * R * C, R * C));
        const x = Tensor.fromArray(xv, [N, R, C]);
        const y = transposeLast2(x);
        const want = new Float32Array(xv.length);
        for (let n = 0; n < N; n++)
          for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) want[(n * C + c) * R + r] = xv[(n * R + r) * C + c]!;
        expectSameBits(y.toArray() as Float32Array, want);
        const dx = Tensor.zeros([N, R, C]);
        transposeLast2Backward(y, dx);
        transposeLast2Backward(y, dx);
        expectSameBits(
          dx.toArray() as Float32Array,
          xv.map((v) => v + v),
        );
      });
    });
  }

  test('concatLast and its backward; reshape with -1', () => {
    tidy(() => {
      const a = Tensor.fromArray(f32(seededValues(2 * 3 * 1, 1)), [2, 3, 1]);
      const b = Tensor.fromArray(f32(seededValues(2 * 3 * 5, 2)), [2, 3, 5]);
      const y = concatLast([a, b]);
      expect(y.shape).toEqual([2, 3, 6]);
      const yv = y.toArray(),
        av = a.toArray(),
        bv = b.toArray();
      for (let r = 0; r < 6; r++) {
        expect(yv[r * 6]).toBe(av[r]);
        for (let c = 0; c < 5; c++) expect(yv[r * 6 + 1 + c]).toBe(bv[r * 5 + c]);
      }
      const db = Tensor.zeros([2, 3, 5]);
      concatLastBackward(y, [1, 5], [null, db]);
      expectSameBits(db.toArray() as Float32Array, bv as Float32Array);
      expect(() => concatLast([a, Tensor.zeros([2, 4, 5])])).toThrow(ShapeError);
      const rs = reshape(y, [-1, 6]);
      expect(rs.shape).toEqual([6, 6]);
      expectSameBits(rs.toArray() as Float32Array, yv as Float32Array);
      const dy = Tensor.zeros([2, 3, 6]);
      reshapeBackward(rs, dy);
      expectSameBits(dy.toArray() as Float32Array, yv as Float32Array);
      expect(() => reshape(y, [5, -1])).toThrow(ShapeError);
    });
  });
});

describe('linear (x W^T + b over any leading shape) = float64 reference', () => {
  for (const [lead, K, N, relu] of [
    [[1], 1, 1, false],
    [[2, 3], 5, 7, false],
    [[3, 7], 17, 5, true],
  ] as [number[], number, number, boolean][]) {
    test(`x ${JSON.stringify([...lead, K])} W [${N}, ${K}] relu=${relu}`, () => {
      tidy(() => {
        const M = lead.reduce((p, q) => p * q, 1);
        const xv = f32(seededValues(M * K, K)),
          wv = f32(seededValues(N * K, N)),
          bv = f32(seededValues(N, 3));
        const x = Tensor.fromArray(xv, [...lead, K]),
          w = Tensor.fromArray(wv, [N, K]),
          bias = Tensor.fromArray(bv, [N]);
        const activation = relu ? 'relu' : 'none';
        const y = linear(x, w, { bias, activation });
        expect(y.shape).toEqual([...lead, N]);
        const z = new Float64Array(M * N);
        for (let m = 0; m < M; m++)
          for (let n = 0; n < N; n++) {
            let s = bv[n]!;
            for (let k = 0; k < K; k++) s += xv[m * K + k]! * wv[n * K + k]!;
            z[m * N + n] = relu ? Math.max(0, s) : s;
          }
        expectClose(y.toArray(), z, { rtol: 1e-5, atol: 1e-5 });
        const gv = f32(seededValues(M * N, 11));
        const g = Float64Array.from(gv, (v, i) => (relu && z[i]! <= 0 ? 0 : v));
        const dx = Tensor.zeros(x.shape),
          dw = Tensor.fromArray(new Float32Array(N * K).fill(1), [N, K]),
          db = Tensor.zeros([N]);
        linearBackward(x, w, y, Tensor.fromArray(gv, y.shape), { dx, dweight: dw, dbias: db }, { activation });
        const rdx = new Float64Array(M * K),
          rdw = new Float64Array(N * K).fill(1),
          rdb = new Float64Array(N);
        for (let m = 0; m < M; m++)
          for (let n = 0; n < N; n++) {
            const gg = g[m * N + n]!;
            rdb[n]! += gg;
            for (let k = 0; k < K; k++) {
              rdx[m * K + k]! += gg * wv[n * K + k]!;
              rdw[n * K + k]! += gg * xv[m * K + k]!;
            }
          }
        expectClose(dx.toArray(), rdx, { rtol: 1e-5, atol: 1e-5 });
        expectClose(dw.toArray(), rdw, { rtol: 1e-5, atol: 1e-5 });
        expectClose(db.toArray(), rdb, { rtol: 1e-5, atol: 1e-5 });
      });
    });
  }
});
