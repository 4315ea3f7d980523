import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { gradCheck } from '../helpers/gradcheck.js';
import { maskTensor } from '../helpers/masks.js';
import { expectFlatHeap } from '../helpers/heap.js';
import { seededValues } from '../reference/softmax.js';
import { type RefRnnArgs, refGates, refRnn, refRnnBackward } from '../reference/rnn.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { memoryStats } from '../../src/core/runtime.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/core/errors.js';
import { type RnnGrads, type RnnMode, rnn, rnnBackward, rnnGates } from '../../src/ops/rnn.js';
import * as F from '../../src/autograd/functional.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { type Variable, step, tape } from '../../src/autograd/tape.js';

beforeAll(async () => {
  await initForTests();
});

const MODES: RnnMode[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'];
const f32 = (n: number, seed: number, scale = 0.5) => Float32Array.from(seededValues(n, seed, scale));

/**
 * A [B, T] mask with every kind of row: right padding (ragged lengths), all padding,
 * and holes in the middle; B = 1 gets the holes.
 */
function makeMask(B: number, T: number): Int32Array {
  const m = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const kind = B === 1 ? 2 : b % 3;
    for (let t = 0; t < T; t++) {
      const keep = kind === 0 ? t < Math.max(1, T - 2) : kind === 1 ? false : t % 3 !== 1;
      m[b * T + t] = keep ? 1 : 0;
    }
  }
  return m;
}

const SHAPES: [number, number, number, number][] = [];
for (const B of [1, 3])
  for (const T of [1, 7]) for (const I of [1, 5]) for (const H of [1, 3, 17]) SHAPES.push([B, T, I, H]);

describe('rnn = float64 reference (forward outputs, final states, every gradient, accumulation)', () => {
  for (const mode of MODES) {
    for (const masked of ['none', 'int32', 'float32'] as const) {
      for (const reverse of [false, true]) {
        test(`${mode} mask ${masked}${reverse ? ' reverse' : ''}: B 1,3 x T 1,7 x I 1,5 x H 1,3,17`, () => {
          for (const [n, [B, T, I, H]] of SHAPES.entries()) {
            tidy(() => checkCase(mode, masked, reverse, n, B, T, I, H));
          }
        });
      }
    }
  }
});

function checkCase(
  mode: RnnMode,
  masked: 'none' | 'int32' | 'float32',
  reverse: boolean,
  n: number,
  B: number,
  T: number,
  I: number,
  H: number,
): void {
  const G = rnnGates(mode);
  const GH = G * H;
  const seed = n * 31 + G * 7;
  const a: RefRnnArgs = {
    mode,
    B,
    T,
    I,
    H,
    x: f32(B * T * I, seed + 1, 1),
    wih: f32(GH * I, seed + 2, 0.6),
    whh: f32(GH * H, seed + 3, 0.9 / Math.sqrt(H)),
    // Some cases without one bias or the other, or without initial states.
    bih: n % 4 === 3 ? null : f32(GH, seed + 4, 0.4),
    bhh: n % 5 === 4 ? null : f32(GH, seed + 5, 0.4),
    h0: n % 3 === 2 ? undefined : f32(B * H, seed + 6, 0.8),
    c0: mode !== 'lstm' || n % 3 === 1 ? undefined : f32(B * H, seed + 7, 0.8),
    mask: masked === 'none' ? undefined : makeMask(B, T),
    reverse,
  };
  const t = (v: ArrayLike<number> | null | undefined, shape: number[]) =>
    v === null || v === undefined ? undefined : Tensor.fromArray(Float32Array.from(v), shape);
  const x = t(a.x, [B, T, I])!;
  const wih = t(a.wih, [GH, I])!;
  const whh = t(a.whh, [GH, H])!;
  const bih = t(a.bih, [GH]) ?? null;
  const bhh = t(a.bhh, [GH]) ?? null;
  const mask = maskTensor(a.mask, [B, T], masked);
  const options = { h0: t(a.h0, [B, H]), c0: t(a.c0, [B, H]), mask, reverse };
  const label = `${mode} B=${B} T=${T} I=${I} H=${H}`;

  const res = rnn(mode, x, wih, whh, bih, bhh, options);
  const ref = refRnn(a);
  const tol = { rtol: 2e-6, atol: 2e-6 };
  expect(res.out.shape, label).toEqual([B, T, H]);
  expectClose(res.out.toArray(), ref.out, tol);
  expectClose(res.h.toArray(), ref.h, tol);
  if (mode === 'lstm') expectClose(res.c!.toArray(), ref.c!, tol);
  else expect(res.c).toBeNull();

  // Upstream gradients: all of them, dout only, or the final states only.
  const which = n % 3;
  const dout = which === 2 ? undefined : f32(B * T * H, seed + 8);
  const dh = which === 1 ? undefined : f32(B * H, seed + 9);
  const dc = which === 1 || mode !== 'lstm' ? undefined : f32(B * H, seed + 10);
  const want = refRnnBackward(a, dout, dh, dc);
  // Accumulation onto non-zero buffers.
  const start = {
    dx: f32(B * T * I, seed + 11),
    dweightIh: f32(GH * I, seed + 12),
    dweightHh: f32(GH * H, seed + 13),
    dbiasIh: f32(GH, seed + 14),
    dbiasHh: f32(GH, seed + 15),
    dh0: f32(B * H, seed + 16),
    dc0: f32(B * H, seed + 17),
  };
  const into: RnnGrads = {
    dx: Tensor.fromArray(start.dx, [B, T, I]),
    dweightIh: Tensor.fromArray(start.dweightIh, [GH, I]),
    dweightHh: Tensor.fromArray(start.dweightHh, [GH, H]),
    dh0: Tensor.fromArray(start.dh0, [B, H]),
  };
  if (bih !== null) into.dbiasIh = Tensor.fromArray(start.dbiasIh, [GH]);
  if (bhh !== null) into.dbiasHh = Tensor.fromArray(start.dbiasHh, [GH]);
  if (mode === 'lstm') into.dc0 = Tensor.fromArray(start.dc0, [B, H]);
  rnnBackward(
    mode,
    x,
    wih,
    whh,
    bih,
    bhh,
    res,
    { dout: t(dout, [B, T, H]), dh: t(dh, [B, H]), dc: t(dc, [B, H]) },
    into,
    options,
  );
  const plus = (s: Float32Array, d: Float64Array) => Float64Array.from(d, (v, i) => v + s[i]!);
  const gtol = { rtol: 1e-5, atol: 2e-6 };
  expectClose(into.dx!.toArray(), plus(start.dx, want.dx), gtol);
  expectClose(into.dweightIh!.toArray(), plus(start.dweightIh, want.dwih), gtol);
  expectClose(into.dweightHh!.toArray(), plus(start.dweightHh, want.dwhh), gtol);
  expectClose(into.dh0!.toArray(), plus(start.dh0, want.dh0), gtol);
  if (into.dbiasIh) expectClose(into.dbiasIh.toArray(), plus(start.dbiasIh, want.dbih), gtol);
  if (into.dbiasHh) expectClose(into.dbiasHh.toArray(), plus(start.dbiasHh, want.dbhh), gtol);
  if (into.dc0) expectClose(into.dc0.toArray(), plus(start.dc0, want.dc0), gtol);
  res.saved.dispose();
}

describe('rnn edge cases', () => {
  test('T = 0 returns h0 / c0 as the final states and passes dh, dc to dh0, dc0; B = 0 gives empty outputs', () => {
    tidy(() => {
      const [B, I, H] = [2, 3, 4];
      const h0 = Tensor.fromArray(f32(B * H, 1), [B, H]);
      const c0 = Tensor.fromArray(f32(B * H, 2), [B, H]);
      const x = Tensor.zeros([B, 0, I]);
      const wih = Tensor.fromArray(f32(4 * H * I, 3), [4 * H, I]);
      const whh = Tensor.fromArray(f32(4 * H * H, 4), [4 * H, H]);
      const res = rnn('lstm', x, wih, whh, null, null, { h0, c0 });
      expect(res.out.shape).toEqual([B, 0, H]);
      expect(Array.from(res.h.toArray())).toEqual(Array.from(h0.toArray()));
      expect(Array.from(res.c!.toArray())).toEqual(Array.from(c0.toArray()));
      const dh0 = Tensor.zeros([B, H]);
      const dc0 = Tensor.zeros([B, H]);
      const dW = Tensor.zeros([4 * H, H]);
      rnnBackward('lstm', x, wih, whh, null, null, res, { dh: h0, dc: c0 }, { dh0, dc0, dweightHh: dW }, { h0, c0 });
      expect(Array.from(dh0.toArray())).toEqual(Array.from(h0.toArray()));
      expect(Array.from(dc0.toArray())).toEqual(Array.from(c0.toArray()));
      expect(Array.from(dW.toArray()).every((v) => v === 0)).toBe(true);
      const e = rnn('gru', Tensor.zeros([0, 5, I]), Tensor.zeros([3 * H, I]), Tensor.zeros([3 * H, H]), null, null);
      expect(e.out.shape).toEqual([0, 5, H]);
      expect(e.h.shape).toEqual([0, H]);
    });
  });

  test('a step whose mask is 0 carries the state exactly (same bits) and the output is the carried h', () => {
    tidy(() => {
      const [B, T, I, H] = [2, 5, 3, 6];
      const x = Tensor.fromArray(f32(B * T * I, 1, 1), [B, T, I]);
      const mask = Tensor.fromArray(Int32Array.from([1, 1, 0, 0, 1, 1, 0, 1, 1, 0]), [B, T], 'int32');
      for (const mode of MODES) {
        const G = rnnGates(mode);
        const wih = Tensor.fromArray(f32(G * H * I, 2), [G * H, I]);
        const whh = Tensor.fromArray(f32(G * H * H, 3), [G * H, H]);
        const res = rnn(mode, x, wih, whh, null, null, { mask });
        const o = res.out.toArray();
        const row = (b: number, t: number) => Array.from(o.subarray((b * T + t) * H, (b * T + t + 1) * H));
        expect(row(0, 2), mode).toEqual(row(0, 1));
        expect(row(0, 3), mode).toEqual(row(0, 1));
        expect(row(1, 1), mode).toEqual(row(1, 0));
        expect(row(1, 4), mode).toEqual(row(1, 3));
        expect(Array.from(res.h.toArray()).slice(H), mode).toEqual(row(1, 3));
        // Reverse with right padding: the padded tail leaves h0 (zeros) unchanged.
        const rv = rnn(mode, x, wih, whh, null, null, { mask, reverse: true });
        expect(Array.from(rv.out.toArray().subarray((1 * T + 4) * H, (1 * T + 5) * H)).every((v) => v === 0)).toBe(
          true,
        );
        res.saved.dispose();
        rv.saved.dispose();
      }
    });
  });
});

describe('rnn through the tape = finite differences', () => {
  const [B, T, I, H] = [2, 4, 2, 3];
  for (const mode of MODES) {
    for (const variant of ['plain', 'mask+reverse'] as const) {
      test(`${mode} ${variant}: d/dx, weights, biases, h0${mode === 'lstm' ? ', c0' : ''}`, () => {
        tidy(() => {
          const G = rnnGates(mode);
          const mask =
            variant === 'plain' ? undefined : Tensor.fromArray(Float32Array.from([1, 0, 1, 1, 1, 1, 0, 0]), [B, T]);
          const inputs = [
            Tensor.fromArray(f32(B * T * I, 1, 1), [B, T, I]),
            Tensor.fromArray(f32(G * H * I, 2, 0.7), [G * H, I]),
            Tensor.fromArray(f32(G * H * H, 3, 0.7), [G * H, H]),
            Tensor.fromArray(f32(G * H, 4, 0.4), [G * H]),
            Tensor.fromArray(f32(G * H, 5, 0.4), [G * H]),
            Tensor.fromArray(f32(B * H, 6, 0.8), [B, H]),
          ];
          if (mode === 'lstm') inputs.push(Tensor.fromArray(f32(B * H, 7, 0.8), [B, H]));
          const build = (...v: Variable[]) => {
            const r = F.rnn(mode, v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, {
              h0: v[5],
              c0: v[6],
              mask,
              reverse: variant !== 'plain',
            });
            r.h.dispose();
            r.c?.dispose();
            return r.output;
          };
          gradCheck(build, inputs, { eps: mode === 'rnn_relu' ? 1e-3 : 1e-2, rtol: 1e-2, atol: 2e-3 });
        });
      });
    }
  }
});

describe('rnn errors are typed and name the argument', () => {
  test('mode, shapes, dtypes, mask values, options, c0 for a non-LSTM', () => {
    tidy(() => {
      const [B, T, I, H] = [2, 3, 4, 5];
      const x = Tensor.zeros([B, T, I]);
      const w = (G: number) => [Tensor.zeros([G * H, I]), Tensor.zeros([G * H, H])] as const;
      const [wi, wh] = w(4);
      expect(() => rnn('lstmx' as RnnMode, x, wi, wh, null, null)).toThrow(ArgumentError);
      expect(() => rnn('lstmx' as RnnMode, x, wi, wh, null, null)).toThrow(
        /^rnn: mode must be 'lstm', 'gru', 'rnn_tanh' or 'rnn_relu', got "lstmx"/,
      );
      expect(() => rnnGates('x' as RnnMode)).toThrow(ArgumentError);
      expect(() => rnn('lstm', Tensor.zeros([B, T]), wi, wh, null, null)).toThrow(/^rnn: x must have rank 3/);
      expect(() => rnn('gru', x, wi, wh, null, null)).toThrow(ShapeError);
      expect(() => rnn('gru', x, wi, wh, null, null)).toThrow(/^rnn: weightHh must have shape \[3·H, H\]/);
      expect(() => rnn('lstm', x, Tensor.zeros([4 * H, I + 1]), wh, null, null)).toThrow(
        /^rnn: weightIh must have shape \[20, 4\], got \[20, 5\]/,
      );
      expect(() => rnn('lstm', x, wi, wh, Tensor.zeros([H]), null)).toThrow(/^rnn: biasIh must have shape \[20\]/);
      expect(() => rnn('lstm', Tensor.zeros([B, T, I], 'int32'), wi, wh, null, null)).toThrow(DTypeError);
      expect(() => rnn('lstm', x, wi, wh, null, null, { h0: Tensor.zeros([B, H + 1]) })).toThrow(
        /^rnn: h0 must have shape \[2, 5\], got \[2, 6\]/,
      );
      expect(() => rnn('lstm', x, wi, wh, null, null, { h0: Tensor.zeros([B, H], 'int32') })).toThrow(DTypeError);
      const [gi, gh] = w(3);
      expect(() => rnn('gru', x, gi, gh, null, null, { c0: Tensor.zeros([B, H]) })).toThrow(
        /^rnn: c0 must be absent for mode 'gru'/,
      );
      expect(() => rnn('lstm', x, wi, wh, null, null, { mask: Tensor.zeros([B, T + 1], 'int32') })).toThrow(
        /^rnn: mask must have shape \[2, 3\], got \[2, 4\]/,
      );
      expect(() => rnn('lstm', x, wi, wh, null, null, { mask: Tensor.fromArray([1, 0, 2, 1, 1, 1], [B, T]) })).toThrow(
        /^rnn: mask must hold only 0 and 1, got 2 at index 2/,
      );
      expect(() => rnn('lstm', x, wi, wh, null, null, { reverse: 1 as unknown as boolean })).toThrow(
        /^rnn: reverse must be a boolean, got number 1/,
      );
      expect(() => rnn('lstm', x, wi, wh, null, null, { revers: true } as never)).toThrow(
        /^rnn: options must have only the keys h0, c0, mask, reverse, got 'revers'; did you mean 'reverse'\?/,
      );
      expect(() => F.rnn('rnn_tanh', x, w(1)[0], w(1)[1], null, null, { c0: Tensor.zeros([B, H]) })).toThrow(
        ArgumentError,
      );
    });
  });

  test('rnnBackward: result of another call, other options, disposed saved tensors, gradient shapes', () => {
    tidy(() => {
      const [B, T, I, H] = [2, 3, 4, 5];
      const x = Tensor.fromArray(f32(B * T * I, 1), [B, T, I]);
      const wi = Tensor.fromArray(f32(4 * H * I, 2), [4 * H, I]);
      const wh = Tensor.fromArray(f32(4 * H * H, 3), [4 * H, H]);
      const mask = Tensor.fromArray(Int32Array.from([1, 1, 0, 1, 0, 0]), [B, T], 'int32');
      const res = rnn('lstm', x, wi, wh, null, null, { mask });
      const dout = Tensor.zeros([B, T, H]);
      const dx = Tensor.zeros([B, T, I]);
      const back = (o: object, into: RnnGrads = { dx }, g: object = { dout }, r = res, m: RnnMode = 'lstm') =>
        rnnBackward(m, x, wi, wh, null, null, r, g, into, o);
      expect(() => back({})).toThrow(/^rnnBackward: options.mask must be the forward's/);
      expect(() => back({ mask, reverse: true })).toThrow(/^rnnBackward: options.reverse must be the forward's/);
      expect(() => back({ mask }, { dx: Tensor.zeros([B, T, I + 1]) })).toThrow(
        /^rnnBackward: into.dx must have shape \[2, 3, 4\], got \[2, 3, 5\]/,
      );
      expect(() => back({ mask }, { dx: x })).toThrow(/^rnnBackward: each gradient must not be an input/);
      expect(() => back({ mask }, { dx }, { dout: Tensor.zeros([B, T]) })).toThrow(
        /^rnnBackward: grads.dout must have rank 3/,
      );
      expect(() => back({ mask }, { dbiasIh: Tensor.zeros([4 * H]) })).toThrow(
        /^rnnBackward: into.dbiasIh must be absent when biasIh is null/,
      );
      expect(() => back({ mask }, { dx }, { dout }, { ...res, saved: { tensors: [], dispose() {} } })).toThrow(
        /^rnnBackward: result must be what rnn returned/,
      );
      const other = rnn('lstm', Tensor.zeros([B, T, I]), wi, wh, null, null, { mask });
      expect(() => back({ mask }, { dx }, { dout }, other)).toThrow(/^rnnBackward: result must come from rnn/);
      back({ mask });
      res.saved.dispose();
      expect(() => back({ mask })).toThrow(/^rnnBackward: result must not be disposed/);
      other.saved.dispose();
      const g = rnn('gru', x, Tensor.zeros([3 * H, I]), Tensor.zeros([3 * H, H]), null, null);
      expect(() =>
        rnnBackward('gru', x, Tensor.zeros([3 * H, I]), Tensor.zeros([3 * H, H]), null, null, g, {}, {}),
      ).toThrow(/^rnnBackward: result must come from rnn/);
      g.saved.dispose();
    });
  });
});

describe('rnn memory', () => {
  test('training steps through F.rnn (every mode, float mask, h0/c0 parameters) leave nothing behind', () => {
    const [B, T, I, H] = [3, 5, 4, 6];
    const mask = Tensor.fromArray(Float32Array.from(makeMask(B, T)), [B, T]);
    const x = Tensor.fromArray(f32(B * T * I, 1), [B, T, I]);
    const params = MODES.map((mode, k) => {
      const G = rnnGates(mode);
      return [
        new Parameter(Tensor.fromArray(f32(G * H * I, 10 + k), [G * H, I])),
        new Parameter(Tensor.fromArray(f32(G * H * H, 20 + k), [G * H, H])),
        new Parameter(Tensor.fromArray(f32(G * H, 30 + k), [G * H])),
        new Parameter(Tensor.fromArray(f32(G * H, 40 + k), [G * H])),
        new Parameter(Tensor.fromArray(f32(B * H, 50 + k), [B, H])),
        new Parameter(Tensor.fromArray(f32(B * H, 60 + k), [B, H])),
      ];
    });
    const once = () =>
      step(() => {
        let loss: Variable | undefined;
        for (const [k, mode] of MODES.entries()) {
          const [wi, wh, bi, bh, h0, c0] = params[k]!;
          const r = F.rnn(mode, x, wi!, wh!, bi!, bh!, {
            h0: h0!,
            c0: mode === 'lstm' ? c0! : undefined,
            mask,
            reverse: k % 2 === 1,
          });
          r.h.dispose();
          r.c?.dispose();
          const s = F.sum(r.output);
          loss = loss === undefined ? s : F.add(loss, s);
        }
        loss!.backward();
        for (const p of params.flat()) p.zeroGrad();
        return loss!.item();
      });
    expectFlatHeap(once, 20);
    expect(tape.tensorCount).toBe(0);
    // An error inside the forward frees what it made.
    const bad = Tensor.fromArray(new Float32Array(B * T).fill(1), [B, T]);
    bad.view()[B * T - 1] = 0.5;
    const b0 = memoryStats();
    expect(() => rnn('lstm', x, params[0]![0]!.value, params[0]![1]!.value, null, null, { mask: bad })).toThrow(
      ArgumentError,
    );
    expect(memoryStats().blocks).toBe(b0.blocks);
    bad.dispose();
    for (const p of params.flat()) p.dispose();
    for (const t of [mask, x]) t.dispose();
  });
});

test('refGates agrees with rnnGates', () => {
  for (const m of MODES) expect(rnnGates(m)).toBe(refGates(m));
});
