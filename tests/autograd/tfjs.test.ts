import { beforeAll, describe, test } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initForTests } from '../helpers/runtime.js';
import { expectClose } from '../helpers/assert.js';
import { seededValues } from '../reference/softmax.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { step } from '../../src/autograd/tape.js';
import * as F from '../../src/autograd/functional.js';

beforeAll(async () => {
  await initForTests();
  await tf.setBackend('cpu');
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const data = (shape: number[], seed: number, scale = 0.5) => Float32Array.from(seededValues(size(shape), seed, scale));

/** Our loss and parameter gradients vs tf.grads of the same model written with tfjs-core ops. */
function compare(
  shapes: number[][],
  ours: (ps: Parameter[]) => ReturnType<typeof F.crossEntropy>,
  theirs: (ps: tf.Tensor[]) => tf.Scalar,
  tol: { rtol: number; atol: number },
): void {
  const values = shapes.map((s, i) => data(s, 40 + i));
  const expected = tf.tidy(() => {
    const ts = values.map((v, i) => tf.tensor(v, shapes[i]));
    const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => theirs(ps))(ts);
    return { loss: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync().slice()) };
  });
  const params = values.map((v, i) => new Parameter(Tensor.fromArray(v, shapes[i])));
  try {
    const loss = step(() => {
      const l = ours(params);
      l.backward();
      return l.item();
    });
    expectClose([loss], [expected.loss], tol);
    for (const [i, p] of params.entries()) expectClose(p.grad!.toArray(), expected.grads[i]!, tol);
  } finally {
    for (const p of params) p.dispose();
  }
}

describe('a model through the tape = the same model in tfjs-core (cpu) with tf.grads', () => {
  const [B, S, Din, Hd, C] = [3, 5, 4, 6, 3];
  const x = data([B, S, Din], 1, 1);
  const maskV = Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0]);
  const labels = Int32Array.from([2, 0, 1]);

  test('linear → ReLU → layerNorm → masked mean pool → linear → softmax cross-entropy (label smoothing)', () => {
    tidy(() => {
      const xt = Tensor.fromArray(x, [B, S, Din]);
      const mask = Tensor.fromArray(maskV, [B, S], 'int32');
      const targets = Tensor.fromArray(labels, [B], 'int32');
      compare(
        [[Hd, Din], [Hd], [Hd], [Hd], [C, Hd], [C]],
        ([w1, b1, g, be, w2, b2]) => {
          const h = F.layerNorm(F.linear(xt, w1!, b1!, { activation: 'relu' }), g!, be!);
          return F.crossEntropy(F.linear(F.meanPool(h, { mask }), w2!, b2!), targets, { labelSmoothing: 0.1 });
        },
        ([w1, b1, g, be, w2, b2]) => {
          const h = tf.reshape(tf.relu(tf.add(tf.matMul(tf.tensor2d(x, [B * S, Din]), w1!, false, true), b1!)), [
            B,
            S,
            Hd,
          ]);
          const { mean, variance } = tf.moments(h, -1, true);
          const ln = tf.add(tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5))), g!), be!);
          const m = tf.tensor3d(Float32Array.from(maskV), [B, S, 1]);
          const pooled = tf.div(tf.sum(tf.mul(ln, m), 1), tf.sum(m, 1));
          const logits = tf.add(tf.matMul(pooled, w2!, false, true), b2!);
          return tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.tensor1d(labels, 'int32'), C),
            logits,
            undefined,
            0.1,
          ) as tf.Scalar;
        },
        { rtol: 2e-4, atol: 2e-5 },
      );
    });
  });

  test('split heads → attention → merge heads → tanh → max pool → linear → cross-entropy', () => {
    tidy(() => {
      const H = 2,
        D = 3;
      const xt = Tensor.fromArray(x, [B, S, Din]);
      const targets = Tensor.fromArray(labels, [B], 'int32');
      compare(
        [
          [H * D, Din],
          [H * D, Din],
          [H * D, Din],
          [C, H * D],
        ],
        ([wq, wk, wv, wo]) => {
          const [q, k, v] = [wq, wk, wv].map((w) => F.splitHeads(F.linear(xt, w!), H));
          const a = F.tanh(F.mergeHeads(F.attention(q!, k!, v!)));
          return F.crossEntropy(F.linear(F.maxPool(a), wo!), targets);
        },
        ([wq, wk, wv, wo]) => {
          const x2 = tf.tensor2d(x, [B * S, Din]);
          const [q, k, v] = [wq, wk, wv].map((w) =>
            tf.transpose(tf.reshape(tf.matMul(x2, w!, false, true), [B, S, H, D]), [0, 2, 1, 3]),
          );
          const p = tf.softmax(tf.mul(tf.matMul(q!, k!, false, true), 1 / Math.sqrt(D)));
          const a = tf.tanh(tf.reshape(tf.transpose(tf.matMul(p, v!), [0, 2, 1, 3]), [B, S, H * D]));
          const logits = tf.matMul(tf.max(a, 1), wo!, false, true);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), C), logits) as tf.Scalar;
        },
        { rtol: 2e-4, atol: 2e-5 },
      );
    });
  });
});
