// BERT training (src/models/bert-train.ts): packing documents into pre-training
// sequences (hand-checked), a tiny masked-LM pre-training run whose held-out loss
// falls and whose accuracy beats the most-frequent-token baseline, bit-identical
// resumption mid-epoch (masking counter included), fine-tuning of the two heads on
// toy tasks with evaluate() against a plain-JS reading of the forward logits,
// toPretrained → fromPretrained round trips with the vocabulary, typed errors.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { ArgumentError, VocabError } from '../../src/core/errors.js';
import { noGrad, step, tape } from '../../src/autograd/tape.js';
import { AdamW } from '../../src/optim/optimizer.js';
import { defaultParamGroups } from '../../src/optim/groups.js';
import { Philox } from '../../src/core/rng.js';
import { WordPiece } from '../../src/text/wordpiece.js';
import {
  BertForMaskedLM,
  BertForSequenceClassification,
  BertForTokenClassification,
  bertConfig,
  bertConfigJson,
} from '../../src/models/bert/index.js';
import { packMaskedLMExamples, EVAL_MASKING_STREAM } from '../../src/models/bert/training.js';
import { maskTokens } from '../../src/models/bert/masking.js';

beforeAll(async () => {
  await initForTests();
});

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

// A toy language with structure a masked LM can learn: "the <adj> <noun> <verb> the <noun> ." where the
// adjective agrees with the noun's class and the verb with the subject's class.
function toyCorpus(n: number, seed: number): string[][] {
  const rng = new Philox(seed, 7, 0);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
  const classes = [
    { adj: ['big', 'heavy'], noun: ['dog', 'horse'], verb: ['runs', 'jumps'] },
    { adj: ['small', 'quiet'], noun: ['cat', 'mouse'], verb: ['sleeps', 'hides'] },
  ];
  const docs: string[][] = [];
  for (let d = 0; d < n; d++) {
    const doc: string[] = [];
    for (let s = 0; s < 4; s++) {
      const c = pick(classes),
        o = pick(classes);
      doc.push(`the ${pick(c.adj)} ${pick(c.noun)} ${pick(c.verb)} near the ${pick(o.noun)} .`);
    }
    docs.push(doc);
  }
  return docs;
}

const tinyConfig = (V: number, extra: Record<string, unknown> = {}) => ({
  vocabSize: V,
  hiddenSize: 32,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 64,
  maxPositionEmbeddings: 64,
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  ...extra,
});

describe('packMaskedLMExamples', () => {
  const tok = new WordPiece([...SPECIALS, 'a', 'b', 'c', 'd', 'long', '##er', '.'], { specialTokens: SPECIALS });
  const id = (t: string) => tok.idOf(t);

  test('sentences packed whole into [CLS] … [SEP], never across documents; wordStarts mark ## pieces', () => {
    const ex = packMaskedLMExamples(tok, [['a b .', 'c d .', 'a longer .'], ['b .']], { maxLength: 9 });
    // budget 7: "a b ." + "c d ." = 6 tokens; "a long ##er ." (4) does not fit → new sequence; a new document → new sequence
    expect(ex.map((e) => Array.from(e.ids))).toEqual([
      [id('[CLS]'), id('a'), id('b'), id('.'), id('c'), id('d'), id('.'), id('[SEP]')],
      [id('[CLS]'), id('a'), id('long'), id('##er'), id('.'), id('[SEP]')],
      [id('[CLS]'), id('b'), id('.'), id('[SEP]')],
    ]);
    expect(Array.from(ex[1]!.wordStarts!)).toEqual([1, 1, 1, 0, 1, 1]);
  });

  test('a sentence longer than a sequence is cut into pieces; empty sentences are skipped', () => {
    const ex = packMaskedLMExamples(tok, [['', 'a b c d a b c', 'd']], { maxLength: 5 });
    expect(
      ex.map((e) =>
        Array.from(e.ids)
          .map((i) => tok.tokenOf(i))
          .join(' '),
      ),
    ).toEqual(['[CLS] a b c [SEP]', '[CLS] d a b [SEP]', '[CLS] c d [SEP]']);
  });

  test('typed errors', () => {
    expect(() => packMaskedLMExamples(tok, [['a']], { maxLength: 2 })).toThrow(
      /options\.maxLength must be an integer >= 3, got 2/,
    );
    expect(() => packMaskedLMExamples(tok, ['a b' as unknown as string[]])).toThrow(
      /documents\[0\] must be an array of sentences/,
    );
    expect(() => packMaskedLMExamples(tok, [['a', 3 as unknown as string]])).toThrow(
      /documents\[0\]\[1\] must be a string, got number/,
    );
  });
});

describe('masked-LM pre-training', () => {
  const docs = toyCorpus(120, 1);
  const tok = WordPiece.train(docs.flat(), { vocabSize: 60, minFrequency: 2 });
  const train = packMaskedLMExamples(tok, docs.slice(0, 100), { maxLength: 32 });
  const held = packMaskedLMExamples(tok, docs.slice(100), { maxLength: 32 });

  test('a tiny run: held-out MLM loss falls and accuracy beats the most-frequent-token baseline', async () => {
    const model = new BertForMaskedLM(tinyConfig(tok.size), { seed: 3 });
    model.tokenizer = tok;
    const before = model.evaluate(held);
    expect(before.n).toBeGreaterThan(50);
    expect(before.loss).toBeGreaterThan(Math.log(tok.size) - 0.5); // untrained: about uniform
    const reports: number[] = [];
    const r = await model.fit(train, {
      epochs: 12,
      batchSize: 8,
      lr: 3e-3,
      warmup: 0.1,
      valid: held,
      onProgress: (p) => reports.push(p.loss),
    });
    const after = model.evaluate(held);
    // the same positions scored (fixed evaluation masking)
    expect(after.n).toBe(before.n);
    expect(after.loss).toBeLessThan(before.loss - 1.5);
    // baseline: the share of the most frequent train token among the held-out non-special tokens
    const counts = new Map<number, number>();
    for (const e of train)
      for (const t of Array.from(e.ids)) if (!tok.isSpecialId(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    let hit = 0,
      all = 0;
    for (const e of held) {
      for (const t of Array.from(e.ids)) {
        if (tok.isSpecialId(t)) continue;
        all++;
        if (t === top) hit++;
      }
    }
    expect(after.accuracy).toBeGreaterThan(hit / all + 0.15);
    expect(r.history).toHaveLength(12);
    expect(r.history[11]!.loss).toBeLessThan(r.history[0]!.loss);
    expect(r.validAccuracy).toBeCloseTo(after.accuracy, 10);
    expect(reports.length).toBeGreaterThan(0);
    model.dispose();
  }, 60_000);

  test("evaluate: the loss and accuracy of the model's own logits at the masked positions (plain JS), whatever the batch size", () => {
    const model = new BertForMaskedLM(tinyConfig(tok.size), { seed: 5 });
    model.tokenizer = tok;
    model.eval();
    const data = held.slice(0, 5);
    const ev = model.evaluate(data, { batchSize: 2 });
    // by hand: each sequence masked on its own (seed 0, the evaluation stream, counter = index × (maxPositions + 1)), full logits, log-softmax in float64
    const V = tok.size,
      specialIds = [0, 1, 2, 3, 4];
    let loss = 0,
      right = 0,
      n = 0;
    data.forEach((e, i) => {
      const mk = maskTokens(Int32Array.from(e.ids), {
        maskId: tok.idOf('[MASK]'),
        vocabSize: V,
        specialIds,
        padId: 0,
        seed: 0,
        stream: EVAL_MASKING_STREAM,
        counter: i * 65,
      });
      const ids = Tensor.fromArray(mk.inputIds, [1, e.ids.length], 'int32');
      const logits = noGrad(() => model.forward({ inputIds: ids }).toArray() as Float32Array);
      ids.dispose();
      mk.labels.forEach((l, t) => {
        if (l === -100) return;
        const row = logits.subarray(t * V, (t + 1) * V);
        let mx = -Infinity,
          arg = 0;
        row.forEach((v, j) => v > mx && ((mx = v), (arg = j)));
        let z = 0;
        row.forEach((v) => (z += Math.exp(v - mx)));
        loss += Math.log(z) + mx - row[l]!;
        if (arg === l) right++;
        n++;
      });
    });
    expect(ev.n).toBe(n);
    expect(ev.accuracy).toBe(right / n);
    expect(ev.loss).toBeCloseTo(loss / n, 5);
    for (const bs of [1, 5]) {
      const other = model.evaluate(data, { batchSize: bs });
      expect(other.n).toBe(ev.n);
      expect(other.accuracy).toBe(ev.accuracy);
      expect(other.loss).toBeCloseTo(ev.loss, 5);
    }
    const reseeded = model.evaluate(data, { seed: 9 });
    expect(reseeded.n === ev.n && reseeded.loss === ev.loss).toBe(false); // another seed, other positions
    expect(() => model.evaluate(data, { seed: -1 })).toThrow(
      /BertForMaskedLM\.evaluate: options\.seed must be an integer in \[0, 2\^53\), got -1/,
    );
    model.dispose();
  });

  test('resume mid-epoch from checkpoint bytes = the uninterrupted run, bit for bit (masking included)', async () => {
    const opts = { epochs: 2, batchSize: 8, lr: 2e-3, checkpointEvery: 5 };
    const saved = new Map<number, Uint8Array>();
    const a = new BertForMaskedLM(tinyConfig(tok.size), { seed: 2 });
    a.tokenizer = tok;
    await a.fit(train, { ...opts, onCheckpoint: (b, info) => void saved.set(info.step, b) });
    const steps = [...saved.keys()].sort((x, y) => x - y);
    const mid = steps.find((s) => s % 5 === 0 && s > 5)!;
    const b = new BertForMaskedLM(tinyConfig(tok.size), { seed: 2 });
    b.tokenizer = tok;
    await b.fit(train, { ...opts, resumeFrom: saved.get(mid)! });
    const wa = a.stateDict(),
      wb = b.stateDict();
    for (const k of Object.keys(wa)) expect(wb[k]!.toArray()).toEqual(wa[k]!.toArray());
    await expect(
      new BertForMaskedLM(tinyConfig(tok.size), { seed: 2 }).fit(train, {
        ...opts,
        masking: { maskId: tok.idOf('[MASK]'), specialIds: [0, 1, 2, 3, 4] },
        batchSize: 4,
        resumeFrom: saved.get(mid)!,
      }),
    ).rejects.toThrow(/batchSize must equal the checkpoint's 8, got 4/);
    const other = new BertForMaskedLM(tinyConfig(tok.size), { seed: 3 });
    other.tokenizer = tok;
    await expect(other.fit(train, { ...opts, resumeFrom: saved.get(mid)! })).rejects.toThrow(
      /the model seed \(shuffling, masking\) must equal the checkpoint's 2, got 3/,
    );
    const c = new BertForMaskedLM(tinyConfig(tok.size), { seed: 2 });
    c.tokenizer = tok;
    await expect(c.fit(train, { ...opts, masking: { probability: 0.3 }, resumeFrom: saved.get(mid)! })).rejects.toThrow(
      /options\.masking must equal the checkpoint's \{.*"probability":0\.15/,
    );
    other.dispose();
    c.dispose();
    a.dispose();
    b.dispose();
  }, 60_000);

  test('typed errors', async () => {
    const model = new BertForMaskedLM(tinyConfig(tok.size));
    await expect(model.fit(train)).rejects.toThrow(ArgumentError); // no tokenizer, no masking.maskId
    await expect(model.fit(train)).rejects.toThrow(
      /options\.masking\.maskId must be given when the model has no tokenizer/,
    );
    model.tokenizer = tok;
    await expect(model.fit([{ ids: new Int32Array(65).fill(5) }])).rejects.toThrow(
      /train\[0\]\.ids must hold at most 64 tokens \(max_position_embeddings/,
    );
    await expect(model.fit([{ ids: [2, 999, 3] }])).rejects.toThrow(VocabError);
    await expect(model.fit([{ ids: [2, 5, 3], tokenTypeIds: [0, 2, 0] }])).rejects.toThrow(
      /train\[0\]\.tokenTypeIds\[1\] must be an integer in \[0, 2\)/,
    );
    await expect(model.fit(train, { masking: { wholeWord: true }, epochs: 1 })).resolves.toBeDefined(); // packed examples carry wordStarts
    await expect(model.fit([{ ids: [2, 5, 3] }], { masking: { wholeWord: true } })).rejects.toThrow(
      /train\[0\]\.wordStarts must have one entry per token \(3\)/,
    );
    await expect(model.fit(train, { bogus: 1 } as never)).rejects.toThrow(
      /options must have only the keys .*, masking, got 'bogus'/,
    );
    await expect(model.fit(train, { masking: { probability: 2 } })).rejects.toThrow(
      /^BertForMaskedLM\.fit: options\.masking\.probability must/,
    );
    model.dispose();
  });
});

describe('fine-tuning heads', () => {
  const V = 20;
  const rng = new Philox(11, 3, 0);
  const seq = (n: number) => [2, ...Array.from({ length: n }, () => 5 + rng.nextInt(15)), 3];

  test('BertForSequenceClassification: learns "contains id 7", evaluate() = argmax / cross-entropy of forward logits', async () => {
    const data = Array.from({ length: 96 }, (_, i) => seq(4 + (i % 6))).map((ids) => ({
      ids,
      label: ids.includes(7) ? 1 : 0,
    }));
    const model = new BertForSequenceClassification(
      tinyConfig(V, { numLabels: 2, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 }),
      { seed: 1 },
    );
    const r = await model.fit(data.slice(0, 64), { epochs: 15, batchSize: 8, lr: 3e-3 });
    expect(r.history[14]!.loss).toBeLessThan(r.history[0]!.loss);
    const ev = model.evaluate(data.slice(64));
    expect(ev.accuracy).toBeGreaterThan(0.8);
    // plain JS from the forward, one example at a time (no padding)
    let loss = 0,
      right = 0;
    for (const e of data.slice(64)) {
      const ids = Tensor.fromArray(Int32Array.from(e.ids), [1, e.ids.length], 'int32');
      const l = noGrad(() => model.forward({ inputIds: ids }).toArray() as Float32Array);
      ids.dispose();
      const mx = Math.max(l[0]!, l[1]!);
      loss += Math.log(Math.exp(l[0]! - mx) + Math.exp(l[1]! - mx)) + mx - l[e.label]!;
      if ((l[1]! > l[0]! ? 1 : 0) === e.label) right++;
    }
    expect(ev.accuracy).toBe(right / 32);
    expect(ev.loss).toBeCloseTo(loss / 32, 5);
    await expect(model.fit([{ ids: [2, 5, 3], label: 2 }])).rejects.toThrow(
      /train\[0\]\.label must be an integer in \[0, 2\) \(num_labels\), got 2/,
    );
    model.dispose();
  }, 60_000);

  test('BertForTokenClassification: learns "id is even", -100 tokens unscored', async () => {
    const data = Array.from({ length: 64 }, (_, i) => seq(3 + (i % 7))).map((ids) => ({
      ids,
      labels: ids.map((t, i) => (i === 0 || i === ids.length - 1 ? -100 : t % 2)),
    }));
    const model = new BertForTokenClassification(tinyConfig(V, { numLabels: 2 }), { seed: 1 });
    await model.fit(data.slice(0, 48), { epochs: 12, batchSize: 8, lr: 3e-3 });
    const ev = model.evaluate(data.slice(48));
    expect(ev.n).toBe(data.slice(48).reduce((n, e) => n + e.ids.length - 2, 0));
    expect(ev.accuracy).toBeGreaterThan(0.9);
    // plain JS from the forward, one sequence at a time (no padding), labelled tokens only
    let loss = 0,
      right = 0;
    for (const e of data.slice(48)) {
      const ids = Tensor.fromArray(Int32Array.from(e.ids), [1, e.ids.length], 'int32');
      const l = noGrad(() => model.forward({ inputIds: ids }).toArray() as Float32Array);
      ids.dispose();
      e.labels.forEach((y, t) => {
        if (y === -100) return;
        const a = l[2 * t]!,
          b = l[2 * t + 1]!,
          mx = Math.max(a, b);
        loss += Math.log(Math.exp(a - mx) + Math.exp(b - mx)) + mx - l[2 * t + y]!;
        if ((b > a ? 1 : 0) === y) right++;
      });
    }
    expect(ev.accuracy).toBe(right / ev.n);
    expect(ev.loss).toBeCloseTo(loss / ev.n, 5);
    await expect(model.fit([{ ids: [2, 5, 3], labels: [-100, 0] }])).rejects.toThrow(
      /train\[0\]\.labels must have one entry per token \(3\), got length 2/,
    );
    await expect(model.fit([{ ids: [2, 5, 3], labels: [-100, 4, -100] }])).rejects.toThrow(
      /train\[0\]\.labels\[1\] must be -100 or an integer in \[0, 2\)/,
    );
    model.dispose();
  }, 60_000);
});

describe('Hugging Face directory files', () => {
  test('toPretrained → fromPretrained: config, weights and vocabulary round-trip; the same logits', () => {
    const tok = new WordPiece([...SPECIALS, 'a', 'b', '##c', '.'], { specialTokens: SPECIALS, lowercase: false });
    const m = new BertForMaskedLM(tinyConfig(tok.size, { hiddenAct: 'gelu_tanh' }), { seed: 4 });
    m.tokenizer = tok;
    const files = m.toPretrained();
    const cfg = JSON.parse(files['config.json']) as Record<string, unknown>;
    expect(cfg.architectures).toEqual(['BertForMaskedLM']);
    expect(cfg.model_type).toBe('bert');
    expect(cfg.hidden_act).toBe('gelu_new');
    expect(bertConfig(files['config.json'])).toEqual(m.config);
    expect(files['vocab.txt']).toBe(tok.toVocabTxt());
    expect(JSON.parse(files['tokenizer_config.json']!).do_lower_case).toBe(false);
    const back = BertForMaskedLM.fromPretrained({
      config: files['config.json'],
      weights: files['model.safetensors'],
      vocab: files['vocab.txt'],
      lowercase: false,
    });
    expect(back.tokenizer!.vocab()).toEqual(tok.vocab());
    expect(back.tokenizer!.lowercase).toBe(false);
    m.eval();
    const ids = Tensor.fromArray(Int32Array.from([2, 5, 6, 7, 3]), [1, 5], 'int32');
    const l1 = noGrad(() => m.forward({ inputIds: ids }).toArray());
    const l2 = noGrad(() => back.forward({ inputIds: ids }).toArray());
    expect(l2).toEqual(l1);
    ids.dispose();
    // a vocabulary larger than the model's
    expect(() =>
      BertForMaskedLM.fromPretrained({
        config: files['config.json'],
        weights: files['model.safetensors'],
        vocab: `${files['vocab.txt']}extra1\nextra2\n`,
      }),
    ).toThrow(/files\.vocab must have at most config\.vocab_size \(9\) tokens, got 11/);
    // a model without tokenizer writes no vocab
    back.tokenizer = null;
    expect(back.toPretrained()['vocab.txt']).toBeUndefined();
    m.dispose();
    back.dispose();
  });

  test('bertConfigJson keeps labels (id2label / label2id) and round-trips', () => {
    const c = bertConfig({ vocabSize: 10, hiddenSize: 8, numAttentionHeads: 2, id2label: { 0: 'neg', 1: 'pos' } });
    const j = JSON.parse(bertConfigJson(c, 'BertForSequenceClassification')) as Record<string, unknown>;
    expect(j.label2id).toEqual({ neg: 0, pos: 1 });
    expect(j.num_labels).toBe(2);
    expect(bertConfig(bertConfigJson(c))).toEqual(c);
    // without label names: no id2label (Hugging Face would read 0 labels from an empty one), num_labels kept
    const d = JSON.parse(
      bertConfigJson({ vocabSize: 10, hiddenSize: 8, numAttentionHeads: 2, numLabels: 5 }),
    ) as Record<string, unknown>;
    expect(d.id2label).toBeUndefined();
    expect(d.num_labels).toBe(5);
  });

  test('fine-tuning a pre-trained encoder: every encoder weight loads into the heads (strict: false leaves only the new head and pooler)', () => {
    const mlm = new BertForMaskedLM(tinyConfig(12), { seed: 1 });
    const cls = new BertForSequenceClassification(tinyConfig(12, { numLabels: 3 }), { seed: 2 });
    const r = cls.loadStateDict(mlm.stateDict(), { strict: false });
    expect(r.missing.sort()).toEqual([
      'bert.pooler.dense.bias',
      'bert.pooler.dense.weight',
      'classifier.bias',
      'classifier.weight',
    ]);
    expect(cls.bert.embeddings.wordEmbeddings.weight.value.toArray()).toEqual(
      mlm.bert.embeddings.wordEmbeddings.weight.value.toArray(),
    );
    mlm.dispose();
    cls.dispose();
  });
});

// Training dynamics: masked-LM on a language where only position tells the masked token (each token
// = (7 · previous + 3) mod 50, one [MASK] per sequence). A post-norm BERT stays on a plateau
// (~1.4 nats: it knows which tokens the sequence holds, not where) until attention learns the
// neighbour positions; with 2 layers and initializer_range 0.1 it leaves it within a few hundred
// steps (PyTorch does the same with this recipe; with BERT's 0.02 neither leaves it in 600 steps —
// docs/bert.md "Pre-training a small BERT"). Checks positions, attention and the optimizer together.
describe('masked-LM training dynamics', () => {
  test('2-layer post-norm BERT, initializer_range 0.1: leaves the positional plateau on a cycle language', () => {
    const S = 32,
      B = 32,
      V = 55;
    const rng = new Philox(3, 0);
    const model = new BertForMaskedLM(
      {
        vocabSize: V,
        hiddenSize: 128,
        numHiddenLayers: 2,
        numAttentionHeads: 2,
        intermediateSize: 512,
        maxPositionEmbeddings: S,
        padTokenId: 0,
        hiddenDropoutProb: 0,
        attentionProbsDropoutProb: 0,
        initializerRange: 0.1,
      },
      { seed: 1 },
    );
    const opt = new AdamW(defaultParamGroups(model.namedParameters()), { lr: 1e-3, weightDecay: 0.01 });
    model.train();
    const losses: number[] = [];
    const ones = new Int32Array(B * S).fill(1);
    for (let it = 0; it < 500; it++) {
      const ids = new Int32Array(B * S),
        labels = new Int32Array(B * S).fill(-100);
      for (let b = 0; b < B; b++) {
        let t = rng.nextInt(50);
        ids[b * S] = 2;
        for (let i = 1; i < S - 1; i++) {
          ids[b * S + i] = 5 + t;
          t = (7 * t + 3) % 50;
        }
        ids[b * S + S - 1] = 3;
        const m = b * S + 1 + rng.nextInt(S - 2);
        labels[m] = ids[m]!;
        ids[m] = 4;
      }
      losses.push(
        step(() => {
          const l = model.loss(
            {
              inputIds: tape.own(Tensor.fromArray(ids, [B, S], 'int32')),
              attentionMask: tape.own(Tensor.fromArray(ones, [B, S], 'int32')),
            },
            tape.own(Tensor.fromArray(labels, [B, S], 'int32')),
          );
          l.backward();
          opt.step();
          opt.zeroGrad();
          return l.item();
        }),
      );
    }
    const mean = (a: number, b: number) => losses.slice(a, b).reduce((x, y) => x + y, 0) / (b - a);
    expect(mean(150, 200)).toBeGreaterThan(1.3); // the plateau
    expect(mean(450, 500)).toBeLessThan(0.1); // left it
    opt.dispose();
    model.dispose();
  }, 120_000);
});
