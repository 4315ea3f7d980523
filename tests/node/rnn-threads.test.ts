// The recurrent ops with setThreads(2): the input projection and the weight and
// input gradients are threaded GEMMs (the time loops stay on the calling thread),
// so the outputs, final states and every gradient are bit-identical to one thread.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { init, rt, shutdown } from '../../src/core/runtime.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { setThreads } from '../../src/core/threads.js';
import { type RnnMode, rnn, rnnBackward, rnnGates } from '../../src/ops/rnn.js';
import { expectSameBits } from '../helpers/assert.js';
import { installPlatform } from '../helpers/runtime.js';
import { zeroRnnGrads } from '../helpers/rnn-grads.js';
import { seededValues } from '../reference/softmax.js';

/** Split even the smallest GEMMs. */
const ALWAYS = { gemmMinMacs: 0, attentionMinMacs: 0 };

beforeAll(async () => {
  installPlatform();
  await init({ threads: 2 });
});
afterAll(() => shutdown());

const f32 = (n: number, seed: number, scale = 0.5) => Float32Array.from(seededValues(n, seed, scale));

/** Forward and backward of one mode; every result copied out. */
function run(mode: RnnMode, B: number, T: number, I: number, H: number, reverse: boolean): Float32Array[] {
  return tidy(() => {
    const G = rnnGates(mode);
    const GH = G * H;
    const x = Tensor.fromArray(f32(B * T * I, 1, 1), [B, T, I]);
    const wi = Tensor.fromArray(f32(GH * I, 2, 0.3), [GH, I]);
    const wh = Tensor.fromArray(f32(GH * H, 3, 0.3), [GH, H]);
    const bi = Tensor.fromArray(f32(GH, 4), [GH]);
    const bh = Tensor.fromArray(f32(GH, 5), [GH]);
    const mask = Tensor.fromArray(
      Int32Array.from({ length: B * T }, (_, i) => (i % T < T - (Math.floor(i / T) % 4) ? 1 : 0)),
      [B, T],
      'int32',
    );
    const options = {
      h0: Tensor.fromArray(f32(B * H, 6), [B, H]),
      c0: mode === 'lstm' ? Tensor.fromArray(f32(B * H, 7), [B, H]) : undefined,
      mask,
      reverse,
    };
    const res = rnn(mode, x, wi, wh, bi, bh, options);
    const into = zeroRnnGrads(mode, B, T, I, H, true);
    const grads = {
      dout: Tensor.fromArray(f32(B * T * H, 8), [B, T, H]),
      dh: Tensor.fromArray(f32(B * H, 9), [B, H]),
      dc: mode === 'lstm' ? Tensor.fromArray(f32(B * H, 10), [B, H]) : undefined,
    };
    rnnBackward(mode, x, wi, wh, bi, bh, res, grads, into, options);
    const all = [res.out, res.h, res.c, ...Object.values(into)].filter((t): t is Tensor => t instanceof Tensor);
    const copies = all.map((t) => t.toArray() as Float32Array);
    res.saved.dispose();
    return copies;
  });
}

describe('rnn and rnnBackward: setThreads(2) = setThreads(1), bit for bit', () => {
  for (const mode of ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'] as RnnMode[]) {
    for (const reverse of [false, true]) {
      test(`${mode}${reverse ? ' reverse' : ''}, B=6 T=9 I=37 H=29 with a mask`, () => {
        const pool = rt('t').pool!;
        setThreads(1);
        const one = run(mode, 6, 9, 37, 29, reverse);
        setThreads(2, ALWAYS);
        const spy = vi.spyOn(pool, 'runTask');
        try {
          const two = run(mode, 6, 9, 37, 29, reverse);
          expect(spy.mock.calls.length).toBeGreaterThan(0);
          expect(two.length).toBe(one.length);
          for (const [i, t] of two.entries()) expectSameBits(t, one[i]!);
        } finally {
          spy.mockRestore();
          setThreads(1);
        }
      });
    }
  }
});
