// TextClassifier: learns an order task through fit(), sub-word features for
// unseen ids, padding invariance, bit-identical resume from checkpoint bytes,
// flat memory over fit steps, safetensors round trip, typed errors.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { memoryStats } from '../../src/core/runtime.js';
import { ArgumentError, VocabError, FormatError } from '../../src/core/errors.js';
import { decodeCheckpoint } from '../../src/io/checkpoint.js';
import { TextClassifier, type ClassificationExample } from '../../src/models/encoder/classifier.js';
import type { Progress } from '../../src/train/progress.js';
import * as lib from '../../src/index.js';
import { VOCAB, orderData } from '../helpers/order-task.js';

beforeAll(async () => {
  await initForTests();
});

function bitsOf(m: TextClassifier): Uint32Array[] {
  return m.namedParameters().map(([, p]) => new Uint32Array((p.value.toArray() as Float32Array).buffer));
}

describe('TextClassifier', () => {
  test('learns "is A before B" (needs attention and positions) to >= 95% held-out', async () => {
    const m = new TextClassifier({
      vocabSize: VOCAB,
      numClasses: 2,
      dim: 32,
      heads: 4,
      layers: 2,
      ffn: 64,
      maxLen: 16,
      dropout: 0,
      attentionDropout: 0,
      seed: 1,
    });
    const progress: Progress[] = [];
    const r = await m.fit(orderData(1, 4000), {
      epochs: 4,
      batchSize: 32,
      lr: 3e-3,
      warmup: 0.05,
      valid: orderData(2, 200),
      onProgress: (p) => progress.push(p),
    });
    expect(r.steps).toBe(4 * 125);
    expect(r.history).toHaveLength(4);
    const ev = m.evaluate(orderData(3, 1000));
    expect(ev.n).toBe(1000);
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(r.validAccuracy).toBeGreaterThanOrEqual(0.9);
    const last = progress[progress.length - 1]!;
    expect(last.step).toBe(500);
    expect(last.epoch).toBe(4);
    expect(last.validAccuracy).toBe(r.validAccuracy);
    expect(last.itemsPerSec).toBeGreaterThan(0);
    // every report has a finite loss; an epoch-end report carries that epoch's mean
    expect(progress.every((p) => Number.isFinite(p.loss))).toBe(true);
    expect(last.loss).toBe(r.history[3]!.loss);
    m.dispose();
  });

  test('sub-word features: an unseen word (UNK id + its n-gram ids) is classified by its n-grams', async () => {
    // class = the group (0/1/2) of the sequence's words; words 2..25 in training, 26..31 never seen.
    // Word w of group g has n-grams {3g, 3g + 1, 3g + 2, 9 + w} (shared group n-grams + its own); its
    // token id is w, or UNK (1) for unseen words and, in training, for 20% of the words (word dropout).
    const UNK = 1;
    const group = (w: number) => w % 3;
    const rng = new Philox(9, 1);
    const make = (lo: number, hi: number, n: number, unk: number): ClassificationExample[] =>
      Array.from({ length: n }, () => {
        const g = rng.nextInt(3);
        const len = 1 + rng.nextInt(4);
        const words: number[] = [];
        for (let i = 0; i < len; i++) {
          let w: number;
          do w = lo + rng.nextInt(hi - lo);
          while (group(w) !== g);
          words.push(w);
        }
        const ids = words.map((w) => (rng.nextFloat() < unk ? UNK : w));
        return { ids, label: g, subwords: words.map((w) => [3 * group(w), 3 * group(w) + 1, 3 * group(w) + 2, 9 + w]) };
      });
    const m = new TextClassifier({
      vocabSize: 26,
      numClasses: 3,
      dim: 16,
      heads: 2,
      layers: 1,
      ffn: 32,
      maxLen: 8,
      subwordBuckets: 41,
      seed: 2,
      dropout: 0,
    });
    await m.fit(make(2, 26, 800, 0.2), { epochs: 5, batchSize: 16, lr: 3e-3 });
    const unseen = make(26, 32, 300, 1);
    expect(m.evaluate(unseen).accuracy).toBeGreaterThanOrEqual(0.95);
    // the same sequences without their n-grams are all UNK: chance level
    const bare = m.evaluate(unseen.map((e) => ({ ids: e.ids, label: e.label }))).accuracy;
    expect(bare).toBeLessThan(0.5);
    const p = m.predict([UNK], [[3 * group(29), 3 * group(29) + 1, 3 * group(29) + 2, 9 + 29]]);
    expect(p.length).toBe(3);
    expect(Array.from(p).indexOf(Math.max(...p))).toBe(group(29));
    m.dispose();
  });

  test('padding invariance: alone = inside a padded batch with longer sequences (1e-5), every pooling', () => {
    for (const pooling of ['mean', 'max', 'first'] as const) {
      for (const positions of ['learned', 'sinusoidal', 'rotary'] as const) {
        const m = new TextClassifier({
          vocabSize: 20,
          numClasses: 3,
          dim: 16,
          heads: 2,
          layers: 2,
          ffn: 32,
          pooling,
          positions,
          subwordBuckets: 7,
          seed: 4,
        });
        const x = { ids: [3, 4, 5], subwords: [[1, 2], [], [6]] };
        const alone = m.predict(x.ids, x.subwords);
        const batch = m.predictBatch([
          { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9], subwords: Array.from({ length: 9 }, () => [0, 1, 2, 3]) },
          x,
          { ids: [9, 9, 9, 9, 9] },
        ]);
        for (let c = 0; c < 3; c++) expect(Math.abs(batch[1]![c]! - alone[c]!)).toBeLessThan(1e-5);
        expect(lib.tape.tensorCount).toBe(0); // prediction leaves nothing on the tape
        expect(lib.step(() => m.predict(x.ids, x.subwords))).toEqual(alone); // and works inside a caller's step
        m.dispose();
      }
    }
  });

  test('resume: stop mid-epoch, resume in fresh objects from the checkpoint bytes = the uninterrupted run, bit for bit', async () => {
    const cfg = {
      vocabSize: VOCAB,
      numClasses: 2,
      dim: 16,
      heads: 2,
      layers: 2,
      ffn: 32,
      dropout: 0.1,
      attentionDropout: 0.1,
      seed: 7,
      subwordBuckets: 5,
    } as const;
    const data = orderData(5, 50).map((e, i) => ({
      ...e,
      subwords: Array.from(e.ids, (t) => (i % 3 === 0 ? [] : [t % 5, (t + i) % 5])),
    }));
    const opts = { epochs: 3, batchSize: 8, lr: 3e-3, warmup: 0.2, sortWindow: 2 };
    const full = new TextClassifier(cfg);
    const r1 = await full.fit(data, opts);
    expect(r1.steps).toBe(21);
    // the same run, checkpointing every 4 steps; keep the one after step 12 (epoch 2, batch 5 of 7)
    const saved = new Map<number, Uint8Array>();
    const a = new TextClassifier(cfg);
    await a.fit(data, { ...opts, checkpointEvery: 4, onCheckpoint: (bytes, info) => void saved.set(info.step, bytes) });
    expect([...saved.keys()]).toEqual([4, 7, 8, 12, 14, 16, 20, 21]);
    expect(bitsOf(a)).toEqual(bitsOf(full));
    a.dispose();
    const ck = decodeCheckpoint(saved.get(12)!);
    expect(ck.meta.state).toMatchObject({ step: 12, epoch: 1, batch: 5 });
    expect(Object.keys(ck.weights)).toContain('encoder.layer.0.attention.self.query.weight');
    const b = new TextClassifier(cfg);
    const r2 = await b.fit(data, { ...opts, resumeFrom: saved.get(12)! });
    expect(r2.steps).toBe(21);
    expect(bitsOf(b)).toEqual(bitsOf(full));
    expect(r2.history.map((h) => h.loss)).toEqual(r1.history.map((h) => h.loss));
    // and from an epoch end
    const c = new TextClassifier(cfg);
    await c.fit(data, { ...opts, resumeFrom: saved.get(14)! });
    expect(bitsOf(c)).toEqual(bitsOf(full));
    // wrong options or config are typed errors
    await expect(
      new TextClassifier(cfg).fit(data, { ...opts, batchSize: 4, resumeFrom: saved.get(12)! }),
    ).rejects.toThrow(/batchSize must equal the checkpoint's 8, got 4/);
    await expect(
      new TextClassifier({ ...cfg, seed: 8 }).fit(data, { ...opts, resumeFrom: saved.get(12)! }),
    ).rejects.toThrow(ArgumentError);
    const other = data.map((e, i) =>
      i === 3 ? { ...e, ids: Array.from(e.ids, (t, j) => (j === 0 ? (t === 4 ? 5 : 4) : t)) } : e,
    );
    await expect(new TextClassifier(cfg).fit(other, { ...opts, resumeFrom: saved.get(12)! })).rejects.toThrow(
      /train \(the hash of its token ids\) must equal the checkpoint's/,
    );
    for (const m of [full, b, c]) m.dispose();
  });

  test('flat memory over fit steps', async () => {
    const m = new TextClassifier({
      vocabSize: VOCAB,
      numClasses: 2,
      dim: 8,
      heads: 2,
      layers: 1,
      ffn: 16,
      subwordBuckets: 5,
      seed: 3,
    });
    const data = orderData(6, 40).map((e) => ({ ...e, subwords: Array.from(e.ids, (t) => [t % 5]) }));
    await m.fit(data, { epochs: 2, batchSize: 4 }); // warm the GEMM workspaces
    const before = memoryStats();
    await m.fit(data, { epochs: 20, batchSize: 4, valid: data.slice(0, 5) });
    const after = memoryStats();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.blocks).toBe(before.blocks);
    expect(lib.tape.tensorCount).toBe(0);
    m.dispose();
  });

  test('safetensors round trip: HF names, config in the metadata, identical predictions', () => {
    const m = new TextClassifier({
      vocabSize: 12,
      numClasses: 4,
      dim: 8,
      heads: 2,
      layers: 1,
      pooling: 'max',
      subwordBuckets: 6,
      seed: 11,
    });
    const bytes = m.toSafetensors();
    const st = lib.decodeSafetensors(bytes);
    expect(st.metadata['wasm-nlp.model']).toBe('TextClassifier');
    expect(JSON.parse(st.metadata['wasm-nlp.config']!).pooling).toBe('max');
    expect(Object.keys(st.tensors).sort()).toEqual(
      m
        .namedParameters()
        .map(([n]) => n)
        .sort(),
    );
    expect(st.tensors['embeddings.subword_embeddings.weight']!.shape).toEqual([6, 8]);
    const m2 = TextClassifier.fromSafetensors(bytes);
    expect(m2.config).toEqual(m.config);
    expect(m2.predict([1, 2, 3], [[1], [2, 3], []])).toEqual(m.predict([1, 2, 3], [[1], [2, 3], []]));
    expect(() => TextClassifier.fromSafetensors(lib.encodeSafetensors({ x: lib.Tensor.zeros([1]) }))).toThrow(
      FormatError,
    );
    m.dispose();
    m2.dispose();
  });

  test('typed errors naming argument, expectation and value', async () => {
    expect(() => new TextClassifier({ vocabSize: 0, numClasses: 2 })).toThrow(
      /TextClassifier: config.vocabSize must be an integer in \[1, .*got 0/,
    );
    expect(() => new TextClassifier({ vocabSize: 5, numClasses: 0 })).toThrow(ArgumentError);
    expect(() => new TextClassifier({ vocabSize: 5, numClasses: 2, dim: 10, heads: 4 })).toThrow(
      /config.dim must be a multiple of config.heads \(4\), got 10/,
    );
    expect(() => new TextClassifier({ vocabSize: 5, numClasses: 2, pooling: 'sum' as 'mean' })).toThrow(
      /config.pooling must be one of/,
    );
    expect(() => new TextClassifier({ vocabSize: 5, numClasses: 2, dropuot: 0.1 } as never)).toThrow(/got 'dropuot'/);
    const m = new TextClassifier({ vocabSize: 5, numClasses: 2, dim: 8, heads: 2, layers: 1 });
    await expect(m.fit([])).rejects.toThrow(/train must hold at least one example, got 0/);
    await expect(m.fit([{ ids: [1, 7], label: 0 }])).rejects.toThrow(VocabError);
    await expect(m.fit([{ ids: [1, 7], label: 0 }])).rejects.toThrow(
      /train\[0\].ids\[1\] must be an integer in \[0, 5\) \(vocabSize\), got 7/,
    );
    await expect(m.fit([{ ids: [1], label: 2 }])).rejects.toThrow(
      /train\[0\].label must be an integer in \[0, 2\) \(numClasses\), got 2/,
    );
    await expect(m.fit([{ ids: [], label: 1 }])).rejects.toThrow(/train\[0\].ids must hold at least one token, got 0/);
    await expect(m.fit([{ ids: [1], label: 1, subwords: [[0]] }])).rejects.toThrow(
      /subwords must be omitted when config.subwordBuckets is 0/,
    );
    await expect(m.fit([{ ids: [1], label: 1 }], { epochs: 0 })).rejects.toThrow(
      /options.epochs must be a positive integer, got 0/,
    );
    await expect(m.fit([{ ids: [1], label: 1 }], { threads: 0 })).rejects.toThrow(
      /options.threads must be an integer in \[1, 64\], got 0/,
    );
    await expect(m.fit([{ ids: [1], label: 1 }], { lr: -1 })).rejects.toThrow(
      /options.lr must be a finite number > 0, got -1/,
    );
    await expect(m.fit([{ ids: [1], label: 1 }], { epoch: 2 } as never)).rejects.toThrow(/got 'epoch'/);
    await expect(m.fit([{ ids: [1], label: 1 }], { resumeFrom: new Uint8Array(3) })).rejects.toThrow(FormatError);
    expect(() => m.predict([9])).toThrow(VocabError);
    expect(() => m.evaluate([{ ids: [1], label: 1 }], { batchSize: 0 })).toThrow(
      /options.batchSize must be a positive integer, got 0/,
    );
    const s = new TextClassifier({ vocabSize: 5, numClasses: 2, dim: 8, heads: 2, layers: 1, subwordBuckets: 3 });
    expect(() => s.predict([1, 2], [[0]])).toThrow(
      /subwords must be an array with one entry per token \(2\), got length 1/,
    );
    expect(() => s.predict([1], [[3]])).toThrow(
      /subwords\[0\]\[0\] must be an integer in \[0, 3\) \(subwordBuckets\), got 3/,
    );
    m.dispose();
    s.dispose();
  });

  test('threads: 2 without a worker pool is a typed error (tests/models/threads.test.ts runs it); long inputs keep their first maxLen tokens', async () => {
    const cfg = { vocabSize: VOCAB, numClasses: 2, dim: 8, heads: 2, layers: 1, maxLen: 4, seed: 5 };
    const data = orderData(8, 12);
    const a = new TextClassifier(cfg),
      b = new TextClassifier(cfg);
    await a.fit(data, { epochs: 1, batchSize: 4 });
    await expect(b.fit(data, { epochs: 1, batchSize: 4, threads: 2 })).rejects.toThrow(
      /threads must be at most the worker pool size, got 2 with no worker pool/,
    );
    expect(a.predict([3, 4, 5, 6, 1, 2, 1])).toEqual(a.predict([3, 4, 5, 6]));
    a.dispose();
    b.dispose();
  });
});
