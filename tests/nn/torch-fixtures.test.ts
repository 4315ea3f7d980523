// LSTM, GRU, RNN and Conv1d against PyTorch 1.13's own torch.nn modules
// (scripts/rnn-fixture.py, committed fixture in tests/fixtures/rnn: the page
// fetches it from the dev server, Node reads it from disk). PyTorch's state
// dicts load by name; outputs, final states and the gradients of every
// parameter and of x for a fixed weighted-sum loss match to 1e-5 (absolute
// plus relative), on unpadded batches, on batches packed with
// pack_padded_sequence (our mask) and from given initial states.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { readFixture } from '../helpers/fixtures.js';
import { Tensor } from '../../src/core/tensor.js';
import { step, variable } from '../../src/autograd/tape.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { GRU, LSTM, RNN, type RNNBase } from '../../src/nn/rnn.js';
import { Conv1d } from '../../src/nn/conv.js';

const FILES: Record<string, URL> = {
  'expected.json': new URL('../fixtures/rnn/expected.json', import.meta.url),
  'lstm.safetensors': new URL('../fixtures/rnn/lstm.safetensors', import.meta.url),
  'gru.safetensors': new URL('../fixtures/rnn/gru.safetensors', import.meta.url),
  'rnn_tanh.safetensors': new URL('../fixtures/rnn/rnn_tanh.safetensors', import.meta.url),
  'rnn_relu.safetensors': new URL('../fixtures/rnn/rnn_relu.safetensors', import.meta.url),
  'conv_same3.safetensors': new URL('../fixtures/rnn/conv_same3.safetensors', import.meta.url),
  'conv_same4d2.safetensors': new URL('../fixtures/rnn/conv_same4d2.safetensors', import.meta.url),
  'conv_same4.safetensors': new URL('../fixtures/rnn/conv_same4.safetensors', import.meta.url),
  'conv_s2p1k5.safetensors': new URL('../fixtures/rnn/conv_s2p1k5.safetensors', import.meta.url),
  'conv_valid2.safetensors': new URL('../fixtures/rnn/conv_valid2.safetensors', import.meta.url),
};
const get = (name: string): Promise<Uint8Array> => readFixture(FILES[name]!, name);

interface RecurrentCase {
  lengths: number[];
  x: number[];
  R: number[];
  R2: number[];
  output: number[];
  hN: number[];
  cN?: number[];
  h0?: number[];
  c0?: number[];
  loss: number;
  grads: Record<string, number[]>;
  gradX: number[];
}
interface RecurrentFixture {
  config: {
    mode: 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    bidirectional: boolean;
    batch: number;
    seq: number;
    keys: string[];
  };
  cases: Record<'full' | 'packed' | 'h0', RecurrentCase>;
}
interface ConvFixture {
  config: {
    inChannels: number;
    outChannels: number;
    kernelSize: number;
    padding: 'same' | 'valid' | number;
    dilation: number;
    stride: number;
    batch: number;
    seq: number;
    outSeq: number;
  };
  x: number[];
  R: number[];
  output: number[];
  loss: number;
  grads: Record<string, number[]>;
  gradX: number[];
}

let expected: Record<string, unknown>;
const weights: Record<string, Uint8Array> = {};

beforeAll(async () => {
  await initForTests();
  expected = JSON.parse(new TextDecoder().decode(await get('expected.json'))) as Record<string, unknown>;
  for (const name of Object.keys(FILES)) if (name.endsWith('.safetensors')) weights[name] = await get(name);
});

/** Every element within 1e-5 (1 + |want|), over the indices `keep` selects; fails naming the worst. Returns the worst error. */
function expectMatch(
  label: string,
  got: ArrayLike<number>,
  want: readonly number[],
  keep?: (i: number) => boolean,
): number {
  expect(got.length, `${label}: length`).toBe(want.length);
  let worst = -1;
  let worstErr = 0;
  let checked = 0;
  for (let i = 0; i < want.length; i++) {
    if (keep !== undefined && !keep(i)) continue;
    checked++;
    const err = Math.abs(got[i]! - want[i]!) / (1 + Math.abs(want[i]!));
    if (!(err <= worstErr)) {
      worstErr = err;
      worst = i;
    }
  }
  expect(checked).toBeGreaterThan(0);
  expect(
    worstErr,
    `${label}: max |ours − torch| / (1 + |torch|) ${worstErr.toExponential(2)} at ${worst} (ours ${got[worst]}, torch ${want[worst]})`,
  ).toBeLessThanOrEqual(1e-5);
  return worstErr;
}

function makeRecurrent(c: RecurrentFixture['config']): RNNBase {
  const o = { numLayers: c.numLayers, bidirectional: c.bidirectional };
  if (c.mode === 'lstm') return new LSTM(c.inputSize, c.hiddenSize, o);
  if (c.mode === 'gru') return new GRU(c.inputSize, c.hiddenSize, o);
  return new RNN(c.inputSize, c.hiddenSize, { ...o, nonlinearity: c.mode === 'rnn_tanh' ? 'tanh' : 'relu' });
}

describe.each(['lstm', 'gru', 'rnn_tanh', 'rnn_relu'])('%s against torch.nn', (name) => {
  test('state_dict keys in PyTorch order; the PyTorch file loads strictly', () => {
    const fx = expected[name] as RecurrentFixture;
    const m = makeRecurrent(fx.config);
    expect(Object.keys(m.stateDict())).toEqual(fx.config.keys);
    const r = m.loadStateDict(decodeSafetensors(weights[`${name}.safetensors`]!).tensors);
    expect(r).toEqual({ missing: [], unexpected: [] });
    m.dispose();
  });

  test.each(['full', 'packed', 'h0'] as const)(
    '%s: output, h_n (c_n), loss and every gradient within 1e-5',
    (which) => {
      const fx = expected[name] as RecurrentFixture;
      const { batch: B, seq: T, hiddenSize: H, numLayers: L } = fx.config;
      const dirs = fx.config.bidirectional ? 2 : 1;
      const D = dirs * H;
      const cs = fx.cases[which];
      const m = makeRecurrent(fx.config);
      m.loadStateDict(decodeSafetensors(weights[`${name}.safetensors`]!).tensors);
      const x = Tensor.fromArray(Float32Array.from(cs.x), [B, T, fx.config.inputSize]);
      const padded = cs.lengths.some((n) => n < T);
      const maskData = new Int32Array(B * T);
      for (let b = 0; b < B; b++) maskData.fill(1, b * T, b * T + cs.lengths[b]!);
      const mask = padded ? Tensor.fromArray(maskData, [B, T], 'int32') : undefined;
      const stateShape = [L * dirs, B, H];
      const h0 = cs.h0 === undefined ? undefined : Tensor.fromArray(Float32Array.from(cs.h0), stateShape);
      const c0 = cs.c0 === undefined ? undefined : Tensor.fromArray(Float32Array.from(cs.c0), stateShape);
      // d loss / d output: R at the real positions, plus R2's last-layer rows of h_n where the
      // output holds them: the forward state at T − 1 (carried over the padding), the reverse at 0.
      const G = Float64Array.from(cs.R);
      const last = (L - 1) * dirs;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          G[(b * T + T - 1) * D + j]! += cs.R2[(last * B + b) * H + j]!;
          if (dirs === 2) G[b * T * D + H + j]! += cs.R2[((last + 1) * B + b) * H + j]!;
        }
      }
      m.zeroGrad();
      const { out, h, c, gx, loss } = step(() => {
        const xv = variable(x, { requiresGrad: true });
        const r = m.forward(xv, { mask, h0, c0 });
        const seed = Tensor.fromArray(G, r.output.shape);
        r.output.backward(seed);
        seed.dispose();
        const ov = r.output.value.view();
        let s = 0;
        for (let i = 0; i < ov.length; i++) s += ov[i]! * G[i]!;
        return { out: r.output.value.toArray(), h: r.h, c: r.c, gx: xv.grad!.toArray(), loss: s };
      });
      const real = (i: number) => {
        const b = Math.floor(i / (T * D));
        const t = Math.floor(i / D) % T;
        return t < cs.lengths[b]!;
      };
      const fwdErr = Math.max(
        expectMatch(`${name} ${which} output`, out, cs.output, real),
        expectMatch(`${name} ${which} h_n`, h.view(), cs.hN),
        fx.config.mode === 'lstm' ? expectMatch(`${name} ${which} c_n`, c!.view(), cs.cN!) : 0,
      );
      if (fx.config.mode !== 'lstm') expect(c).toBeNull();
      expect(Math.abs(loss - cs.loss) / (1 + Math.abs(cs.loss))).toBeLessThan(1e-5);
      let gradErr = 0;
      for (const [k, p] of m.namedParameters())
        gradErr = Math.max(gradErr, expectMatch(`${name} ${which} grad ${k}`, p.grad!.view(), cs.grads[k]!));
      expect(Object.keys(cs.grads).sort()).toEqual(
        m
          .namedParameters()
          .map(([k]) => k)
          .sort(),
      );
      gradErr = Math.max(gradErr, expectMatch(`${name} ${which} grad x`, gx, cs.gradX));
      console.log(
        `torch fixture ${name} ${which}: max error / (1 + |torch|) forward ${fwdErr.toExponential(2)}, gradients ${gradErr.toExponential(2)}`,
      );
      for (const t of [x, mask, h0, c0, h, c]) t?.dispose();
      m.dispose();
    },
  );
});

describe.each(['conv_same3', 'conv_same4d2', 'conv_same4', 'conv_s2p1k5', 'conv_valid2'])(
  '%s against torch.nn.Conv1d',
  (name) => {
    test('output, gradients of weight, bias and x within 1e-5', () => {
      const fx = expected[name] as ConvFixture;
      const c = fx.config;
      const m = new Conv1d(c.inChannels, c.outChannels, c.kernelSize, {
        padding: c.padding,
        dilation: c.dilation,
        stride: c.stride,
      });
      expect(m.loadStateDict(decodeSafetensors(weights[`${name}.safetensors`]!).tensors)).toEqual({
        missing: [],
        unexpected: [],
      });
      const x = Tensor.fromArray(Float32Array.from(fx.x), [c.batch, c.seq, c.inChannels]);
      m.zeroGrad();
      const { out, shape, gx, loss } = step(() => {
        const xv = variable(x, { requiresGrad: true });
        const y = m.forward(xv);
        const seed = Tensor.fromArray(Float32Array.from(fx.R), y.shape);
        y.backward(seed);
        seed.dispose();
        const yv = y.value.view();
        let s = 0;
        for (let i = 0; i < yv.length; i++) s += yv[i]! * fx.R[i]!;
        return { out: y.value.toArray(), shape: [...y.shape], gx: xv.grad!.toArray(), loss: s };
      });
      expect(shape).toEqual([c.batch, c.outSeq, c.outChannels]);
      const fwdErr = expectMatch(`${name} output`, out, fx.output);
      expect(Math.abs(loss - fx.loss) / (1 + Math.abs(fx.loss))).toBeLessThan(1e-5);
      let gradErr = expectMatch(`${name} grad x`, gx, fx.gradX);
      for (const [k, p] of m.namedParameters())
        gradErr = Math.max(gradErr, expectMatch(`${name} grad ${k}`, p.grad!.view(), fx.grads[k]!));
      console.log(
        `torch fixture ${name}: max error / (1 + |torch|) forward ${fwdErr.toExponential(2)}, gradients ${gradErr.toExponential(2)}`,
      );
      x.dispose();
      m.dispose();
    });
  },
);
