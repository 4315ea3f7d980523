// NeuralLM on a slice of the real Brown LM split (Node: the corpus is read from
// node_modules): a tiny model trained for a few steps lowers its loss, and its
// validation perplexity equals exp(mean cross-entropy) computed independently
// by the float64 reference; the Kneser-Ney trigram on the same slice is the
// yardstick the full experiment (examples/bengio-brown.mjs) uses.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { loadBrown } from '../../src/data/node.js';
import { brownLmSplit } from '../../src/data/brown.js';
import { lmVocab, encodeStream } from '../../src/models/lm/data.js';
import { KneserNey } from '../../src/models/lm/ngram.js';
import { NeuralLM } from '../../src/models/lm/neural-lm.js';
import type { Progress } from '../../src/train/progress.js';
import { referenceLosses } from '../reference/neural-lm.js';

beforeAll(async () => {
  await initForTests();
});

describe('NeuralLM on a Brown slice', () => {
  test('a few steps lower the loss; perplexity = exp(mean CE) of the float64 reference', async () => {
    const split = brownLmSplit(loadBrown(), { train: 20_000, valid: 2_000 });
    const vocab = lmVocab(split.train, { minCount: 4 });
    const train = encodeStream(split.train, vocab.index);
    const valid = encodeStream(split.valid, vocab.index);
    expect(train.length).toBe(20_000);
    expect(valid.length).toBe(2_000);
    const V = vocab.words.length;
    const m = new NeuralLM({ vocabSize: V, context: 3, embeddingDim: 16, hidden: 32, seed: 1 }, vocab.words);
    const before = m.evaluate(valid);
    const ends: Progress[] = [];
    const losses: number[] = [];
    await m.fit(train, {
      epochs: 2,
      batchSize: 128,
      lr: 3e-3,
      valid,
      onProgress: (p) => (p.epochEnd ? ends.push(p) : losses.push(p.loss)),
      onCheckpoint: () => {},
    });
    expect(ends.length).toBe(2);
    expect(ends[1]!.loss).toBeLessThan(ends[0]!.loss);
    const after = m.evaluate(valid);
    expect(after.loss).toBeLessThan(before.loss - 0.5);
    // Perplexity, independently: the reference forward pass in float64 from the weights.
    const ref = referenceLosses(m, valid);
    const meanCE = ref.reduce((a, b) => a + b, 0) / ref.length;
    expect(Math.abs(after.perplexity - Math.exp(meanCE)) / Math.exp(meanCE)).toBeLessThan(1e-5);
    expect(Math.abs(after.loss - meanCE)).toBeLessThan(1e-5);
    // After two epochs on 20k tokens the model beats the uniform distribution by far, but a trigram still wins.
    expect(after.perplexity).toBeLessThan(V / 4);
    const kn = KneserNey.fit(train, { order: 3, vocabSize: V, bos: 1 });
    expect(kn.perplexity(valid)).toBeLessThan(after.perplexity * 1.5);
    m.dispose();
  }, 60_000);
});
