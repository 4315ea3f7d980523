// The encoder's forward against an independent implementation: the same
// computation written with @tensorflow/tfjs-core ops (CPU backend), fed the
// module's parameters by their Hugging Face names. Pins down what the names
// mean and what post-norm and pre-norm compute; sinusoidal positions against
// the formula.
import { beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { Tensor } from '../../src/core/tensor.js';
import { noGrad, tape } from '../../src/autograd/tape.js';
import { TransformerEmbeddings, TransformerEncoder, type Activation } from '../../src/nn/index.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const [B, S, D, H, FF] = [2, 5, 8, 2, 12];
const MASK = Int32Array.of(1, 1, 1, 1, 1, 1, 1, 1, 0, 0);

function reference(
  x: Float32Array,
  P: Record<string, Float32Array>,
  shapes: Record<string, readonly number[]>,
  o: { norm: 'pre' | 'post'; layers: number; activation: Activation },
): Float32Array {
  return tf.tidy(() => {
    const p = (n: string) => tf.tensor(P[n]!, [...shapes[n]!]);
    const lin = (h: tf.Tensor, name: string, din: number, dout: number) =>
      tf.reshape(tf.add(tf.matMul(tf.reshape(h, [B * S, din]), p(`${name}.weight`), false, true), p(`${name}.bias`)), [
        B,
        S,
        dout,
      ]);
    const ln = (h: tf.Tensor, name: string) => {
      const { mean, variance } = tf.moments(h, -1, true);
      return tf.add(
        tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5))), p(`${name}.weight`)),
        p(`${name}.bias`),
      );
    };
    const heads = (h: tf.Tensor) => tf.transpose(tf.reshape(h, [B, S, H, D / H]), [0, 2, 1, 3]);
    const bias = tf.reshape(tf.mul(tf.sub(1, tf.tensor(Float32Array.from(MASK), [B, S])), -1e9), [B, 1, 1, S]);
    const attn = (h: tf.Tensor, pre: string) => {
      const q = heads(lin(h, `${pre}attention.self.query`, D, D));
      const k = heads(lin(h, `${pre}attention.self.key`, D, D));
      const v = heads(lin(h, `${pre}attention.self.value`, D, D));
      const probs = tf.softmax(tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(D / H)), bias));
      const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B, S, D]);
      return lin(ctx, `${pre}attention.output.dense`, D, D);
    };
    const act = (h: tf.Tensor) => {
      if (o.activation === 'relu') return tf.relu(h);
      if (o.activation === 'gelu') return tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.div(h, Math.SQRT2))));
      const c = Math.sqrt(2 / Math.PI);
      return tf.mul(tf.mul(h, 0.5), tf.add(1, tf.tanh(tf.mul(c, tf.add(h, tf.mul(0.044715, tf.pow(h, 3)))))));
    };
    const ffn = (h: tf.Tensor, pre: string) =>
      lin(act(lin(h, `${pre}intermediate.dense`, D, FF)), `${pre}output.dense`, FF, D);
    let h: tf.Tensor = tf.tensor(x, [B, S, D]);
    for (let i = 0; i < o.layers; i++) {
      const pre = `layer.${i}.`;
      if (o.norm === 'post') {
        h = ln(tf.add(h, attn(h, pre)), `${pre}attention.output.LayerNorm`);
        h = ln(tf.add(h, ffn(h, pre)), `${pre}output.LayerNorm`);
      } else {
        h = tf.add(h, attn(ln(h, `${pre}attention.output.LayerNorm`), pre));
        h = tf.add(h, ffn(ln(h, `${pre}output.LayerNorm`), pre));
      }
    }
    if (o.norm === 'pre') h = ln(h, 'LayerNorm');
    return h.dataSync() as Float32Array;
  });
}

describe('TransformerEncoder = the same encoder in tfjs-core, by Hugging Face names', () => {
  for (const [norm, activation] of [
    ['post', 'gelu'],
    ['pre', 'gelu_tanh'],
    ['pre', 'relu'],
  ] as const) {
    test(`${norm}-norm, ${activation}, key-padding mask, 2 layers (eval mode: dropout off)`, () => {
      const enc = new TransformerEncoder({
        layers: 2,
        dim: D,
        heads: H,
        ffnDim: FF,
        dropout: 0.3,
        norm,
        activation,
        seed: 12,
      });
      enc.eval();
      // non-trivial layer norms
      for (const [n, p] of enc.namedParameters()) {
        if (n.endsWith('LayerNorm.weight'))
          p.value.view().forEach((_, i, a) => (a[i] = 1 + 0.1 * Math.sin(i + n.length)));
        if (n.endsWith('LayerNorm.bias'))
          p.value.view().forEach((_, i, a) => (a[i] = 0.1 * Math.cos(i * 3 + n.length)));
      }
      const x = Tensor.randn([B, S, D], { seed: 3 });
      const mask = Tensor.fromArray(MASK, [B, S], 'int32');
      const ours = noGrad(() => enc.forward(x, { mask }).toArray());
      tape.release();
      const P = Object.fromEntries(enc.namedParameters().map(([n, p]) => [n, p.value.toArray() as Float32Array]));
      const shapes = Object.fromEntries(enc.namedParameters().map(([n, p]) => [n, p.shape]));
      const want = reference(x.toArray() as Float32Array, P, shapes, { norm, layers: 2, activation });
      expectClose(ours, want, { rtol: 1e-4, atol: 1e-5 });
      x.dispose();
      mask.dispose();
      enc.dispose();
    });
  }
});

test('sinusoidal positions: row pos, column 2i = sin(pos / 10000^(2i/D)), 2i + 1 = cos; added to the token embeddings', () => {
  const emb = new TransformerEmbeddings(6, D, { positions: 'sinusoidal', dropout: 0, maxPositions: 16, seed: 1 });
  const ids = Tensor.fromArray(Int32Array.of(1, 2, 3, 4, 5, 5, 4, 3, 2, 1), [B, S], 'int32');
  const ours = noGrad(() => emb.forward(ids).toArray());
  tape.release();
  const W = emb.wordEmbeddings.weight.value.toArray();
  const idv = ids.toArray();
  const want = new Float32Array(B * S * D);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < D; c++) {
        const ang = s / Math.pow(10000, (2 * Math.floor(c / 2)) / D);
        want[(b * S + s) * D + c] = W[idv[b * S + s]! * D + c]! + (c % 2 === 0 ? Math.sin(ang) : Math.cos(ang));
      }
    }
  }
  expectClose(ours, want, { rtol: 1e-6, atol: 1e-6 });
  const long = Tensor.zeros([1, 17], 'int32');
  expect(() => noGrad(() => emb.forward(long))).toThrow(/at most maxPositions \(16\)/);
  long.dispose();
  ids.dispose();
  emb.dispose();
});
