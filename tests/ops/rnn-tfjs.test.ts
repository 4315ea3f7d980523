// The recurrent ops against TensorFlow.js's recurrent layers (tfjs-layers on the
// tfjs-core CPU backend), with the layer's weights set from ours: kernel = W_ih^T,
// recurrentKernel = W_hh^T, bias = b_ih + b_hh. Keras' masking is ours (a masked step
// carries the states and outputs the carried h); goBackwards returns the outputs in
// processing order, so its step s is our step T - 1 - s. Gradients come from
// tf.variableGrads of sum(out * R) over the layer's variables and x.
//
// GRU is not compared: tfjs-layers' GRU has only reset_after = false (the reset gate
// multiplies h before the recurrent kernel, and a GRU layer built with resetAfter
// throws), while PyTorch's GRU, and ours, apply it after (r ⊙ (h W_hn^T + b_hn)).
// The PyTorch fixtures of the nn modules cover the GRU.
import { beforeAll, describe, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { zeroRnnGrads } from '../helpers/rnn-grads.js';
import { seededValues } from '../reference/softmax.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { type RnnMode, rnn, rnnBackward, rnnGates } from '../../src/ops/rnn.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const f32 = (n: number, seed: number, scale = 0.5) => Float32Array.from(seededValues(n, seed, scale));

/** [rows, cols] row-major -> [cols, rows]. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/** Step s of [B, T, H] in processing order of a goBackwards layer -> our step order. */
function unreverse(a: Float32Array, B: number, T: number, H: number): Float32Array {
  const o = new Float32Array(a.length);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < T; s++) o.set(a.subarray((b * T + s) * H, (b * T + s + 1) * H), (b * T + T - 1 - s) * H);
  return o;
}

const CASES = [
  { name: 'plain', masked: false, reverse: false, states: false },
  { name: 'h0/c0 and a mask with padding and a hole', masked: true, reverse: false, states: true },
  { name: 'reverse (goBackwards) with a mask and h0/c0', masked: true, reverse: true, states: true },
];

describe('rnn = tf.layers.lstm / tf.layers.simpleRNN (forward, and gradients by tf.variableGrads)', () => {
  const [B, T, I, H] = [3, 6, 5, 7];
  const maskV = Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0]);
  for (const mode of ['lstm', 'rnn_tanh', 'rnn_relu'] as RnnMode[]) {
    for (const c of CASES) {
      test(`${mode}: ${c.name}`, () => {
        const G = rnnGates(mode);
        const GH = G * H;
        const xv = f32(B * T * I, 1, 1);
        const wih = f32(GH * I, 2, 0.6);
        const whh = f32(GH * H, 3, 0.4);
        const bih = f32(GH, 4, 0.3);
        const bhh = f32(GH, 5, 0.3);
        const h0v = f32(B * H, 6, 0.8);
        const c0v = f32(B * H, 7, 0.8);
        const R = f32(B * T * H, 8, 1);

        const theirs = tf.tidy(() => {
          const layer =
            mode === 'lstm'
              ? tfl.layers.lstm({
                  units: H,
                  kernelInitializer: 'zeros',
                  recurrentInitializer: 'zeros',
                  recurrentActivation: 'sigmoid',
                  returnSequences: true,
                  goBackwards: c.reverse,
                })
              : tfl.layers.simpleRNN({
                  units: H,
                  kernelInitializer: 'zeros',
                  recurrentInitializer: 'zeros',
                  activation: mode === 'rnn_relu' ? 'relu' : 'tanh',
                  returnSequences: true,
                  goBackwards: c.reverse,
                });
          // Build by a call (layer.build alone leaves the layer unbuilt, and the next call adds
          // its weights again); zeros initializers, as setWeights replaces them (the default
          // orthogonal one throws 'rMat.flatten is not a function' in this setup).
          layer.apply(tf.zeros([B, T, I]));
          const bias = Float32Array.from(bih, (v, j) => Math.fround(v + bhh[j]!));
          layer.setWeights([
            tf.tensor2d(transpose(wih, GH, I), [I, GH]),
            tf.tensor2d(transpose(whh, GH, H), [H, GH]),
            tf.tensor1d(bias),
          ]);
          const x = tf.variable(tf.tensor3d(xv, [B, T, I]));
          const kwargs: Record<string, unknown> = {};
          if (c.masked) kwargs.mask = tf.cast(tf.tensor2d(Float32Array.from(maskV), [B, T]), 'bool');
          if (c.states) {
            kwargs.initialState =
              mode === 'lstm' ? [tf.tensor2d(h0v, [B, H]), tf.tensor2d(c0v, [B, H])] : [tf.tensor2d(h0v, [B, H])];
          }
          const vars = [x, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
          let out: Float32Array = new Float32Array(0);
          const { grads } = tf.variableGrads(() => {
            const y = layer.apply(x, kwargs) as tf.Tensor;
            out = y.dataSync() as Float32Array;
            return tf.sum(tf.mul(y, tf.tensor3d(R, [B, T, H])));
          }, vars);
          const g = vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
          layer.dispose();
          return { out, dx: g[0]!, dkernel: g[1]!, drecurrent: g[2]!, dbias: g[3]! };
        });

        tidy(() => {
          const x = Tensor.fromArray(xv, [B, T, I]);
          const Wi = Tensor.fromArray(wih, [GH, I]);
          const Wh = Tensor.fromArray(whh, [GH, H]);
          const Bi = Tensor.fromArray(bih, [GH]);
          const Bh = Tensor.fromArray(bhh, [GH]);
          const options = {
            h0: c.states ? Tensor.fromArray(h0v, [B, H]) : undefined,
            c0: c.states && mode === 'lstm' ? Tensor.fromArray(c0v, [B, H]) : undefined,
            mask: c.masked ? Tensor.fromArray(maskV, [B, T], 'int32') : undefined,
            reverse: c.reverse,
          };
          const res = rnn(mode, x, Wi, Wh, Bi, Bh, options);
          const want = c.reverse ? unreverse(theirs.out, B, T, H) : theirs.out;
          expectClose(res.out.toArray(), want, { rtol: 1e-5, atol: 1e-5 });

          const into = zeroRnnGrads(mode, B, T, I, H);
          const dout = Tensor.fromArray(c.reverse ? unreverse(R, B, T, H) : R, [B, T, H]);
          rnnBackward(mode, x, Wi, Wh, Bi, Bh, res, { dout }, into, options);
          const tol = { rtol: 1e-4, atol: 1e-5 };
          expectClose(into.dx.toArray(), theirs.dx, tol);
          expectClose(transpose(into.dweightIh.toArray() as Float32Array, GH, I), theirs.dkernel, tol);
          expectClose(transpose(into.dweightHh.toArray() as Float32Array, GH, H), theirs.drecurrent, tol);
          expectClose(into.dbiasIh.toArray(), theirs.dbias, tol);
          expectClose(into.dbiasHh.toArray(), theirs.dbias, tol);
          res.saved.dispose();
        });
      });
    }
  }
});
