// SequenceTagger: learns a tag that depends on the left neighbour, sub-word
// features for unseen words, padding invariance, bit-identical resume, flat
// memory over fit steps, safetensors round trip, chunking of long inputs, typed errors.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { memoryStats } from '../../src/core/runtime.js';
import { ArgumentError, VocabError } from '../../src/core/errors.js';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { SequenceTagger, type TaggingExample } from '../../src/models/encoder/tagger.js';
import * as lib from '../../src/index.js';

beforeAll(async () => {
  await initForTests();
});

const VOCAB = 10;

/** Tag of token i = 0 at the start, else 1 + (left neighbour's id mod 3): the token itself says nothing. */
function neighbourData(seed: number, n: number): TaggingExample[] {
  const rng = new Philox(seed, 4);
  return Array.from({ length: n }, () => {
    const len = 2 + rng.nextInt(11);
    const ids = Array.from({ length: len }, () => 1 + rng.nextInt(VOCAB - 1));
    return { ids, tags: ids.map((_, i) => (i === 0 ? 0 : 1 + (ids[i - 1]! % 3))) };
  });
}

function bitsOf(m: SequenceTagger): Uint32Array[] {
  return m.namedParameters().map(([, p]) => new Uint32Array((p.value.toArray() as Float32Array).buffer));
}

describe('SequenceTagger', () => {
  test('learns "tag = class of the left neighbour" to >= 95% held-out token accuracy', async () => {
    const m = new SequenceTagger({
      vocabSize: VOCAB,
      numTags: 4,
      dim: 32,
      heads: 4,
      layers: 2,
      ffn: 64,
      maxLen: 16,
      dropout: 0,
      attentionDropout: 0,
      seed: 1,
    });
    const r = await m.fit(neighbourData(1, 2000), {
      epochs: 3,
      batchSize: 32,
      lr: 3e-3,
      warmup: 0.05,
      valid: neighbourData(2, 100),
    });
    expect(r.steps).toBe(3 * 63);
    const ev = m.evaluate(neighbourData(3, 500));
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(r.validAccuracy).toBeGreaterThanOrEqual(0.9);
    const x = neighbourData(4, 1)[0]!;
    expect(Array.from(m.predict(x.ids))).toEqual(Array.from(x.tags));
    m.dispose();
  });

  test('sub-word features: unseen words (UNK id + their n-gram ids) are tagged by their n-grams', async () => {
    // tag = the group (0/1/2) of the word; words 2..25 seen, 26..31 unseen; n-grams {3g, 3g+1, 3g+2, 9 + w};
    // token id = the word, or UNK (1) for unseen words and 20% of training words (word dropout).
    const UNK = 1;
    const group = (w: number) => w % 3;
    const rng = new Philox(9, 2);
    const make = (lo: number, hi: number, n: number, unk: number): TaggingExample[] =>
      Array.from({ length: n }, () => {
        const words = Array.from({ length: 1 + rng.nextInt(6) }, () => lo + rng.nextInt(hi - lo));
        return {
          ids: words.map((w) => (rng.nextFloat() < unk ? UNK : w)),
          tags: words.map(group),
          subwords: words.map((w) => [3 * group(w), 3 * group(w) + 1, 3 * group(w) + 2, 9 + w]),
        };
      });
    const m = new SequenceTagger({
      vocabSize: 26,
      numTags: 3,
      dim: 16,
      heads: 2,
      layers: 1,
      ffn: 32,
      maxLen: 8,
      subwordBuckets: 41,
      seed: 2,
      dropout: 0,
    });
    await m.fit(make(2, 26, 500, 0.2), { epochs: 4, batchSize: 16, lr: 3e-3 });
    const unseen = make(26, 32, 200, 1);
    expect(m.evaluate(unseen).accuracy).toBeGreaterThanOrEqual(0.95);
    expect(m.evaluate(unseen.map((e) => ({ ids: e.ids, tags: e.tags }))).accuracy).toBeLessThan(0.6);
    m.dispose();
  });

  test('padding invariance: probabilities alone = inside a padded batch with longer sequences (1e-5)', () => {
    for (const positions of ['learned', 'sinusoidal', 'rotary'] as const) {
      for (const norm of ['pre', 'post'] as const) {
        const m = new SequenceTagger({
          vocabSize: 20,
          numTags: 5,
          dim: 16,
          heads: 2,
          layers: 2,
          ffn: 32,
          positions,
          norm,
          subwordBuckets: 7,
          seed: 4,
        });
        const x = { ids: [3, 4, 5, 6], subwords: [[1, 2], [], [6], [0, 0, 1]] };
        const alone = m.predictProbaBatch([x])[0]!;
        const batch = m.predictProbaBatch([
          { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], subwords: Array.from({ length: 11 }, () => [0, 1, 2, 3, 4]) },
          x,
          { ids: [9, 9] },
        ]);
        expect(batch[1]!.length).toBe(4 * 5);
        for (let i = 0; i < alone.length; i++) expect(Math.abs(batch[1]![i]! - alone[i]!)).toBeLessThan(1e-5);
        m.dispose();
      }
    }
  });

  test('resume: stop mid-epoch, resume in fresh objects = the uninterrupted run, bit for bit', async () => {
    const cfg = {
      vocabSize: VOCAB,
      numTags: 4,
      dim: 16,
      heads: 2,
      layers: 2,
      ffn: 32,
      dropout: 0.1,
      attentionDropout: 0.1,
      seed: 3,
      maxLen: 12,
      positions: 'rotary',
      subwordBuckets: 4,
    } as const;
    const data = neighbourData(5, 40).map((e) => ({ ...e, subwords: Array.from(e.ids, (t) => [t % 4]) }));
    const opts = { epochs: 2, batchSize: 8, lr: 3e-3, warmup: 0.3, clip: 0.5 };
    const full = new SequenceTagger(cfg);
    const r1 = await full.fit(data, opts);
    expect(r1.steps).toBe(10); // 5 batches per epoch
    const saved = new Map<number, Uint8Array>();
    const a = new SequenceTagger(cfg);
    await a.fit(data, {
      ...opts,
      checkpointEvery: 3,
      onCheckpoint: async (bytes, info) => void saved.set(info.step, bytes),
    });
    expect([...saved.keys()]).toEqual([3, 5, 6, 9, 10]);
    expect(bitsOf(a)).toEqual(bitsOf(full));
    a.dispose();
    for (const [at, batch] of [
      [3, 3],
      [6, 1],
      [5, 0],
    ] as const) {
      expect((decodeCheckpoint(saved.get(at)!).meta.state as { batch: number }).batch).toBe(batch);
      const b = new SequenceTagger(cfg);
      const r2 = await b.fit(data, { ...opts, resumeFrom: saved.get(at)! });
      expect(bitsOf(b)).toEqual(bitsOf(full));
      expect(r2.trainLoss).toBe(r1.trainLoss);
      b.dispose();
    }
    full.dispose();
  });

  test('flat memory over fit steps', async () => {
    const m = new SequenceTagger({
      vocabSize: VOCAB,
      numTags: 4,
      dim: 8,
      heads: 2,
      layers: 1,
      ffn: 16,
      subwordBuckets: 3,
      maxLen: 5,
      seed: 3,
    });
    const data = neighbourData(6, 30).map((e) => ({
      ...e,
      subwords: Array.from(e.ids, (t) => (t % 2 ? [t % 3] : [])),
    }));
    await m.fit(data, { epochs: 2, batchSize: 4 });
    const before = memoryStats();
    await m.fit(data, { epochs: 20, batchSize: 4, valid: data.slice(0, 4) });
    const after = memoryStats();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.blocks).toBe(before.blocks);
    expect(lib.tape.tensorCount).toBe(0);
    m.dispose();
  });

  test('safetensors round trip and long inputs cut into maxLen chunks', () => {
    const m = new SequenceTagger({ vocabSize: 12, numTags: 3, dim: 8, heads: 2, layers: 1, maxLen: 4, seed: 11 });
    const bytes = m.toSafetensors();
    const st = lib.decodeSafetensors(bytes);
    expect(st.metadata['wasm-nlp.model']).toBe('SequenceTagger');
    expect(st.tensors['classifier.weight']!.shape).toEqual([3, 8]);
    const m2 = SequenceTagger.fromSafetensors(bytes);
    const long = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(m2.predictProbaBatch([{ ids: long }])).toEqual(m.predictProbaBatch([{ ids: long }]));
    const whole = m.predictProbaBatch([{ ids: long }])[0]!;
    const parts = m.predictProbaBatch([{ ids: long.slice(0, 4) }, { ids: long.slice(4, 8) }, { ids: long.slice(8) }]);
    expect(whole).toEqual(Float32Array.from([...parts[0]!, ...parts[1]!, ...parts[2]!]));
    expect(m.predict(long).length).toBe(10);
    expect(m.predict([]).length).toBe(0);
    expect(() => lib.TextClassifier.fromSafetensors(bytes)).toThrow(
      /"wasm-nlp.model": "TextClassifier", got "SequenceTagger"/,
    );
    m.dispose();
    m2.dispose();
  });

  test('typed errors naming argument, expectation and value', async () => {
    expect(() => new SequenceTagger({ vocabSize: 5, numTags: 0 })).toThrow(
      /SequenceTagger: config.numTags must be a positive integer, got 0/,
    );
    expect(() => new SequenceTagger({ vocabSize: 5, numTags: 2, positions: 'alibi' as 'learned' })).toThrow(
      ArgumentError,
    );
    const m = new SequenceTagger({ vocabSize: 5, numTags: 2, dim: 8, heads: 2, layers: 1 });
    await expect(m.fit([{ ids: [1, 2], tags: [0] }])).rejects.toThrow(
      /train\[0\].tags must have one tag per token \(2\), got length 1/,
    );
    await expect(m.fit([{ ids: [1, 2], tags: [0, 2] }])).rejects.toThrow(
      /train\[0\].tags\[1\] must be an integer in \[0, 2\) \(numTags\), got 2/,
    );
    await expect(m.fit([{ ids: [1, -1], tags: [0, 1] }])).rejects.toThrow(VocabError);
    await expect(m.fit([{ ids: [], tags: [] }])).rejects.toThrow(/train must hold at least one token/);
    await expect(m.fit([{ ids: [1], tags: [0] }], { valid: [{ ids: [1], tags: [5] }] })).rejects.toThrow(
      /options.valid\[0\].tags\[0\] must be/,
    );
    await expect(m.fit([{ ids: [1], tags: [0] }], { warmup: 2 })).rejects.toThrow(
      /options.warmup must be a number in \[0, 1\], got 2/,
    );
    await expect(m.fit([{ ids: [1], tags: [0] }], { onProgress: 3 as never })).rejects.toThrow(
      /options.onProgress must be a function, got number/,
    );
    expect(() => m.evaluate([])).toThrow(/data must hold at least one token/);
    m.dispose();
  });
});
