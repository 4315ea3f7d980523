import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectClose, expectSameBits } from '../helpers/assert.js';
import { moduleGradCheck } from '../helpers/nn-gradcheck.js';
import { valueRange } from '../helpers/value-range.js';
import { seededValues } from '../reference/softmax.js';
import { refConv1d, refConvGeometry } from '../reference/conv.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { noGrad, step } from '../../src/autograd/tape.js';
import * as F from '../../src/autograd/functional.js';
import { Conv1d } from '../../src/nn/conv.js';
import { Module, StateDictError } from '../../src/nn/module.js';
import { ArgumentError } from '../../src/core/errors.js';

beforeAll(async () => {
  await initForTests();
});

const data = (n: number, seed: number, scale = 1) => Float32Array.from(seededValues(n, seed, scale));

describe('nn.Conv1d', () => {
  test('parameters weight [out, in, k] and bias [out] under PyTorch names; bias: false has none', () => {
    const c = new Conv1d(3, 5, 4);
    expect(c.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [5, 3, 4]],
      ['bias', [5]],
    ]);
    const nb = new Conv1d(3, 5, 4, { bias: false });
    expect(nb.bias).toBeNull();
    expect(nb.namedParameters().map(([n]) => n)).toEqual(['weight']);
    const parent = new Module();
    parent.addModule('conv', nb);
    expect(parent.namedParameters().map(([n]) => n)).toEqual(['conv.weight']);
    c.dispose();
    nb.dispose();
  });

  test("init as PyTorch's default: weight and bias U(-1/sqrt(in k), 1/sqrt(in k)); seeded", () => {
    const [inC, outC, k] = [16, 32, 5];
    const c = new Conv1d(inC, outC, k, { seed: 3 });
    const bound = 1 / Math.sqrt(inC * k);
    for (const [name, p] of c.namedParameters()) {
      const { lo, hi, mean } = valueRange(p.value.toArray());
      expect(lo, name).toBeGreaterThanOrEqual(-bound);
      expect(hi, name).toBeLessThanOrEqual(bound);
      if (name === 'weight') {
        // 2560 draws: they fill the interval and centre on 0.
        expect(hi).toBeGreaterThan(0.95 * bound);
        expect(lo).toBeLessThan(-0.95 * bound);
        expect(Math.abs(mean)).toBeLessThan(0.05 * bound);
      }
    }
    const same = new Conv1d(inC, outC, k, { seed: 3 });
    const other = new Conv1d(inC, outC, k, { seed: 4 });
    expectSameBits(same.weight.value.view() as Float32Array, c.weight.value.view() as Float32Array);
    expect(Array.from(other.weight.value.toArray())).not.toEqual(Array.from(c.weight.value.toArray()));
    for (const m of [c, same, other]) m.dispose();
  });

  test('a PyTorch state_dict (weight [out, in, k], bias [out]) loads by name; forward = float64 reference', () => {
    tidy(() => {
      const [B, T, inC, outC, k] = [2, 9, 3, 4, 3];
      const c = new Conv1d(inC, outC, k, { padding: 1, stride: 2, dilation: 2 });
      const wv = data(outC * inC * k, 1, 0.5);
      const bv = data(outC, 2);
      c.loadStateDict({ weight: { shape: [outC, inC, k], data: wv }, bias: { shape: [outC], data: bv } });
      // A TensorFlow-layout kernel [k, in, out] is refused by shape.
      expect(() => c.loadStateDict({ weight: { shape: [k, inC, outC], data: wv }, bias: bv })).toThrow(
        /"weight" must have shape \[4, 3, 3\], got \[3, 3, 4\]/,
      );
      expect(() => c.loadStateDict({ weight: wv })).toThrow(StateDictError);
      const xv = data(B * T * inC, 3);
      const mv = Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
      const mask = Tensor.fromArray(mv, [B, T], 'int32');
      const y = noGrad(() => c.forward(Tensor.fromArray(xv, [B, T, inC]), { mask }));
      const g = refConvGeometry(T, k, 1, 2, 2);
      expect(y.shape).toEqual([B, g.Tout, outC]);
      expectClose(y.value.toArray(), refConv1d(xv, wv, bv, mv, B, T, inC, outC, k, g), { rtol: 1e-5, atol: 1e-6 });
      c.dispose();
    });
  });

  test('forward is F.conv1d with the module options', () => {
    tidy(() => {
      const c = new Conv1d(3, 2, 4, { padding: 'same', dilation: 2, seed: 1 });
      const x = Tensor.fromArray(data(2 * 7 * 3, 5), [2, 7, 3]);
      const a = noGrad(() => c.forward(x));
      const b = noGrad(() => F.conv1d(x, c.weight, c.bias, { padding: 'same', dilation: 2 }));
      expect(a.shape).toEqual([2, 7, 2]);
      expectSameBits(a.value.view() as Float32Array, b.value.view() as Float32Array);
      c.dispose();
    });
  });

  test('gradients of input, weight and bias = finite differences (masked)', () => {
    tidy(() => {
      const c = new Conv1d(3, 4, 3, { padding: 'same', seed: 2 });
      const mask = Tensor.fromArray(Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]), [2, 6], 'int32');
      const x = Tensor.fromArray(data(2 * 6 * 3, 6), [2, 6, 3]);
      const n = moduleGradCheck(c, (v) => c.forward(v, { mask }), [x]);
      expect(n).toBe(36 + 36 + 4);
      c.dispose();
    });
  });

  test('a training step: gradients land in weight.grad and bias.grad', () => {
    tidy(() => {
      const c = new Conv1d(2, 3, 2, { seed: 7 });
      const x = Tensor.fromArray(data(1 * 5 * 2, 8), [1, 5, 2]);
      step(() => F.sum(c.forward(x)).backward());
      const T = 4;
      // d sum / d bias = the number of output positions.
      expect(Array.from(c.bias!.grad!.toArray())).toEqual([T, T, T]);
      expect(c.weight.grad!.toArray().some((v) => v !== 0)).toBe(true);
      c.dispose();
    });
  });

  test('errors: sizes, options, forward options', () => {
    expect(() => new Conv1d(0, 2, 3)).toThrow(/Conv1d: inChannels must be a positive integer, got 0/);
    expect(() => new Conv1d(2, 2.5, 3)).toThrow(ArgumentError);
    expect(() => new Conv1d(2, 2, 0)).toThrow(/kernelSize must be a positive integer/);
    expect(() => new Conv1d(2, 2, 3, { padding: 'same', stride: 2 })).toThrow(/stride must be 1 with padding 'same'/);
    expect(() => new Conv1d(2, 2, 3, { padding: -2 })).toThrow(/Conv1d: padding must be/);
    expect(() => new Conv1d(2, 2, 3, { dilation: 0 })).toThrow(/dilation must be a positive integer/);
    expect(() => new Conv1d(2, 2, 3, { bias: 1 as never })).toThrow(/bias must be a boolean/);
    expect(() => new Conv1d(2, 2, 3, { kernel: 3 } as never)).toThrow(ArgumentError);
    tidy(() => {
      const c = new Conv1d(2, 2, 3);
      expect(() => c.forward(Tensor.zeros([1, 5, 3]))).toThrow(/weight must have shape \[out, 3, K\]/);
      expect(() => c.forward(Tensor.zeros([1, 2, 2]))).toThrow(/x must have at least 3 positions/);
      expect(() => c.forward(Tensor.zeros([1, 5, 2]), { masks: undefined } as never)).toThrow(/did you mean 'mask'/);
      c.dispose();
    });
  });
});
