// BERT (src/models/bert.ts): the forward against an independent PyTorch 1.13
// build of the same architecture (scripts/bert-fixture.py, committed fixture in
// tests/fixtures/bert: the page fetches it from the dev server, Node reads it
// from disk); finite-difference checks of the MLM head and of a 1-layer
// BertForMaskedLM; config errors; loading with and without the `bert.` prefix;
// the tied decoder.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { moduleGradCheck } from '../helpers/nn-gradcheck.js';
import { Tensor } from '../../src/core/tensor.js';
import { ArgumentError } from '../../src/core/errors.js';
import { noGrad, step, tape } from '../../src/autograd/tape.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Module, StateDictError } from '../../src/nn/module.js';
import * as F from '../../src/autograd/functional.js';
import { AdamW } from '../../src/optim/optimizer.js';
import { defaultParamGroups } from '../../src/optim/groups.js';
import {
  BertForMaskedLM,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
  bertConfig,
} from '../../src/models/bert/index.js';
import { readFixture } from '../helpers/fixtures.js';

const FILES: Record<string, URL> = {
  'config.json': new URL('../fixtures/bert/config.json', import.meta.url),
  'model.safetensors': new URL('../fixtures/bert/model.safetensors', import.meta.url),
  'expected.json': new URL('../fixtures/bert/expected.json', import.meta.url),
  'tanh-f16-config.json': new URL('../fixtures/bert/tanh-f16-config.json', import.meta.url),
  'tanh-f16-model.safetensors': new URL('../fixtures/bert/tanh-f16-model.safetensors', import.meta.url),
  'tanh-f16-expected.json': new URL('../fixtures/bert/tanh-f16-expected.json', import.meta.url),
  'grad-config.json': new URL('../fixtures/bert/grad-config.json', import.meta.url),
  'grad-model.safetensors': new URL('../fixtures/bert/grad-model.safetensors', import.meta.url),
  'grad-expected.json': new URL('../fixtures/bert/grad-expected.json', import.meta.url),
};
const get = (name: string): Promise<Uint8Array> => readFixture(FILES[name]!, name);
const getJson = async (name: string) =>
  JSON.parse(new TextDecoder().decode(await get(name))) as Record<string, unknown>;

interface Expected {
  batch: number;
  seq: number;
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
  lastHiddenState: number[];
  poolerOutput: number[];
  logits: number[];
}

let config: Record<string, unknown>;
let weights: Uint8Array;
let ex: Expected;

beforeAll(async () => {
  await initForTests();
  config = await getJson('config.json');
  weights = await get('model.safetensors');
  ex = (await getJson('expected.json')) as unknown as Expected;
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function inputs() {
  const shape = [ex.batch, ex.seq];
  return {
    inputIds: Tensor.fromArray(Int32Array.from(ex.inputIds), shape, 'int32'),
    tokenTypeIds: Tensor.fromArray(Int32Array.from(ex.tokenTypeIds), shape, 'int32'),
    attentionMask: Tensor.fromArray(Int32Array.from(ex.attentionMask), shape, 'int32'),
  };
}
function disposeAll(o: Record<string, Tensor>) {
  for (const t of Object.values(o)) t.dispose();
}

describe('PyTorch fixture (scripts/bert-fixture.py)', () => {
  test('BertModel: last hidden state and pooler output within 1e-4', () => {
    const m = BertModel.fromPretrained({ config, weights });
    const x = inputs();
    const [h, p] = noGrad(() => {
      const o = m.forward(x);
      return [o.lastHiddenState.toArray(), o.poolerOutput!.toArray()];
    });
    tape.release();
    const dh = maxAbsDiff(h, ex.lastHiddenState);
    const dp = maxAbsDiff(p, ex.poolerOutput);
    console.log(`bert fixture: max |diff| last hidden ${dh.toExponential(2)}, pooler ${dp.toExponential(2)}`);
    expect(dh).toBeLessThan(1e-4);
    expect(dp).toBeLessThan(1e-4);
    disposeAll(x);
    m.dispose();
  });

  test('BertForMaskedLM: logits within 1e-4; the checkpoint extras are ignored by name', () => {
    const m = BertForMaskedLM.fromPretrained({ config: JSON.stringify(config), weights });
    const x = inputs();
    const logits = noGrad(() => m.forward(x).toArray());
    tape.release();
    const d = maxAbsDiff(logits, ex.logits);
    console.log(`bert fixture: max |diff| MLM logits ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-4);
    // the same file, loaded again: what was set aside and why
    const r = m.loadStateDict(decodeSafetensors(weights).tensors);
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.ignored.sort()).toEqual([
      'bert.embeddings.position_ids',
      'bert.pooler.dense.bias',
      'bert.pooler.dense.weight',
      'cls.predictions.decoder.weight',
    ]);
    disposeAll(x);
    m.dispose();
  });

  test('tanh GELU (gelu_new), eps 1e-5, F16 weights with LayerNorm.gamma/beta names and no prefix, no token types or mask', async () => {
    const files = { config: await getJson('tanh-f16-config.json'), weights: await get('tanh-f16-model.safetensors') };
    const e = (await getJson('tanh-f16-expected.json')) as unknown as Expected;
    const m = BertModel.fromPretrained(files);
    expect(m.config.hiddenAct).toBe('gelu_tanh');
    expect(m.config.layerNormEps).toBe(1e-5);
    const ids = Tensor.fromArray(Int32Array.from(e.inputIds), [e.batch, e.seq], 'int32');
    const [h, p] = noGrad(() => {
      const o = m.forward({ inputIds: ids });
      return [o.lastHiddenState.toArray(), o.poolerOutput!.toArray()];
    });
    tape.release();
    const dh = maxAbsDiff(h, e.lastHiddenState);
    const dp = maxAbsDiff(p, e.poolerOutput);
    console.log(`bert tanh-f16 fixture: max |diff| last hidden ${dh.toExponential(2)}, pooler ${dp.toExponential(2)}`);
    expect(dh).toBeLessThan(1e-4);
    expect(dp).toBeLessThan(1e-4);
    ids.dispose();
    m.dispose();
  });

  test('fromPretrained as Hugging Face: a checkpoint without its pooler loads, the pooler keeps its init and is listed; strict refuses; ArrayBuffer weights', () => {
    const tensors = decodeSafetensors(weights).tensors;
    const noPooler = Object.fromEntries(Object.entries(tensors).filter(([k]) => !k.includes('pooler.')));
    const bytes = encodeSafetensors(noPooler as never);
    const m = BertModel.fromPretrained({ config, weights: bytes.slice().buffer });
    expect(m.loadingInfo!.missing.sort()).toEqual(['pooler.dense.bias', 'pooler.dense.weight']);
    expect(m.loadingInfo!.unexpected).toEqual([]);
    const fresh = new BertModel(config);
    expect(m.pooler!.weight.value.toArray()).toEqual(fresh.pooler!.weight.value.toArray());
    // the rest is the checkpoint's: the last hidden state matches PyTorch
    const x = inputs();
    const h = noGrad(() => m.forward(x).lastHiddenState.toArray());
    tape.release();
    expect(maxAbsDiff(h, ex.lastHiddenState)).toBeLessThan(1e-4);
    expect(BertModel.fromPretrained({ config, weights }).loadingInfo).toEqual({
      missing: [],
      unexpected: [],
      ignored: expect.any(Array),
    });
    expect(() => BertModel.fromPretrained({ config, weights: bytes, strict: true })).toThrow(StateDictError);
    expect(() => BertModel.fromPretrained({ config, weights: [1] as never })).toThrow(
      'BertModel.fromPretrained: files.weights must be a Uint8Array or an ArrayBuffer, got',
    );
    disposeAll(x);
    for (const b of [m, fresh]) b.dispose();
  });

  test('loads with and without the bert. prefix; strict loading names missing keys', () => {
    const tensors = decodeSafetensors(weights).tensors;
    const bare: Record<string, (typeof tensors)[string]> = {};
    for (const [k, v] of Object.entries(tensors)) if (k.startsWith('bert.')) bare[k.slice(5)] = v;
    const a = new BertModel(config);
    const b = new BertModel(config, { seed: 1 });
    a.loadStateDict(tensors);
    b.loadStateDict(bare);
    const sa = a.stateDict();
    const sb = b.stateDict();
    expect(Object.keys(sa)).toEqual(Object.keys(sb));
    for (const k of Object.keys(sa)) expect(sb[k]!.toArray()).toEqual(sa[k]!.toArray());
    // MLM head from un-prefixed base keys + cls.*
    const mlm = new BertForMaskedLM(config);
    const mixed = {
      ...bare,
      'cls.predictions.bias': tensors['cls.predictions.bias']!,
      'cls.predictions.transform.dense.weight': tensors['cls.predictions.transform.dense.weight']!,
      'cls.predictions.transform.dense.bias': tensors['cls.predictions.transform.dense.bias']!,
      'cls.predictions.transform.LayerNorm.weight': tensors['cls.predictions.transform.LayerNorm.weight']!,
      'cls.predictions.transform.LayerNorm.bias': tensors['cls.predictions.transform.LayerNorm.bias']!,
    };
    expect(mlm.loadStateDict(mixed).missing).toEqual([]);
    expect(mlm.decoderWeight.value.toArray()).toEqual(sa['embeddings.word_embeddings.weight']!.toArray());
    // a base-only checkpoint lacks the head: strict fails naming it, nothing loaded
    const fresh = new BertForMaskedLM(config);
    let err: unknown;
    try {
      fresh.loadStateDict(bare);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect((err as StateDictError).missing).toContain('cls.predictions.transform.dense.weight');
    // the classification heads take the base and leave their classifier at its init when not strict
    const seq = new BertForSequenceClassification(config);
    const r = seq.loadStateDict(tensors, { strict: false });
    expect(r.missing.sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(r.ignored).toContain('cls.predictions.bias');
    for (const m of [a, b, mlm, fresh, seq]) m.dispose();
  });
});

const TINY = {
  vocabSize: 11,
  hiddenSize: 4,
  numHiddenLayers: 1,
  numAttentionHeads: 2,
  intermediateSize: 6,
  maxPositionEmbeddings: 6,
  typeVocabSize: 2,
  hiddenDropoutProb: 0.2,
  attentionProbsDropoutProb: 0.2,
};

describe('gradients against PyTorch (grad fixture: 2 layers, 2 × 80 tokens with padding and token types)', () => {
  test("the masked-LM loss and the gradient of every parameter (tied decoder included) match PyTorch's backward", async () => {
    const ex = (await getJson('grad-expected.json')) as {
      batch: number;
      seq: number;
      inputIds: number[];
      tokenTypeIds: number[];
      attentionMask: number[];
      labels: number[];
      loss: number;
      grads: Record<string, number[]>;
    };
    const m = BertForMaskedLM.fromPretrained({
      config: await getJson('grad-config.json'),
      weights: await get('grad-model.safetensors'),
    });
    const shape = [ex.batch, ex.seq];
    const t = (a: number[]) => Tensor.fromArray(Int32Array.from(a), shape, 'int32');
    const x = { inputIds: t(ex.inputIds), tokenTypeIds: t(ex.tokenTypeIds), attentionMask: t(ex.attentionMask) };
    const labels = t(ex.labels);
    m.zeroGrad();
    const loss = step(() => {
      const l = m.loss(x, labels);
      l.backward();
      return l.item();
    });
    expect(Math.abs(loss - ex.loss)).toBeLessThan(1e-5);
    const names = Object.keys(ex.grads);
    expect(names.length).toBe(m.namedParameters().length);
    for (const [name, p] of m.namedParameters()) {
      const want = ex.grads[name];
      expect(want, name).toBeDefined();
      const got = p.grad!.toArray();
      let worst = 0,
        scale = 0;
      for (let i = 0; i < got.length; i++) {
        worst = Math.max(worst, Math.abs(got[i]! - want![i]!));
        scale = Math.max(scale, Math.abs(want![i]!));
      }
      expect(worst, `${name}: max |ours − torch| ${worst} (max |torch| ${scale})`).toBeLessThan(1e-5 + 1e-4 * scale);
    }
    disposeAll(x);
    labels.dispose();
    m.dispose();
  });
});

describe('gradients (finite differences)', () => {
  test('MLM head alone: transform + tied decoder + bias, with respect to its parameters and the hidden state', () => {
    const m = new BertForMaskedLM({ ...TINY, numHiddenLayers: 0 }, { seed: 3 });
    // perturb the zero-initialised biases and gains so every element has a gradient worth checking
    for (const [n, p] of m.namedParameters())
      if (n.endsWith('bias') || n.endsWith('LayerNorm.weight'))
        p.value.view().set(
          Tensor.randn(p.shape, { seed: 9, stream: n.length })
            .view()
            .map((v) => (n.endsWith('weight') ? 1 : 0) + 0.3 * v),
        );
    const h = Tensor.randn([2, 3, 4], { seed: 4 });
    // a module holding exactly the head's parameters: cls.predictions (transform, bias) and the tied decoder weight
    const head = new Module();
    head.addModule('predictions', m.namedModules().find(([name]) => name === 'cls.predictions')![1]);
    head.addParameter('decoder', m.decoderWeight);
    const n = moduleGradCheck(head, (hv) => F.linear(m.transform.forward(hv!), m.decoderWeight, m.decoderBias), [h]);
    expect(n).toBeGreaterThan(0);
    h.dispose();
    m.dispose();
  });

  test('1-layer BertForMaskedLM with padding, token types and dropout on: every parameter', () => {
    // initializerRange 0.5: with BERT's 0.02 the embedding sums are so small that LayerNorm bends within a finite-difference step
    const m = new BertForMaskedLM({ ...TINY, initializerRange: 0.5 }, { seed: 7 });
    for (const [n, p] of m.namedParameters())
      if (n.endsWith('bias') || n.endsWith('LayerNorm.weight'))
        p.value.view().set(
          Tensor.randn(p.shape, { seed: 9, stream: n.length })
            .view()
            .map((v) => (n.endsWith('weight') ? 1 : 0) + 0.3 * v),
        );
    const shape = [2, 4];
    const x = {
      inputIds: Tensor.fromArray(Int32Array.of(2, 5, 9, 3, 2, 7, 0, 0), shape, 'int32'),
      tokenTypeIds: Tensor.fromArray(Int32Array.of(0, 0, 1, 1, 0, 0, 0, 0), shape, 'int32'),
      attentionMask: Tensor.fromArray(Int32Array.of(1, 1, 1, 1, 1, 1, 0, 0), shape, 'int32'),
    };
    // the padding row (id 0) gets no gradient by design
    const skip = (name: string, j: number) => name === 'bert.embeddings.word_embeddings.weight' && j < 4;
    const n = moduleGradCheck(m, () => m.forward(x), [], { skip, eps: 3e-3 });
    expect(n).toBe(m.parameterCount() - 4);
    disposeAll(x);
    m.dispose();
  });
});

describe('model', () => {
  test('the decoder is the word-embedding Parameter: listed once, gradients from both uses add up', () => {
    const m = new BertForMaskedLM(TINY, { seed: 1 });
    expect(m.decoderWeight).toBe(m.bert.embeddings.wordEmbeddings.weight);
    const names = m.namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.includes('word_embeddings'))).toEqual(['bert.embeddings.word_embeddings.weight']);
    expect(names).not.toContain('cls.predictions.decoder.weight');
    expect(names).toContain('cls.predictions.bias');
    expect(names.some((n) => n.startsWith('bert.pooler'))).toBe(false);
    // a token never in the input still gets a gradient on its row: through the decoder
    const ids = Tensor.fromArray(Int32Array.of(1, 2, 3), [1, 3], 'int32');
    const labels = Tensor.fromArray(Int32Array.of(-100, 5, -100), [1, 3], 'int32');
    m.zeroGrad();
    step(() => m.loss({ inputIds: ids }, labels).backward());
    const g = m.decoderWeight.grad!.toArray();
    const row = (r: number) => Array.from(g.subarray(r * 4, r * 4 + 4));
    expect(row(8).some((v) => v !== 0)).toBe(true);
    expect(row(2).some((v) => v !== 0)).toBe(true);
    ids.dispose();
    labels.dispose();
    m.dispose();
  });

  test('BERT initialisation: N(0, initializerRange) weights, zero biases, LayerNorm 1 / 0, zero padding row', () => {
    const m = new BertForSequenceClassification(
      {
        ...TINY,
        vocabSize: 400,
        hiddenSize: 32,
        numAttentionHeads: 4,
        intermediateSize: 64,
        initializerRange: 0.05,
        numLabels: 3,
      },
      { seed: 2 },
    );
    const sd = m.stateDict();
    const w = sd['bert.embeddings.word_embeddings.weight']!.toArray();
    expect(Array.from(w.subarray(0, 32))).toEqual(new Array(32).fill(0));
    let s2 = 0;
    for (let i = 32; i < w.length; i++) s2 += w[i]! ** 2;
    expect(Math.sqrt(s2 / (w.length - 32))).toBeCloseTo(0.05, 2);
    expect(Array.from(sd['bert.encoder.layer.0.output.LayerNorm.weight']!.toArray())).toEqual(new Array(32).fill(1));
    expect(Array.from(sd['classifier.bias']!.toArray())).toEqual([0, 0, 0]);
    expect(Array.from(sd['bert.pooler.dense.bias']!.toArray())).toEqual(new Array(32).fill(0));
    expect(sd['classifier.weight']!.shape).toEqual([3, 32]);
    m.dispose();
  });

  test('heads: shapes and losses (ignoreIndex -100)', () => {
    const ids = Tensor.fromArray(Int32Array.of(2, 5, 9, 3, 2, 7, 0, 0), [2, 4], 'int32');
    const mask = Tensor.fromArray(Int32Array.of(1, 1, 1, 1, 1, 1, 0, 0), [2, 4], 'int32');
    const seq = new BertForSequenceClassification({ ...TINY, numLabels: 3 }).eval();
    const tok = new BertForTokenClassification({ ...TINY, numLabels: 5 }).eval();
    const base = new BertModel(TINY).eval();
    noGrad(() => {
      const o = base.forward({ inputIds: ids, attentionMask: mask });
      expect(o.lastHiddenState.shape).toEqual([2, 4, 4]);
      expect(o.poolerOutput!.shape).toEqual([2, 4]);
      expect(seq.forward({ inputIds: ids, attentionMask: mask }).shape).toEqual([2, 3]);
      expect(tok.forward({ inputIds: ids, attentionMask: mask }).shape).toEqual([2, 4, 5]);
    });
    tape.release();
    const tl = Tensor.fromArray(Int32Array.of(1, 4, 0, 2, 3, 1, -100, -100), [2, 4], 'int32');
    const sl = Tensor.fromArray(Int32Array.of(2, 0), [2], 'int32');
    const l1 = step(() => tok.loss({ inputIds: ids, attentionMask: mask }, tl).item());
    const l2 = step(() => seq.loss({ inputIds: ids, attentionMask: mask }, sl).item());
    expect(Number.isFinite(l1) && l1 > 0).toBe(true);
    expect(Number.isFinite(l2) && l2 > 0).toBe(true);
    expect(() => step(() => seq.loss({ inputIds: ids }, tl))).toThrow(ArgumentError);
    for (const t of [ids, mask, tl, sl]) t.dispose();
    for (const m of [seq, tok, base]) m.dispose();
  });

  test('a tiny MLM run: AdamW on one masked batch, with dropout on; the loss falls', () => {
    const m = new BertForMaskedLM(
      {
        ...TINY,
        vocabSize: 20,
        hiddenSize: 16,
        numAttentionHeads: 2,
        intermediateSize: 32,
        maxPositionEmbeddings: 8,
        hiddenDropoutProb: 0.1,
        attentionProbsDropoutProb: 0.1,
      },
      { seed: 5 },
    );
    const ids = Tensor.fromArray(Int32Array.of(2, 4, 4, 7, 3, 0, 2, 9, 4, 4, 11, 3), [2, 6], 'int32');
    const masked = Tensor.fromArray(Int32Array.of(2, 4, 5, 7, 3, 0, 2, 5, 4, 4, 5, 3), [2, 6], 'int32'); // 5 = [MASK]
    const labels = Tensor.fromArray(
      Int32Array.of(-100, -100, 4, -100, -100, -100, -100, 9, -100, -100, 11, -100),
      [2, 6],
      'int32',
    );
    const mask = Tensor.fromArray(Int32Array.of(1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1), [2, 6], 'int32');
    const opt = new AdamW(defaultParamGroups(m.namedParameters(), { weightDecay: 0.01 }), { lr: 3e-3 });
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) {
      losses.push(
        step(() => {
          const l = m.loss({ inputIds: masked, attentionMask: mask }, labels);
          l.backward();
          opt.step();
          opt.zeroGrad();
          return l.item();
        }),
      );
    }
    expect(losses[0]).toBeGreaterThan(2.5); // about ln 20 at BERT's init
    expect(losses[39]!).toBeLessThan(0.5 * losses[0]!);
    for (const t of [ids, masked, labels, mask]) t.dispose();
    m.dispose();
  });

  test('MLM loss over the gathered labelled positions equals cross-entropy over all logits; its gradients pass finite differences', () => {
    const m = new BertForMaskedLM({ ...TINY, initializerRange: 0.5 }, { seed: 8 });
    const ids = Tensor.fromArray(Int32Array.of(2, 5, 9, 3, 2, 7, 4, 0), [2, 4], 'int32');
    const mask = Tensor.fromArray(Int32Array.of(1, 1, 1, 1, 1, 1, 1, 0), [2, 4], 'int32');
    const labels = Tensor.fromArray(Int32Array.of(-100, 6, -100, -100, 10, -100, 1, -100), [2, 4], 'int32');
    m.eval();
    const [a, b] = noGrad(() => [
      m.loss({ inputIds: ids, attentionMask: mask }, labels).item(),
      F.crossEntropy(m.forward({ inputIds: ids, attentionMask: mask }), labels).item(),
    ]);
    tape.release();
    expect(Math.abs(a - b)).toBeLessThan(1e-5);
    m.train();
    const skip = (name: string, j: number) => name === 'bert.embeddings.word_embeddings.weight' && j < 4;
    moduleGradCheck(m, () => m.loss({ inputIds: ids, attentionMask: mask }, labels), [], { skip, eps: 3e-3 });
    for (const t of [ids, mask, labels]) t.dispose();
    m.dispose();
  });

  test('input errors', () => {
    const m = new BertModel(TINY);
    const ids = Tensor.fromArray(Int32Array.of(1, 2, 3), [1, 3], 'int32');
    const f32 = Tensor.fromArray([1, 2, 3], [1, 3]);
    const long = Tensor.zeros([1, 7], 'int32');
    expect(() => noGrad(() => m.forward({ inputIds: f32 }))).toThrow(/inputs.inputIds must be an int32 Tensor/);
    expect(() => noGrad(() => m.forward({ inputIds: ids, tokenTypeIds: Tensor.zeros([1, 2], 'int32') }))).toThrow(
      /tokenTypeIds must have shape \[1, 3\]/,
    );
    expect(() => noGrad(() => m.forward({ inputIds: ids, attentionMask: Tensor.zeros([2, 3], 'int32') }))).toThrow(
      /attentionMask must be/,
    );
    expect(() => noGrad(() => m.forward({ inputIds: long }))).toThrow(/at most maxPositions \(6\)/);
    tape.release();
    for (const t of [ids, f32, long]) t.dispose();
    m.dispose();
  });
});

describe('config', () => {
  test('from a Hugging Face config.json: fields, defaults, activations', () => {
    const c = bertConfig(config);
    expect(c).toMatchObject({
      vocabSize: 50,
      hiddenSize: 32,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      intermediateSize: 64,
      hiddenAct: 'gelu',
      maxPositionEmbeddings: 16,
      layerNormEps: 1e-12,
      numLabels: 2,
      classifierDropout: 0.1,
    });
    expect(bertConfig({}).hiddenSize).toBe(768);
    expect(bertConfig({ hidden_act: 'gelu_new' }).hiddenAct).toBe('gelu_tanh');
    expect(bertConfig({ hidden_act: 'gelu_pytorch_tanh' }).hiddenAct).toBe('gelu_tanh');
    expect(bertConfig({ id2label: { 0: 'NEG', 1: 'NEU', 2: 'POS' } }).numLabels).toBe(3);
    expect(bertConfig('{"vocab_size": 9, "hidden_size": 8, "num_attention_heads": 2}').vocabSize).toBe(9);
    expect(bertConfig(bertConfig(config))).toEqual(bertConfig(config));
  });

  test('typed errors on what is not supported or out of range', () => {
    const bad: [unknown, RegExp][] = [
      [
        { position_embedding_type: 'relative_key' },
        /config.position_embedding_type must be 'absolute', got "relative_key"/,
      ],
      [{ hidden_act: 'relu' }, /config.hidden_act must be 'gelu', 'gelu_new' or 'gelu_pytorch_tanh', got "relu"/],
      [{ is_decoder: true }, /config.is_decoder must be false/],
      [{ model_type: 'roberta' }, /config.model_type must be 'bert'/],
      [
        { hidden_size: 30, num_attention_heads: 4 },
        /config.hidden_size must be a multiple of num_attention_heads \(4\), got 30/,
      ],
      [{ hidden_dropout_prob: 1 }, /config.hidden_dropout_prob must be a number in \[0, 1\)/],
      [{ vocab_size: 10, pad_token_id: 10 }, /config.pad_token_id must be below vocab_size \(10\), got 10/],
      [{ layer_norm_eps: 0 }, /config.layer_norm_eps must be a finite number > 0/],
      [{ hiddenSize: 8, heads: 2 }, /config must have only BertConfig keys .* got 'heads'/],
      ['{not json', /config must be a JSON object/],
      [null, /config must be an object, got null/],
    ];
    for (const [c, re] of bad) {
      expect(() => bertConfig(c as never)).toThrow(ArgumentError);
      expect(() => bertConfig(c as never)).toThrow(re);
    }
    expect(() => new BertModel({ hidden_act: 'swish' })).toThrow(/BertModel: config.hidden_act/);
  });
});
