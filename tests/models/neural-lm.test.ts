// NeuralLM (Bengio et al. 2003): the forward pass and per-token losses against
// a plain float64 JavaScript reference computed from the weights (so perplexity
// = exp(mean cross-entropy) is checked independently), every variant (hidden,
// direct, tied, no hidden layer), finite differences through the whole model,
// a tiny training run whose loss falls, bit-identical resume, the word API
// (next-word distribution, sampling, neighbours), save/load and typed errors.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { moduleGradCheck } from '../helpers/nn-gradcheck.js';
import { Tensor } from '../../src/core/tensor.js';
import { ArgumentError, FormatError, VocabError } from '../../src/core/errors.js';
import { NeuralLM, type NeuralLMConfig } from '../../src/models/lm/neural-lm.js';
import type { Progress } from '../../src/train/progress.js';
import * as F from '../../src/autograd/functional.js';
import { referenceLosses } from '../reference/neural-lm.js';
import { WORDS, checkedDiagnostics, grammarStream, randomStream, weightBits } from '../helpers/lm-fixtures.js';

beforeAll(async () => {
  await initForTests();
});

const VARIANTS: [string, Partial<NeuralLMConfig>][] = [
  ['hidden layer', { context: 3, embeddingDim: 5, hidden: 7 }],
  ['hidden + direct', { context: 2, embeddingDim: 4, hidden: 6, direct: true }],
  ['tied', { context: 4, embeddingDim: 6, hidden: 6, tied: true }],
  ['tied + direct', { context: 1, embeddingDim: 3, hidden: 3, tied: true, direct: true }],
  ['no hidden layer (direct only)', { context: 3, embeddingDim: 4, hidden: 0, direct: true }],
];

describe('NeuralLM forward and perplexity', () => {
  for (const [name, cfg] of VARIANTS) {
    test(`${name}: per-token losses and perplexity = exp(mean CE) of a float64 reference`, () => {
      const V = 37;
      const m = new NeuralLM({ vocabSize: V, seed: 3, ...cfg });
      // Training moves the output bias off zero; random values make the check sharper.
      const bias = m.namedParameters().find(([n]) => n.endsWith('bias'));
      if (bias) (bias[1].value.view() as Float32Array).forEach((_, i, arr) => (arr[i] = Math.sin(i) * 0.3));
      const s = randomStream(5, 53, V);
      const ref = referenceLosses(m, s);
      const got = m.tokenLosses(s, { batchSize: 10 }); // awkward batch: 53 = 5·10 + 3
      for (let i = 0; i < s.length; i++) expect(got[i]).toBeCloseTo(ref[i]!, 4);
      const meanRef = ref.reduce((x, y) => x + y, 0) / ref.length;
      const ev = m.evaluate(s);
      expect(ev.n).toBe(53);
      expect(Math.abs(ev.perplexity - Math.exp(meanRef)) / Math.exp(meanRef)).toBeLessThan(1e-5);
      const p = m.tokenProbs(s);
      for (let i = 0; i < s.length; i++) expect(p[i]).toBeCloseTo(Math.exp(-ref[i]!), 6);
      m.dispose();
    });
  }

  test('the output layer is batched: 1 and 1,000 positions per batch give the same losses', () => {
    const m = new NeuralLM({ vocabSize: 300, context: 4, embeddingDim: 8, hidden: 16, direct: true, seed: 1 });
    const s = randomStream(9, 400, 300);
    const a = m.tokenLosses(s, { batchSize: 1 }),
      b = m.tokenLosses(s, { batchSize: 1000 });
    for (let i = 0; i < s.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
    m.dispose();
  });
});

describe('NeuralLM gradients', () => {
  for (const [name, cfg] of VARIANTS) {
    test(`${name}: finite differences through the whole model (with dropout replayed)`, () => {
      const V = 11;
      const m = new NeuralLM({ vocabSize: V, seed: 2, dropout: 0.2, ...cfg });
      m.train();
      const B = 5;
      const s = randomStream(4, B * (m.config.context + 1), V);
      const ids = Tensor.fromArray(s.subarray(0, B * m.config.context), [B, m.config.context], 'int32');
      const tg = Tensor.fromArray(s.subarray(B * m.config.context), [B], 'int32');
      try {
        const n = moduleGradCheck(m, () => F.reshape(m.loss(ids, tg), [1]), [], { eps: 1e-2, rtol: 2e-2, atol: 2e-3 });
        expect(n).toBe(m.parameterCount());
      } finally {
        ids.dispose();
        tg.dispose();
        m.dispose();
      }
    });
  }
});

describe('NeuralLM training', () => {
  test('a tiny model on a slice: the loss falls, the validation perplexity falls, and it learns the grammar', async () => {
    const V = WORDS.length;
    const train = grammarStream(1, 300),
      valid = grammarStream(2, 40);
    const m = new NeuralLM({ vocabSize: V, context: 3, embeddingDim: 8, hidden: 16, seed: 1 }, WORDS);
    const before = m.evaluate(valid).perplexity;
    const reports: Progress[] = [];
    const r = await m.fit(train, { epochs: 4, batchSize: 32, lr: 1e-2, valid, onProgress: (p) => reports.push(p) });
    const after = m.evaluate(valid).perplexity;
    expect(before).toBeGreaterThan(V * 0.7); // about uniform at the start
    // The grammar has 2·2·2·1·2·2·1 = 32 sentences: perplexity per token ≈ 32^(1/7) ≈ 1.64 at best.
    expect(after).toBeLessThan(2.2);
    const ends = reports.filter((p) => p.epochEnd);
    expect(ends.length).toBe(4);
    expect(ends[3]!.loss).toBeLessThan(ends[0]!.loss);
    expect(r.history.map((h) => h.validPerplexity)).toEqual(ends.map((p) => p.validPerplexity));
    expect(r.bestValidPerplexity).toBeCloseTo(after, 6); // best weights restored
    // After "the cat sat on": "the" or "a" only.
    const next = m
      .topNext(['the', 'cat', 'sat', 'on'], 2)
      .map((w) => w.word)
      .sort();
    expect(next).toEqual(['a', 'the']);
    m.dispose();
  });

  test('maxSteps stops early; lrDecay and patience act on a validation set it cannot improve on', async () => {
    const V = 20;
    const train = randomStream(3, 500, V),
      valid = randomStream(4, 200, V);
    const m = new NeuralLM({ vocabSize: V, context: 2, embeddingDim: 4, hidden: 8, seed: 5 });
    const r1 = await m.fit(train, { epochs: 3, batchSize: 50, maxSteps: 4 });
    expect(r1.steps).toBe(4);
    expect(r1.stopped).toBe(true);
    // Random data: validation gets worse as it memorises; with a large lr it stops after `patience` bad epochs.
    const m2 = new NeuralLM({ vocabSize: V, context: 2, embeddingDim: 16, hidden: 64, seed: 5 });
    const r2 = await m2.fit(train, { epochs: 30, batchSize: 25, lr: 3e-2, valid, patience: 2, lrDecay: 0.5 });
    expect(r2.stopped).toBe(true);
    expect(r2.epochs).toBeLessThan(30);
    const h = r2.history;
    // Each epoch without a new best halves the lr of the next; the last two epochs were both bad.
    let best = Infinity;
    for (let i = 0; i < h.length; i++) {
      const improved = h[i]!.validPerplexity! < best;
      best = Math.min(best, h[i]!.validPerplexity!);
      if (i + 1 < h.length) expect(h[i + 1]!.lr).toBe(improved ? h[i]!.lr : h[i]!.lr * 0.5);
      if (i >= h.length - 2) expect(improved).toBe(false);
    }
    expect(m2.evaluate(valid).perplexity).toBeCloseTo(r2.bestValidPerplexity!, 6);
    m.dispose();
    m2.dispose();
  });

  test('resuming from a checkpoint (mid-epoch and at an epoch end) continues bit-identically', async () => {
    const V = WORDS.length;
    const train = grammarStream(3, 120),
      valid = grammarStream(4, 20);
    const cfg: NeuralLMConfig = {
      vocabSize: V,
      context: 3,
      embeddingDim: 6,
      hidden: 10,
      dropout: 0.25,
      direct: true,
      seed: 7,
    };
    const opts = { epochs: 3, batchSize: 40, lr: 5e-3, valid, checkpointEvery: 7, patience: 1 };
    const whole = new NeuralLM(cfg);
    const saved: { bytes: Uint8Array; info: { step: number; epoch: number; epochEnd: boolean } }[] = [];
    await whole.fit(train, { ...opts, onCheckpoint: (bytes, info) => void saved.push({ bytes, info }) });
    expect(saved.some((s) => !s.info.epochEnd)).toBe(true);
    expect(saved.some((s) => s.info.epochEnd && s.info.epoch === 1)).toBe(true);
    for (const pick of [
      saved.find((s) => !s.info.epochEnd && s.info.epoch === 2)!,
      saved.find((s) => s.info.epochEnd && s.info.epoch === 1)!,
    ]) {
      const resumed = new NeuralLM(cfg);
      await resumed.fit(train, { ...opts, resumeFrom: pick.bytes });
      expect(weightBits(resumed)).toEqual(weightBits(whole));
      resumed.dispose();
    }
    // Different options are refused.
    const other = new NeuralLM(cfg);
    await expect(other.fit(train, { ...opts, lr: 1e-3, resumeFrom: saved[0]!.bytes })).rejects.toThrow(
      /options.lr must equal the checkpoint's/,
    );
    await expect(other.fit(grammarStream(9, 120), { ...opts, resumeFrom: saved[0]!.bytes })).rejects.toThrow(
      /train \(the hash of its ids\)/,
    );
    other.dispose();
    whole.dispose();
  });

  test('diagnostics: every 3rd step reports the gradient norms of embeddings, hidden, output and direct; the weights are the same', async () => {
    const cfg: NeuralLMConfig = {
      vocabSize: WORDS.length,
      context: 3,
      embeddingDim: 6,
      hidden: 10,
      direct: true,
      dropout: 0.2,
      seed: 7,
    };
    const train = grammarStream(3, 60); // 420 positions, batch 40: 11 steps
    const opts = { epochs: 1, batchSize: 40, clip: 0.5 };
    const plain = new NeuralLM(cfg);
    await plain.fit(train, opts);
    const m = new NeuralLM(cfg);
    const reports: Progress[] = [];
    await m.fit(train, { ...opts, diagnostics: { every: 3 }, onProgress: (p) => reports.push(p) });
    // the activations in the order the forward pass runs them
    const modules = ['embeddings', 'input_dropout', 'hidden', 'hidden_dropout', 'output', 'direct'];
    const ds = checkedDiagnostics(reports, [3, 6, 9], ['embeddings', 'hidden', 'output', 'direct'], modules);
    for (const d of ds) expect(d.activations!['hidden']!.count).toBe(40 * 10); // the hidden layer's pre-activations [B, h]
    // measuring changes nothing: bit-identical to the run without diagnostics
    expect(weightBits(m)).toEqual(weightBits(plain));
    await expect(m.fit(train, { diagnostics: { every: 0 } })).rejects.toThrow(
      /NeuralLM\.fit: options\.diagnostics\.every must be an integer/,
    );
    plain.dispose();
    m.dispose();
  });
});

describe('NeuralLM words', () => {
  test('nextWordProbs sums to 1, temperature sharpens; generate is seeded; mostSimilar excludes the word; save/load round trip', () => {
    const m = new NeuralLM({ vocabSize: WORDS.length, context: 2, embeddingDim: 4, hidden: 8, seed: 2 }, WORDS);
    const p = m.nextWordProbs('the cat');
    expect(p.length).toBe(WORDS.length);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const cold = m.nextWordProbs(['the', 'cat'], { temperature: 0.1 });
    expect(Math.max(...cold)).toBeGreaterThan(Math.max(...p));
    // Only the last `context` words count; shorter contexts are bos-padded.
    expect(Array.from(m.nextWordProbs('a log the cat'))).toEqual(Array.from(p));
    expect(Array.from(m.nextWordProbs([WORDS.indexOf('the'), WORDS.indexOf('cat')]))).toEqual(Array.from(p));
    // An empty context is all bos, with or without a vocabulary.
    const bare = new NeuralLM(m.config); // same seed, same weights, no vocabulary
    expect(Array.from(bare.nextWordProbs([]))).toEqual(Array.from(m.nextWordProbs('')));
    bare.dispose();
    const g1 = m.generate('the', { length: 12, seed: 4 }),
      g2 = m.generate('the', { length: 12, seed: 4 }),
      g3 = m.generate('the', { length: 12, seed: 5 });
    expect(g1).toEqual(g2);
    expect(g1).not.toEqual(g3);
    expect(g1.length).toBe(12);
    expect(g1.every((w) => w !== '<s>' && w !== '<unk>')).toBe(true);
    const sim = m.mostSimilar('cat', 3);
    expect(sim.length).toBe(3);
    expect(sim.map((s) => s.word)).not.toContain('cat');
    expect(sim[0]!.similarity).toBeGreaterThanOrEqual(sim[1]!.similarity);
    const bytes = m.toSafetensors();
    const back = NeuralLM.fromSafetensors(bytes);
    expect(back.vocab).toEqual(WORDS);
    expect(back.config).toEqual(m.config);
    expect(Array.from(back.nextWordProbs('the cat'))).toEqual(Array.from(p));
    expect(back.perplexity('the cat sat on the mat .')).toBeCloseTo(m.perplexity('the cat sat on the mat .'), 10);
    expect(Array.from(m.encode('the zebra'))).toEqual([2, 0]);
    back.dispose();
    m.dispose();
  });

  test('greedy generation (topK 1) follows the argmax of nextWordProbs', () => {
    const m = new NeuralLM({ vocabSize: WORDS.length, context: 2, embeddingDim: 4, hidden: 8, seed: 3 }, WORDS);
    const out = m.generate('the cat', { length: 6, topK: 1, allowUnk: true });
    const hist = ['the', 'cat'];
    for (const w of out) {
      const p = m.nextWordProbs(hist.slice(-2));
      p[1] = 0; // bos is never generated
      let best = 0;
      for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
      expect(w).toBe(WORDS[best]);
      hist.push(w);
    }
    m.dispose();
  });

  test('typed errors name the argument', async () => {
    expect(() => new NeuralLM({ vocabSize: 1 })).toThrow(ArgumentError);
    expect(() => new NeuralLM({ vocabSize: 10, hidden: 5, embeddingDim: 4, tied: true })).toThrow(
      /config.hidden must equal config.embeddingDim \(4\)/,
    );
    expect(() => new NeuralLM({ vocabSize: 10, hidden: 0 })).toThrow(/config.direct must be true/);
    expect(() => new NeuralLM({ vocabSize: 10, dropout: 1 })).toThrow(/config.dropout must be a number in \[0, 1\)/);
    expect(() => new NeuralLM({ vocabSize: 10, bos: 0 })).toThrow(/config.bos must differ/);
    expect(() => new NeuralLM({ vocabSize: 10, ctx: 3 } as unknown as NeuralLMConfig)).toThrow(/got 'ctx'/);
    expect(() => new NeuralLM({ vocabSize: 3 }, ['a', 'b'])).toThrow(/vocab must be an array of 3 words/);
    const m = new NeuralLM({ vocabSize: 10, context: 2, embeddingDim: 2, hidden: 2 });
    expect(() => m.encode('a')).toThrow(VocabError);
    expect(() => m.evaluate(Int32Array.from([1, 10]))).toThrow(/stream\[1\] must be a word id in \[0, 10\), got 10/);
    await expect(m.fit(new Int32Array(0))).rejects.toThrow(/train must hold at least one token/);
    await expect(m.fit(Int32Array.from([2, 3]), { batch: 3 } as never)).rejects.toThrow(/got 'batch'/);
    await expect(m.fit(Int32Array.from([2, 3]), { lrDecay: 0 })).rejects.toThrow(
      /options.lrDecay must be a number in \(0, 1\]/,
    );
    await expect(m.fit(Int32Array.from([2, 3]), { valid: [1, 2] as never })).rejects.toThrow(
      /options.valid must be an Int32Array/,
    );
    expect(() => m.nextWordProbs([1, 99])).toThrow(/context\[1\] must be a word id/);
    expect(() => NeuralLM.fromSafetensors(new Uint8Array(4))).toThrow(FormatError);
    m.dispose();
  });
});
