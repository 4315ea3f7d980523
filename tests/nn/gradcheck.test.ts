// Finite-difference gradient check of whole modules: embeddings + a 2-layer
// encoder with every option (pre/post norm; learned, sinusoidal and rotary
// positions; key-padding masks; causal; dropout on under a fixed seed, the
// masks replayed in every perturbed forward by restoring the RNG state), with
// respect to every parameter element and the input.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { moduleGradCheck } from '../helpers/nn-gradcheck.js';
import { Tensor } from '../../src/core/tensor.js';
import * as F from '../../src/autograd/functional.js';
import { noGrad, tape } from '../../src/autograd/tape.js';
import {
  FeedForward,
  LayerNorm,
  Linear,
  Module,
  MultiHeadAttention,
  TransformerEmbeddings,
  TransformerEncoder,
  type Activation,
} from '../../src/nn/index.js';

beforeAll(async () => {
  await initForTests();
});

const B = 2,
  S = 4,
  D = 4,
  V = 7;
// batch 0: 4 real tokens; batch 1: 3 real tokens, then padding
const IDS = Int32Array.of(3, 1, 4, 6, 5, 2, 6, 0);
const MASK = Int32Array.of(1, 1, 1, 1, 1, 1, 1, 0);

interface Case {
  norm: 'pre' | 'post';
  positions: 'learned' | 'sinusoidal' | 'rotary';
  activation: Activation;
  dropout: number;
  causal?: boolean;
  bias?: boolean;
}

const CASES: Case[] = [
  { norm: 'post', positions: 'learned', activation: 'gelu', dropout: 0.25 },
  { norm: 'pre', positions: 'sinusoidal', activation: 'gelu_tanh', dropout: 0.25 },
  { norm: 'pre', positions: 'rotary', activation: 'gelu', dropout: 0.25, causal: true },
  { norm: 'post', positions: 'rotary', activation: 'relu', dropout: 0, bias: false },
];

describe('2-layer encoder, every option', () => {
  for (const c of CASES) {
    test(`${c.norm}-norm, ${c.positions} positions, ${c.activation}, dropout ${c.dropout}${c.causal ? ', causal' : ''}${c.bias === false ? ', no bias' : ''}`, () => {
      const root = new Module();
      const emb = root.addModule(
        'embeddings',
        new TransformerEmbeddings(V, D, {
          positions: c.positions === 'rotary' ? 'none' : c.positions,
          maxPositions: 8,
          paddingIdx: 0,
          dropout: c.dropout,
          layerNorm: c.norm === 'post',
          typeVocabSize: c.norm === 'post' ? 2 : 0,
        }),
      );
      const enc = root.addModule(
        'encoder',
        new TransformerEncoder({
          layers: 2,
          dim: D,
          heads: 2,
          ffnDim: 6,
          dropout: c.dropout,
          norm: c.norm,
          activation: c.activation,
          rotary: c.positions === 'rotary',
          causal: c.causal,
          bias: c.bias,
        }),
      );
      root.resetParameters(3);
      const ids = Tensor.fromArray(IDS, [B, S], 'int32');
      const mask = Tensor.fromArray(MASK, [B, S], 'int32');
      // the padding row (id 0) is used but, by design, gets no gradient (PyTorch's padding_idx)
      const skip = (name: string, j: number) => name === 'embeddings.word_embeddings.weight' && j < D;
      const types = Tensor.fromArray(Int32Array.of(0, 0, 1, 1, 0, 1, 1, 1), [B, S], 'int32');
      const tokenTypes = c.norm === 'post' ? types : undefined;
      const n = moduleGradCheck(root, () => enc.forward(emb.forward(ids, { tokenTypes }), { mask }), [], { skip });
      types.dispose();
      expect(n).toBe(root.parameterCount() - D);
      // dropout was really on: a forward moves every counter, and two forwards differ
      if (c.dropout > 0) {
        const a = noGrad(() => enc.forward(emb.forward(ids, {}), { mask }).toArray());
        expect(Object.values(root.rngState()).every((s) => s.counter > 0)).toBe(true);
        const b = noGrad(() => enc.forward(emb.forward(ids, {}), { mask }).toArray());
        expect(b).not.toEqual(a);
        tape.release();
      }
      ids.dispose();
      mask.dispose();
      root.dispose();
    });
  }

  test('with respect to the input: encoder over a float input with a mask, dropout on', () => {
    const enc = new TransformerEncoder({ layers: 2, dim: D, heads: 2, ffnDim: 6, dropout: 0.25, norm: 'pre', seed: 4 });
    const x = Tensor.randn([B, S, D], { seed: 2 });
    const mask = Tensor.fromArray(MASK, [B, S], 'int32');
    moduleGradCheck(enc, (xv) => enc.forward(xv!, { mask }), [x]);
    x.dispose();
    mask.dispose();
    enc.dispose();
  });
});

test('the single modules: Linear, LayerNorm, FeedForward, MultiHeadAttention', () => {
  const x = Tensor.randn([B, S, D], { seed: 6 });
  const lin = new Linear(D, 3, { seed: 1 });
  moduleGradCheck(lin, (xv) => lin.forward(xv!), [x]);
  const ln = new LayerNorm(D, { seed: 1 });
  ln.weight.value.view().set([0.5, 1.5, -1, 2]);
  moduleGradCheck(ln, (xv) => F.tanh(ln.forward(xv!)), [x]);
  const ffn = new FeedForward(D, 5, { seed: 1 });
  moduleGradCheck(ffn, (xv) => ffn.forward(xv!), [x]);
  const mha = new MultiHeadAttention(D, 2, { seed: 1, dropout: 0.3, rotary: true });
  const mask = Tensor.fromArray(MASK, [B, S], 'int32');
  moduleGradCheck(mha, (xv) => mha.forward(xv!, { mask, causal: true }), [x]);
  for (const m of [lin, ln, ffn, mha]) m.dispose();
  x.dispose();
  mask.dispose();
});
