// The example of docs/nn.md, as written there (imports from src instead of 'wasm-nlp').
import { expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import {
  Tensor,
  Module,
  TransformerEmbeddings,
  TransformerEncoder,
  Linear,
  F,
  AdamW,
  defaultParamGroups,
  step,
  noGrad,
  tape,
  encodeCheckpoint,
  decodeCheckpoint,
} from '../../src/index.js';

test('docs/nn.md example: a TransformerEncoder classifier trained a few steps with AdamW, saved and restored', async () => {
  await initForTests();
  // --- from docs/nn.md
  class Classifier extends Module {
    embeddings = this.addModule(
      'embeddings',
      new TransformerEmbeddings(100, 32, { positions: 'learned', maxPositions: 64, paddingIdx: 0, dropout: 0.1 }),
    );
    encoder = this.addModule(
      'encoder',
      new TransformerEncoder({ layers: 2, dim: 32, heads: 4, ffnDim: 64, dropout: 0.1, norm: 'pre' }),
    );
    classifier = this.addModule('classifier', new Linear(32, 2));

    forward(ids: Tensor, mask: Tensor) {
      const h = this.encoder.forward(this.embeddings.forward(ids), { mask }); // [B, S, 32]
      return this.classifier.forward(F.meanPool(h, { mask })); // [B, 2]
    }
  }
  const model = new Classifier().resetParameters(42); // every parameter and dropout from seed 42

  const ids = Tensor.fromArray(Int32Array.from([5, 17, 42, 9, 8, 23, 0, 0]), [2, 4], 'int32'); // 0 = padding
  const mask = Tensor.fromArray(Int32Array.from([1, 1, 1, 1, 1, 1, 0, 0]), [2, 4], 'int32');
  const labels = Tensor.fromArray(Int32Array.from([1, 0]), [2], 'int32');
  const opt = new AdamW(defaultParamGroups(model.namedParameters()), { lr: 1e-3 }); // no decay on biases / LayerNorm

  const losses: number[] = [];
  for (let i = 0; i < 20; i++) {
    losses.push(
      step(() => {
        // frees every temporary of the step at the end
        const loss = F.crossEntropy(model.forward(ids, mask), labels);
        loss.backward();
        opt.step();
        opt.zeroGrad();
        return loss.item();
      }),
    );
  }

  model.eval(); // dropout off
  const logits = noGrad(() => model.forward(ids, mask).toArray());
  tape.release();

  const bytes = encodeCheckpoint({
    weights: model.stateDict(),
    optimizer: opt.stateDict(),
    meta: { rng: model.rngState() },
  });
  const restored = new Classifier();
  const ck = decodeCheckpoint(bytes);
  restored.loadStateDict(ck.weights); // strict: every name must match
  restored.loadRngState(ck.meta.rng as ReturnType<Module['rngState']>);
  // --- end
  expect(losses[19]!).toBeLessThan(losses[0]! / 4);
  expect(logits[1]! > logits[0]! && logits[2]! > logits[3]!).toBe(true);
  restored.eval();
  expect(noGrad(() => restored.forward(ids, mask).toArray())).toEqual(logits);
  tape.release();
  expect(Object.keys(model.stateDict())).toContain('encoder.layer.1.attention.self.query.weight');
  for (const t of [ids, mask, labels]) t.dispose();
  opt.dispose();
  model.dispose();
  restored.dispose();
});
