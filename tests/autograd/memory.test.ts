import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { seededValues } from '../reference/softmax.js';
import { Tensor } from '../../src/core/tensor.js';
import { memoryStats } from '../../src/core/runtime.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { step, tape } from '../../src/autograd/tape.js';
import * as F from '../../src/autograd/functional.js';
import { sgdStep } from '../../src/ops/optim.js';

beforeAll(async () => {
  await initForTests();
});

const rnd = (shape: number[], seed: number, scale = 0.3) =>
  Tensor.fromArray(
    Float32Array.from(
      seededValues(
        shape.reduce((a, b) => a * b, 1),
        seed,
        scale,
      ),
    ),
    shape,
  );

describe('memory in use is flat over training steps', () => {
  test('10,000 steps of a tiny encoder classifier: bytes and blocks after step 100 = after step 10,000', () => {
    const [B, S, D, H, V, C] = [2, 3, 4, 2, 7, 2];
    const params = {
      emb: new Parameter(rnd([V, D], 1)),
      wqkv: new Parameter(rnd([3 * D, D], 2)),
      wo: new Parameter(rnd([D, D], 3)),
      g: new Parameter(Tensor.fromArray(new Float32Array(D).fill(1))),
      b: new Parameter(Tensor.zeros([D])),
      w1: new Parameter(rnd([D, D], 4)),
      b1: new Parameter(Tensor.zeros([D])),
      wc: new Parameter(rnd([C, D], 5)),
      bc: new Parameter(Tensor.zeros([C])),
    };
    const list = Object.values(params);
    const ids = Tensor.fromArray(Int32Array.from([1, 2, 3, 4, 5, 0]), [B, S], 'int32');
    const mask = Tensor.fromArray(Int32Array.from([1, 1, 1, 1, 1, 0]), [B, S], 'int32');
    const targets = Tensor.fromArray(Int32Array.from([0, 1]), [B], 'int32');
    let counter = 0;
    const trainStep = () =>
      step(() => {
        const x = F.dropout(F.embedding(params.emb, ids), { p: 0.1, seed: 1, counter });
        counter += F.dropoutCounterSpan(x.size);
        const qkv = F.linear(x, params.wqkv);
        const [q, k, v] = F.split(qkv, [D, D, D]).map((t) =>
          F.splitHeads(F.reshape(F.transpose(F.transpose(F.reshape(t, [B * S, D]))), [B, S, D]), H),
        );
        const a = F.linear(
          F.mergeHeads(F.attention(q!, k!, v!, { keyMask: mask, dropout: { p: 0.1, seed: 2, counter } })),
          params.wo,
        );
        counter += F.dropoutCounterSpan(B * H * S * S);
        const h = F.layerNorm(F.add(x, a), params.g, params.b);
        const f = F.gelu(F.linear(h, params.w1, params.b1));
        const pooled = F.concat([F.meanPool(f, { mask }), F.maxPool(h, { mask })]);
        const logits = F.linear(F.scale(pooled, 0.5), F.concat([params.wc, params.wc]), params.bc);
        const loss = F.crossEntropy(F.firstPool(F.reshape(logits, [B, 1, C])), targets, { labelSmoothing: 0.1 });
        loss.backward();
        for (const p of list) sgdStep(p.value, p.grad!, {}, { lr: 0.01 });
        for (const p of list) p.zeroGrad();
        return loss.item();
      });
    let first = 0,
      last = 0;
    let at100 = memoryStats();
    for (let i = 1; i <= 10_000; i++) {
      const l = trainStep();
      if (i === 1) first = l;
      if (i === 10_000) last = l;
      if (i === 100) at100 = memoryStats();
    }
    const at10k = memoryStats();
    expect(at10k.bytesInUse).toBe(at100.bytesInUse);
    expect(at10k.blocks).toBe(at100.blocks);
    expect(at10k.bytesReserved).toBe(at100.bytesReserved);
    expect(tape.tensorCount).toBe(0);
    expect(Number.isFinite(last) && last < first).toBe(true);
    for (const p of list) p.dispose();
    for (const t of [ids, mask, targets]) t.dispose();
  });
});
