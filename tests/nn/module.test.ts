// nn modules: names (Hugging Face BERT), deterministic name-keyed init, state
// dicts (plain, safetensors, strict errors), train/eval, freezing, RNG state,
// and resuming Module + AdamW + RNG state bit-identically.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { memoryStats } from '../../src/core/runtime.js';
import { ArgumentError, ShapeError } from '../../src/core/errors.js';
import { Parameter } from '../../src/autograd/parameter.js';
import * as F from '../../src/autograd/functional.js';
import { noGrad, step, tape } from '../../src/autograd/tape.js';
import { AdamW } from '../../src/optim/optimizer.js';
import { defaultParamGroups } from '../../src/optim/groups.js';
import { encodeSafetensors, decodeSafetensors } from '../../src/io/safetensors.js';
import { encodeCheckpoint, decodeCheckpoint } from '../../src/io/checkpoint.js';
import {
  Dropout,
  Embedding,
  FeedForward,
  LayerNorm,
  Linear,
  Module,
  MultiHeadAttention,
  StateDictError,
  TransformerEmbeddings,
  TransformerEncoder,
  fnv1a32,
} from '../../src/nn/index.js';
import * as lib from '../../src/index.js';
import { type TinyModel, makeBatchWith, makeTiny } from '../helpers/nn-tiny.js';

beforeAll(async () => {
  await initForTests();
});

const bits = (t: Tensor) => Array.from(new Uint32Array((t.toArray() as Float32Array).buffer));

describe('names', () => {
  test('encoder layers use Hugging Face BERT names, in its order', () => {
    const enc = new TransformerEncoder({ layers: 2, dim: 8, heads: 2, ffnDim: 16 });
    const names = enc.namedParameters().map(([n]) => n);
    const layer0 = [
      'attention.self.query.weight',
      'attention.self.query.bias',
      'attention.self.key.weight',
      'attention.self.key.bias',
      'attention.self.value.weight',
      'attention.self.value.bias',
      'attention.output.dense.weight',
      'attention.output.dense.bias',
      'attention.output.LayerNorm.weight',
      'attention.output.LayerNorm.bias',
      'intermediate.dense.weight',
      'intermediate.dense.bias',
      'output.dense.weight',
      'output.dense.bias',
      'output.LayerNorm.weight',
      'output.LayerNorm.bias',
    ];
    expect(names).toEqual([...layer0.map((n) => `layer.0.${n}`), ...layer0.map((n) => `layer.1.${n}`)]);
    const shapes = Object.fromEntries(enc.namedParameters().map(([n, p]) => [n, p.shape]));
    expect(shapes['layer.1.intermediate.dense.weight']).toEqual([16, 8]);
    expect(shapes['layer.1.output.dense.weight']).toEqual([8, 16]);
    // pre-norm adds the final LayerNorm; a parent module prefixes everything
    const root = new Module();
    root.addModule('encoder', new TransformerEncoder({ layers: 1, dim: 8, heads: 2, norm: 'pre' }));
    const rn = root.namedParameters().map(([n]) => n);
    expect(rn[0]).toBe('encoder.layer.0.attention.self.query.weight');
    expect(rn.slice(-2)).toEqual(['encoder.LayerNorm.weight', 'encoder.LayerNorm.bias']);
    expect(Object.keys(enc.rngState())).toEqual([
      'layer.0.attention.self.dropout',
      'layer.0.attention.output.dropout',
      'layer.0.output.dropout',
      'layer.1.attention.self.dropout',
      'layer.1.attention.output.dropout',
      'layer.1.output.dropout',
    ]);
    const emb = new TransformerEmbeddings(10, 8, { layerNorm: true, typeVocabSize: 2 });
    expect(emb.namedParameters().map(([n]) => n)).toEqual([
      'word_embeddings.weight',
      'position_embeddings.weight',
      'token_type_embeddings.weight',
      'LayerNorm.weight',
      'LayerNorm.bias',
    ]);
    const ffn = new FeedForward(4, 6, { bias: false });
    expect(ffn.namedParameters().map(([n]) => n)).toEqual(['intermediate.dense.weight', 'output.dense.weight']);
    const mha = new MultiHeadAttention(4, 2);
    expect(mha.namedParameters().map(([n]) => n)[6]).toBe('output.dense.weight');
    for (const m of [enc, root, emb, ffn, mha]) m.dispose();
  });

  test('shared parameters appear once; bad names are errors', () => {
    const m = new Module();
    const l = new Linear(2, 3);
    m.addModule('a', l);
    m.addModule('b', l);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias']);
    expect(() => m.addModule('x.y', l)).toThrow(ArgumentError);
    expect(() => m.addParameter('', l.weight)).toThrow(ArgumentError);
    expect(m.parameterCount()).toBe(9);
    l.dispose();
  });
});

describe('initialisation', () => {
  test('same seed gives the same bits, another seed other bits; keyed by name, not position', () => {
    const a = new TransformerEncoder({ layers: 2, dim: 8, heads: 2, seed: 7 });
    const b = new TransformerEncoder({ layers: 2, dim: 8, heads: 2, seed: 7 });
    const c = new TransformerEncoder({ layers: 2, dim: 8, heads: 2, seed: 8 });
    const d = new TransformerEncoder({ layers: 3, dim: 8, heads: 2, seed: 7 }); // one more layer: the first two unchanged
    const sa = a.stateDict(),
      sb = b.stateDict(),
      sc = c.stateDict(),
      sd = d.stateDict();
    for (const k of Object.keys(sa)) {
      expect(bits(sb[k]!), k).toEqual(bits(sa[k]!));
      expect(bits(sd[k]!), k).toEqual(bits(sa[k]!));
      if (!k.includes('LayerNorm')) expect(bits(sc[k]!), k).not.toEqual(bits(sa[k]!));
    }
    // query and key of one layer differ (different streams), layer 0 and layer 1 differ
    expect(bits(sa['layer.0.attention.self.query.weight']!)).not.toEqual(
      bits(sa['layer.0.attention.self.key.weight']!),
    );
    expect(bits(sa['layer.0.attention.self.query.weight']!)).not.toEqual(
      bits(sa['layer.1.attention.self.query.weight']!),
    );
    // the scheme: U(-1/sqrt(in), 1/sqrt(in)) from Tensor.rand(seed, stream fnv1a32(name))
    const u = Tensor.rand([8, 8], { seed: 7, stream: fnv1a32('layer.1.attention.self.value.weight') });
    const want = Float32Array.from(u.toArray() as Float32Array, (x) => (2 * x - 1) / Math.sqrt(8));
    expect(sa['layer.1.attention.self.value.weight']!.toArray()).toEqual(want);
    u.dispose();
    const w = sa['layer.0.intermediate.dense.weight']!.toArray() as Float32Array;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(8));
    expect(Array.from(sa['layer.0.output.LayerNorm.weight']!.toArray())).toEqual(new Array(8).fill(1));
    // resetParameters(seed) reproduces construction with that seed
    c.resetParameters(7);
    for (const k of Object.keys(sa)) expect(bits(c.stateDict()[k]!)).toEqual(bits(sa[k]!));
    for (const m of [a, b, c, d]) m.dispose();
  });

  test('Embedding: N(0, 1) with a zero padding row that gets no gradient', () => {
    const e = new Embedding(5, 4, { paddingIdx: 1, seed: 3 });
    const w = e.weight.value.toArray() as Float32Array;
    expect(Array.from(w.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expect(w.subarray(0, 4).some((x) => x !== 0)).toBe(true);
    const ids = Tensor.fromArray(Int32Array.of(0, 1, 1, 2), [2, 2], 'int32');
    step(() => F.sum(e.forward(ids)).backward());
    const g = e.weight.grad!.toArray() as Float32Array;
    expect(Array.from(g.subarray(0, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(g.subarray(4, 8))).toEqual([0, 0, 0, 0]);
    expect(Array.from(g.subarray(8, 12))).toEqual([1, 1, 1, 1]);
    ids.dispose();
    e.dispose();
    expect(() => new Embedding(5, 4, { paddingIdx: 5 })).toThrow(ArgumentError);
  });
});

test('token types: omitted = all type 0; given = those rows', () => {
  const emb = new TransformerEmbeddings(10, 8, { typeVocabSize: 2, dropout: 0, seed: 4 });
  const ids = Tensor.fromArray(Int32Array.of(1, 2, 3, 4, 5, 6), [2, 3], 'int32');
  const zeros = Tensor.zeros([2, 3], 'int32');
  const ones = Tensor.fromArray(Int32Array.of(1, 1, 1, 1, 1, 1), [2, 3], 'int32');
  const [a, b, c] = noGrad(() => [
    emb.forward(ids).toArray(),
    emb.forward(ids, { tokenTypes: zeros }).toArray(),
    emb.forward(ids, { tokenTypes: ones }).toArray(),
  ]);
  tape.release();
  expect(a).toEqual(b);
  expect(c).not.toEqual(a);
  const bad = Tensor.zeros([3, 2], 'int32');
  expect(() => noGrad(() => emb.forward(ids, { tokenTypes: bad }))).toThrow(
    /tokenTypes must be an int32 Tensor \[2, 3\]/,
  );
  tape.release();
  for (const t of [ids, zeros, ones, bad]) t.dispose();
  emb.dispose();
});

test('memory in use is flat over training steps of an encoder classifier (dropout; learned, sinusoidal and rotary positions)', () => {
  for (const positions of ['learned', 'sinusoidal', 'rotary'] as const) {
    const m = makeTiny(lib, { vocab: 12, dim: 8, heads: 2, layers: 2, dropout: 0.1, norm: 'pre', positions }, 3);
    const opt = new AdamW(m.parameters(), { lr: 1e-3 });
    const b = makeBatchWith(lib, 5, 4, 6, 12);
    const run = () =>
      step(() => {
        m.loss(b.ids, b.mask, b.labels).backward();
        opt.step();
        opt.zeroGrad();
      });
    for (let i = 0; i < 5; i++) run();
    const before = memoryStats();
    for (let i = 0; i < 50; i++) run();
    const after = memoryStats();
    expect(after.bytesInUse, positions).toBe(before.bytesInUse);
    expect(tape.tensorCount).toBe(0);
    b.dispose();
    opt.dispose();
    m.dispose();
  }
});

describe('state dicts', () => {
  test('round trip through stateDict and through safetensors bytes', () => {
    const a = new TransformerEncoder({ layers: 2, dim: 8, heads: 2, norm: 'pre', seed: 1 });
    const b = new TransformerEncoder({ layers: 2, dim: 8, heads: 2, norm: 'pre', seed: 2 });
    const c = new TransformerEncoder({ layers: 2, dim: 8, heads: 2, norm: 'pre', seed: 3 });
    expect(b.loadStateDict(a.stateDict())).toEqual({ missing: [], unexpected: [] });
    const bytes = encodeSafetensors(a.stateDict());
    c.loadStateDict(decodeSafetensors(bytes).tensors);
    for (const [k, t] of Object.entries(a.stateDict())) {
      expect(bits(b.stateDict()[k]!), k).toEqual(bits(t));
      expect(bits(c.stateDict()[k]!), k).toEqual(bits(t));
    }
    // the loaded values are copies
    a.namedParameters()[0]![1].value.view()[0] = 42;
    expect(b.namedParameters()[0]![1].value.view()[0]).not.toBe(42);
    // Float32Array and Parameter values are accepted too
    const l = new Linear(3, 2);
    l.loadStateDict({ weight: new Float32Array(6).fill(0.5), bias: new Parameter(Tensor.fromArray([1, 2])) });
    expect(Array.from(l.weight.value.toArray())).toEqual(new Array(6).fill(0.5));
    expect(Array.from(l.bias!.value.toArray())).toEqual([1, 2]);
    for (const m of [a, b, c, l]) m.dispose();
  });

  test('strict errors: missing and unexpected keys, shape and dtype mismatch; nothing loaded on error', () => {
    const l = new Linear(3, 2, { seed: 5 });
    const before = bits(l.weight.value);
    const w = new Float32Array(6).fill(1);
    try {
      l.loadStateDict({ weight: { shape: [2, 3], data: w }, 'extra.weight': w });
      expect.fail('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(StateDictError);
      expect(e).toBeInstanceOf(ArgumentError);
      expect((e as StateDictError).missing).toEqual(['bias']);
      expect((e as StateDictError).unexpected).toEqual(['extra.weight']);
      expect((e as Error).message).toMatch(/missing keys "bias"; unexpected keys "extra.weight"/);
    }
    expect(bits(l.weight.value)).toEqual(before);
    expect(() => l.loadStateDict({ weight: { shape: [3, 2], data: w }, bias: new Float32Array(2) })).toThrow(
      /"weight" must have shape \[2, 3\], got \[3, 2\]/,
    );
    expect(() => l.loadStateDict({ weight: { shape: [3, 2], data: w }, bias: new Float32Array(2) })).toThrow(
      ShapeError,
    );
    expect(() => l.loadStateDict({ weight: w, bias: new Float32Array(3) })).toThrow(/"bias" must have 2 elements/);
    expect(() =>
      l.loadStateDict({ weight: { shape: [2, 3], data: new Int32Array(6) }, bias: new Float32Array(2) }),
    ).toThrow(/"weight" must be float32/);
    expect(bits(l.weight.value)).toEqual(before);
    // non-strict: loads what matches, reports the rest
    const r = l.loadStateDict({ weight: w, other: w }, { strict: false });
    expect(r).toEqual({ missing: ['bias'], unexpected: ['other'] });
    expect(Array.from(l.weight.value.toArray())).toEqual(new Array(6).fill(1));
    l.dispose();
  });
});

describe('modes, freezing, RNG state', () => {
  test('dropout is on in train mode (counter advances), the identity in eval mode', () => {
    const enc = new TransformerEncoder({ layers: 1, dim: 8, heads: 2, dropout: 0.3, seed: 1 });
    const x = Tensor.randn([2, 5, 8], { seed: 9 });
    const run = () => noGrad(() => enc.forward(x).toArray());
    const t1 = run(),
      t2 = run();
    expect(t1).not.toEqual(t2);
    expect(enc.rngState()['layer.0.output.dropout']!.counter).toBe(2 * Math.ceil(80 / 4));
    expect(enc.rngState()['layer.0.attention.self.dropout']!.counter).toBe(2 * Math.ceil((2 * 2 * 5 * 5) / 4));
    enc.eval();
    expect(enc.training).toBe(false);
    expect(enc.layer.at(0).dropout1.training).toBe(false);
    const before = JSON.stringify(enc.rngState());
    const e1 = run(),
      e2 = run();
    expect(e1).toEqual(e2);
    expect(JSON.stringify(enc.rngState())).toBe(before);
    enc.train();
    // restoring the RNG state replays the same masks
    enc.resetParameters(1);
    const s0 = enc.rngState();
    expect(run()).toEqual(t1);
    enc.loadRngState(s0);
    expect(run()).toEqual(t1);
    expect(() => enc.loadRngState({})).toThrow(StateDictError);
    tape.release();
    x.dispose();
    enc.dispose();
  });

  test('requiresGrad = false freezes parameters through modules', () => {
    const emb = new Embedding(6, 8, { seed: 1 });
    const enc = new TransformerEncoder({ layers: 1, dim: 8, heads: 2, dropout: 0 });
    const head = new Linear(8, 2);
    emb.setRequiresGrad(false);
    enc.layer.at(0).attention.setRequiresGrad(false);
    const ids = Tensor.fromArray(Int32Array.of(1, 2, 3, 4, 5, 0), [2, 3], 'int32');
    const y = Tensor.fromArray(Int32Array.of(0, 1), [2], 'int32');
    const all = [...emb.parameters(), ...enc.parameters(), ...head.parameters()];
    const frozen = new Set([...emb.parameters(), ...enc.layer.at(0).attention.parameters()]);
    const before = all.map((p) => bits(p.value));
    const opt = new AdamW(all, { lr: 0.1 });
    step(() => {
      const loss = F.crossEntropy(head.forward(F.meanPool(enc.forward(emb.forward(ids)))), y);
      loss.backward();
      opt.step();
    });
    all.forEach((p, i) => {
      if (frozen.has(p)) {
        expect(p.grad).toBeNull();
        expect(bits(p.value)).toEqual(before[i]);
      } else {
        expect(bits(p.value)).not.toEqual(before[i]);
      }
    });
    // the attention's LayerNorm lives under attention.output but is not part of MultiHeadAttention's math... it is in its tree
    expect(enc.layer.at(0).norm1.weight.requiresGrad).toBe(false);
    enc.setRequiresGrad(true);
    expect(enc.parameterCount(true)).toBe(enc.parameterCount());
    ids.dispose();
    y.dispose();
    opt.dispose();
    for (const m of [emb, enc, head]) m.dispose();
  });

  test('zeroGrad clears the gradients of the whole tree', () => {
    const ln = new LayerNorm(4);
    const x = Tensor.randn([3, 4], { seed: 1 });
    step(() => F.sum(F.mul(ln.forward(x), x)).backward());
    expect(ln.bias.grad!.toArray().some((v) => v !== 0)).toBe(true);
    ln.zeroGrad();
    expect(Array.from(ln.bias.grad!.toArray())).toEqual([0, 0, 0, 0]);
    x.dispose();
    ln.dispose();
  });

  test('Dropout module: p checked, identity for p = 0 without advancing', () => {
    expect(() => new Dropout(1)).toThrow(ArgumentError);
    const d = new Dropout(0);
    const x = Tensor.randn([10], { seed: 1 });
    noGrad(() => d.forward(x));
    expect(d.counter).toBe(0);
    tape.release();
    x.dispose();
  });
});

test('resume: k steps, save (weights, AdamW, RNG counters) to a checkpoint, restore into fresh objects, continue = uninterrupted run', () => {
  const cfg = {
    vocab: 12,
    dim: 8,
    heads: 2,
    layers: 2,
    dropout: 0.2,
    norm: 'pre' as const,
    positions: 'learned' as const,
  };
  const batches = Array.from({ length: 6 }, (_, i) => makeBatchWith(lib, 100 + i, 4, 7, cfg.vocab));
  const trainSteps = (m: TinyModel, opt: AdamW, from: number, to: number) => {
    for (let s = from; s < to; s++) {
      const b = batches[s]!;
      step(() => {
        m.loss(b.ids, b.mask, b.labels).backward();
        opt.step();
        opt.zeroGrad();
      });
    }
  };
  // uninterrupted
  const m1 = makeTiny(lib, cfg, 11);
  const o1 = new AdamW(defaultParamGroups(m1.namedParameters()), { lr: 1e-2 });
  trainSteps(m1, o1, 0, 6);
  // interrupted after 3 steps
  const m2 = makeTiny(lib, cfg, 11);
  const o2 = new AdamW(defaultParamGroups(m2.namedParameters()), { lr: 1e-2 });
  trainSteps(m2, o2, 0, 3);
  const bytes = encodeCheckpoint({
    weights: m2.stateDict(),
    optimizer: o2.stateDict(),
    meta: { rng: m2.rngState(), step: 3 },
  });
  m2.dispose();
  const ck = decodeCheckpoint(bytes);
  const m3 = makeTiny(lib, cfg, 999); // other init: everything must come from the checkpoint
  m3.loadStateDict(ck.weights);
  m3.loadRngState(ck.meta.rng as never);
  const o3 = new AdamW(defaultParamGroups(m3.namedParameters()), { lr: 1e-2 });
  o3.loadStateDict(ck.optimizer!);
  trainSteps(m3, o3, 3, 6);
  const s1 = m1.stateDict(),
    s3 = m3.stateDict();
  for (const k of Object.keys(s1)) expect(bits(s3[k]!), k).toEqual(bits(s1[k]!));
  expect(m3.rngState()).toEqual(m1.rngState());
  for (const b of batches) b.dispose();
  m1.dispose();
  m3.dispose();
});
