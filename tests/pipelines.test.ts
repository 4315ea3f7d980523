// Pipelines (src/pipelines.ts): each task against a plain-JS computation from
// the model's own forward (one text at a time, no pipeline code: softmax,
// argmax, pooling by hand); batched calls equal one-at-a-time calls (1e-5);
// result shapes and fields exact; typed errors naming the argument; the
// tokenizer from fromPretrained (tests/fixtures/bert with a vocab.txt written here).
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from './helpers/runtime.js';
import { readFixture } from './helpers/fixtures.js';
import { Tensor } from '../src/core/tensor.js';
import { ArgumentError } from '../src/core/errors.js';
import { rt } from '../src/core/runtime.js';
import { noGrad, type Variable } from '../src/autograd/tape.js';
import { WordPiece } from '../src/text/wordpiece.js';
import {
  BertForMaskedLM,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
  type BertInputs,
} from '../src/models/bert/index.js';
import {
  pipeline,
  PipelineTensor,
  type FillMaskResult,
  type TextClassificationResult,
  type TokenClassificationGroup,
  type TokenClassificationResult,
} from '../src/pipelines.js';

const VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
  'the',
  'cat',
  'dog',
  'sat',
  'on',
  'mat',
  'a',
  'new',
  'york',
  'is',
  'big',
  'play',
  '##ing',
  '##s',
  'john',
  'lives',
  'in',
  'paris',
  'he',
  'she',
  'rich',
  'poor',
  'an',
  'actor',
  'good',
  'bad',
  'film',
  '.',
  ',',
  '!',
];
const tok = new WordPiece(VOCAB);
const SMALL = {
  vocabSize: VOCAB.length,
  hiddenSize: 16,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 32,
  maxPositionEmbeddings: 24,
  initializerRange: 0.3,
};
const LABELS = { 0: 'O', 1: 'B-LOC', 2: 'I-LOC', 3: 'B-PER', 4: 'I-PER' };

beforeAll(async () => {
  await initForTests();
});

/** The model's raw output for one text (or pair) alone: a [1, S] batch, no padding. */
function forwardOne(
  run: (x: BertInputs) => Variable,
  text: string,
  pair?: string,
): { out: Float32Array; ids: Int32Array } {
  const e = tok.encode(text, pair ?? null);
  const S = e.ids.length;
  const x = {
    inputIds: Tensor.fromArray(e.ids, [1, S], 'int32'),
    tokenTypeIds: Tensor.fromArray(e.tokenTypeIds, [1, S], 'int32'),
    attentionMask: Tensor.fromArray(e.attentionMask, [1, S], 'int32'),
  };
  const out = noGrad(() => run(x).toArray() as Float32Array);
  for (const t of Object.values(x)) t.dispose();
  return { out, ids: e.ids };
}

function softmax(x: ArrayLike<number>, off: number, n: number): number[] {
  const row = Array.from({ length: n }, (_, i) => x[off + i]!);
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Indices sorted by value, largest first (ties: smaller index). */
function order(p: number[]): number[] {
  return p.map((_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ArgumentError);
  expect((err as Error).message).toMatch(re);
}

function expectSameFill(a: FillMaskResult[], b: FillMaskResult[]): void {
  expect(a.map((r) => r.token)).toEqual(b.map((r) => r.token));
  expect(a.map((r) => r.sequence)).toEqual(b.map((r) => r.sequence));
  expect(
    maxAbs(
      a.map((r) => r.score),
      b.map((r) => r.score),
    ),
  ).toBeLessThan(1e-5);
}

describe('fill-mask', () => {
  let model: BertForMaskedLM;
  beforeAll(() => {
    model = new BertForMaskedLM(SMALL, { seed: 11 }).eval();
    model.tokenizer = tok;
  });
  const V = VOCAB.length;

  test("one mask: top_k proposals = softmax of the model's logits at the mask, sorted, with token_str and sequence", async () => {
    const unmasker = pipeline('fill-mask', model);
    expect(unmasker.task).toBe('fill-mask');
    expect(unmasker.model).toBe(model);
    expect(unmasker.tokenizer).toBe(tok);
    const text = 'the cat sat on the [MASK].';
    const res = (await unmasker(text)) as FillMaskResult[];
    const { out, ids } = forwardOne((x) => model.forward(x), text);
    const j = Array.from(ids).indexOf(4);
    expect(j).toBe(6);
    const p = softmax(out, j * V, V);
    const want = order(p).slice(0, 5);
    expect(res).toHaveLength(5);
    expect(res.map((r) => r.token)).toEqual(want);
    for (const [i, r] of res.entries()) {
      expect(Object.keys(r).sort()).toEqual(['score', 'sequence', 'token', 'token_str']);
      expect(Math.abs(r.score - p[want[i]!]!)).toBeLessThan(1e-6);
      expect(r.token_str).toBe(VOCAB[r.token]);
      const seq = Array.from(ids);
      seq[j] = r.token;
      expect(r.sequence).toBe(tok.decode(seq));
      if (i > 0) expect(r.score).toBeLessThanOrEqual(res[i - 1]!.score);
    }
    expect(res.reduce((s, r) => s + r.score, 0)).toBeLessThanOrEqual(1 + 1e-9);
    // a hand-checked sequence: the mask filled, specials left out, no space before '.'
    const withMat = (await unmasker(text, { top_k: V })) as FillMaskResult[];
    expect(withMat).toHaveLength(V); // every id scored (nothing excluded), specials included
    expect(Math.abs(withMat.reduce((s, r) => s + r.score, 0) - 1)).toBeLessThan(1e-6);
    expect(withMat.find((r) => r.token === 10)!.sequence).toBe('the cat sat on the mat.');
    expect(withMat.find((r) => r.token === 4)!.token_str).toBe('[MASK]');
    // top_k above the vocabulary is clamped
    expect(await unmasker(text, { top_k: 1000 })).toHaveLength(V);
  });

  test('several masks: one list per mask, sequences keep the special tokens (Hugging Face)', async () => {
    const unmasker = pipeline('fill-mask', model);
    const text = '[MASK] is rich, [MASK] is poor.';
    const res = (await unmasker(text, { top_k: 3 })) as FillMaskResult[][];
    expect(res).toHaveLength(2);
    const { out, ids } = forwardOne((x) => model.forward(x), text);
    const at = Array.from(ids).flatMap((id, j) => (id === 4 ? [j] : []));
    expect(at).toEqual([1, 5]);
    at.forEach((j, m) => {
      const p = softmax(out, j * V, V);
      expect(res[m]!.map((r) => r.token)).toEqual(order(p).slice(0, 3));
      expect(
        maxAbs(
          res[m]!.map((r) => r.score),
          order(p)
            .slice(0, 3)
            .map((i) => p[i]!),
        ),
      ).toBeLessThan(1e-6);
    });
    const r0 = res[0]![0]!;
    expect(r0.sequence).toBe(`[CLS] ${r0.token_str} is rich, [MASK] is poor. [SEP]`);
  });

  test('an array of texts: one result per text; batched (padded, chunked) = one at a time', async () => {
    const unmasker = pipeline('fill-mask', model);
    const texts = [
      'a [MASK].',
      'the dog is [MASK] , [MASK] is big!',
      'john lives in [MASK]',
      'she is an [MASK] in new york.',
      '[MASK]',
    ];
    const single = await Promise.all(texts.map((t) => unmasker(t)));
    for (const bs of [32, 2, 1]) {
      const batch = await unmasker(texts, { batch_size: bs });
      expect(batch).toHaveLength(texts.length);
      batch.forEach((r, i) => {
        if (i === 1) {
          expect(r).toHaveLength(2);
          (r as FillMaskResult[][]).forEach((m, k) => expectSameFill(m, (single[i] as FillMaskResult[][])[k]!));
        } else expectSameFill(r as FillMaskResult[], single[i] as FillMaskResult[]);
      });
    }
    // batch_size given to pipeline()
    const p2 = pipeline('fill-mask', model, { batch_size: 2 });
    expectSameFill((await p2(texts))[3] as FillMaskResult[], single[3] as FillMaskResult[]);
  });

  test('errors: no mask, bad options, no heap left behind', async () => {
    const unmasker = pipeline('fill-mask', model);
    const heap = rt('test').heap.bytesInUse;
    await rejects(
      unmasker('no mask here'),
      /pipeline\('fill-mask'\): text must contain the mask token \[MASK\], got "no mask here"/,
    );
    await rejects(unmasker(['a [MASK]', 'none']), /texts\[1\] must contain the mask token \[MASK\]/);
    const long = `${'the cat '.repeat(12)}[MASK]`; // 24 + 1 + 2 tokens > 24 positions
    await rejects(
      unmasker(long),
      /text must have its mask token within the first max_position_embeddings \(24\) tokens, got it truncated away \(27 tokens\)/,
    );
    await rejects(unmasker('a [MASK]', { topK: 3 } as never), /options must have only top_k, batch_size, got 'topK'/);
    await rejects(unmasker('a [MASK]', { top_k: 0 }), /options.top_k must be a positive integer, got number 0/);
    await rejects(unmasker([]), /texts must be a string or a non-empty array of strings, got an array of 0/);
    await rejects(unmasker([3] as never), /texts\[0\] must be a string, got number 3/);
    await unmasker(['a [MASK]', 'the [MASK] [MASK] sat'], { batch_size: 1 });
    expect(rt('test').heap.bytesInUse).toBe(heap);
    // the training mode is restored after a call
    model.train();
    await unmasker('a [MASK]');
    expect(model.training).toBe(true);
    model.eval();
  });
});

describe('feature-extraction', () => {
  let base: BertModel;
  beforeAll(() => {
    base = new BertModel(SMALL, { seed: 3 }).eval();
    base.tokenizer = tok;
  });
  const H = SMALL.hiddenSize;
  const texts = ['the cat sat on the mat.', 'he is big', 'john lives in new york, she lives in paris!'];

  test("pooling 'none': [1, S, H] = the last hidden state; 'cls' = row 0; 'mean' = mean over the real tokens; normalize", async () => {
    const extractor = pipeline('feature-extraction', base);
    const { out } = forwardOne((x) => base.forward(x).lastHiddenState, texts[0]!);
    const S = out.length / H;
    const none = await extractor(texts[0]!);
    expect(none).toBeInstanceOf(PipelineTensor);
    expect(none.dims).toEqual([1, S, H]);
    expect(maxAbs(none.data, out)).toBeLessThan(1e-6);
    const list = none.tolist() as number[][][];
    expect([list.length, list[0]!.length, list[0]![0]!.length]).toEqual([1, S, H]);
    expect(list[0]![2]![5]).toBe(none.data[2 * H + 5]);
    const cls = await extractor(texts[0]!, { pooling: 'cls' });
    expect(cls.dims).toEqual([1, H]);
    expect(maxAbs(cls.data, out.subarray(0, H))).toBeLessThan(1e-6);
    const mean = await extractor(texts[0]!, { pooling: 'mean' });
    const want = Array.from({ length: H }, (_, k) => {
      let s = 0;
      for (let j = 0; j < S; j++) s += out[j * H + k]!;
      return s / S;
    });
    expect(mean.dims).toEqual([1, H]);
    expect(maxAbs(mean.data, want)).toBeLessThan(1e-6);
    expect((mean.tolist() as number[][])[0]).toHaveLength(H);
    const unit = await extractor(texts[0]!, { pooling: 'mean', normalize: true });
    const norm = Math.hypot(...want);
    expect(
      maxAbs(
        unit.data,
        want.map((v) => v / norm),
      ),
    ).toBeLessThan(1e-6);
    const rows = await extractor(texts[0]!, { normalize: true });
    for (let j = 0; j < S; j++) expect(Math.hypot(...rows.data.subarray(j * H, (j + 1) * H))).toBeCloseTo(1, 5);
  });

  test('batched = one at a time (mean, cls, none with padding rows; chunks)', async () => {
    const extractor = pipeline('feature-extraction', base);
    const lens = texts.map((t) => tok.encode(t).ids.length);
    const Smax = Math.max(...lens);
    for (const pooling of ['mean', 'cls'] as const) {
      const singles = await Promise.all(texts.map((t) => extractor(t, { pooling, normalize: true })));
      for (const bs of [32, 2]) {
        const all = await extractor(texts, { pooling, normalize: true, batch_size: bs });
        expect(all.dims).toEqual([3, H]);
        texts.forEach((_, i) =>
          expect(maxAbs(all.data.subarray(i * H, (i + 1) * H), singles[i]!.data)).toBeLessThan(1e-5),
        );
      }
    }
    const all = await extractor(texts, { batch_size: 2 });
    expect(all.dims).toEqual([3, Smax, H]);
    for (const [i, t] of texts.entries()) {
      const one = await extractor(t);
      expect(maxAbs(all.data.subarray(i * Smax * H, (i * Smax + lens[i]!) * H), one.data)).toBeLessThan(1e-5);
    }
    // the padding rows are there (as transformers.js), computed by the model: finite, not zero
    const padRow = all.data.subarray((1 * Smax + lens[1]!) * H, (1 * Smax + lens[1]! + 1) * H);
    expect(padRow.every((v) => Number.isFinite(v)) && padRow.some((v) => v !== 0)).toBe(true);
  });

  test('a head with .bert runs its encoder; errors', async () => {
    const mlm = new BertForMaskedLM(SMALL, { seed: 5 }).eval();
    const extractor = pipeline('feature-extraction', mlm, { tokenizer: tok });
    const { out } = forwardOne((x) => mlm.bert.forward(x).lastHiddenState, texts[1]!);
    expect(maxAbs((await extractor(texts[1]!)).data, out)).toBeLessThan(1e-6);
    expect(pipeline('embeddings', base).task).toBe('feature-extraction');
    // longer than max_position_embeddings: truncated, [CLS] ... [SEP] in 24 positions
    expect((await extractor('the cat '.repeat(20))).dims).toEqual([1, 24, H]);
    await rejects(
      extractor('x', { pooling: 'max' as never }),
      /options.pooling must be 'none', 'mean' or 'cls', got "max"/,
    );
    await rejects(extractor('x', { normalize: 1 as never }), /options.normalize must be a boolean, got number 1/);
    mlm.dispose();
  });
});

describe('text-classification', () => {
  let model: BertForSequenceClassification;
  beforeAll(() => {
    model = new BertForSequenceClassification(
      { ...SMALL, id2label: { 0: 'NEG', 1: 'NEU', 2: 'POS' } },
      { seed: 7 },
    ).eval();
    model.tokenizer = tok;
  });
  const texts = ['a good film!', 'a bad film.', 'the dog sat', 'she is an actor in paris, he is rich'];

  test('one text: [{ label, score }] from the softmax of the logits; top_k, null = every label', async () => {
    const classifier = pipeline('text-classification', model);
    const { out } = forwardOne((x) => model.forward(x), texts[0]!);
    const p = softmax(out, 0, 3);
    const o = order(p);
    const res = await classifier(texts[0]!);
    expect(res).toHaveLength(1);
    expect(Object.keys(res[0]!).sort()).toEqual(['label', 'score']);
    expect((res[0] as TextClassificationResult).label).toBe(['NEG', 'NEU', 'POS'][o[0]!]);
    expect(Math.abs((res[0] as TextClassificationResult).score - p[o[0]!]!)).toBeLessThan(1e-6);
    const two = (await classifier(texts[0]!, { top_k: 2 })) as TextClassificationResult[];
    expect(two.map((r) => r.label)).toEqual(o.slice(0, 2).map((i) => ['NEG', 'NEU', 'POS'][i]));
    expect(two[0]!.score).toBeGreaterThanOrEqual(two[1]!.score);
    expect(two[0]!.score + two[1]!.score).toBeLessThanOrEqual(1);
    const all = (await classifier(texts[0]!, { top_k: null })) as TextClassificationResult[];
    expect(all).toHaveLength(3);
    expect(Math.abs(all.reduce((s, r) => s + r.score, 0) - 1)).toBeLessThan(1e-6);
    expect(await classifier(texts[0]!, { top_k: 10 })).toEqual(all);
  });

  test('arrays: flat with top_k 1, a list per text otherwise; batched = one at a time; pairs; LABEL_i', async () => {
    const classifier = pipeline('sentiment-analysis', model);
    expect(classifier.task).toBe('text-classification');
    const singles = await Promise.all(
      texts.map((t) => classifier(t, { top_k: 3 }) as Promise<TextClassificationResult[]>),
    );
    const flat = (await classifier(texts, { batch_size: 3 })) as TextClassificationResult[];
    expect(flat).toHaveLength(4);
    flat.forEach((r, i) => {
      expect(r.label).toBe(singles[i]![0]!.label);
      expect(Math.abs(r.score - singles[i]![0]!.score)).toBeLessThan(1e-5);
    });
    const nested = (await classifier(texts, { top_k: 3 })) as TextClassificationResult[][];
    nested.forEach((r, i) => {
      expect(r.map((x) => x.label)).toEqual(singles[i]!.map((x) => x.label));
      expect(
        maxAbs(
          r.map((x) => x.score),
          singles[i]!.map((x) => x.score),
        ),
      ).toBeLessThan(1e-5);
    });
    // a pair: [CLS] a [SEP] b [SEP] with token types 1 on b
    const { out } = forwardOne((x) => model.forward(x), 'he is rich', 'she is poor');
    const p = softmax(out, 0, 3);
    const pair = (await classifier(
      { text: 'he is rich', text_pair: 'she is poor' },
      { top_k: null },
    )) as TextClassificationResult[];
    expect(
      maxAbs(
        pair.map((r) => r.score),
        order(p).map((i) => p[i]!),
      ),
    ).toBeLessThan(1e-6);
    const pairs = (await classifier([{ text: 'he is rich', text_pair: 'she is poor' }, 'a film'], {
      top_k: null,
    })) as TextClassificationResult[][];
    expect(
      maxAbs(
        pairs[0]!.map((r) => r.score),
        pair.map((r) => r.score),
      ),
    ).toBeLessThan(1e-5);
    // no id2label: LABEL_i
    const bare = new BertForSequenceClassification({ ...SMALL, numLabels: 4 }, { seed: 1 });
    const r = (await pipeline('text-classification', bare, { tokenizer: tok })('a film', {
      top_k: null,
    })) as TextClassificationResult[];
    expect(r.map((x) => x.label).sort()).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2', 'LABEL_3']);
    bare.dispose();
    await rejects(
      classifier([{ txt: 'a' }] as never),
      /texts\[0\] must be a string or \{ text, text_pair \}, got Object/,
    );
    await rejects(classifier('a', { top_k: 1.5 }), /options.top_k must be a positive integer, got number 1.5/);
  });
});

describe('token-classification', () => {
  let model: BertForTokenClassification;
  beforeAll(() => {
    model = new BertForTokenClassification({ ...SMALL, id2label: LABELS }, { seed: 9 }).eval();
    model.tokenizer = tok;
  });
  const text = 'john lives in new york, playing!';

  test('one entry per non-special token: argmax label, its softmax score, index, word; ignore_labels', async () => {
    const tagger = pipeline('token-classification', model);
    const { out, ids } = forwardOne((x) => model.forward(x), text);
    const want: TokenClassificationResult[] = [];
    for (let j = 1; j < ids.length - 1; j++) {
      const p = softmax(out, j * 5, 5);
      const best = order(p)[0]!;
      want.push({
        entity: LABELS[best as 0],
        score: p[best]!,
        index: j,
        word: VOCAB[ids[j]!]!,
        start: null,
        end: null,
      });
    }
    expect(want.map((w) => w.word)).toEqual(['john', 'lives', 'in', 'new', 'york', ',', 'play', '##ing', '!']);
    const all = (await tagger(text, { ignore_labels: [] })) as TokenClassificationResult[];
    expect(all.map((r) => ({ ...r, score: 0 }))).toEqual(want.map((r) => ({ ...r, score: 0 })));
    expect(
      maxAbs(
        all.map((r) => r.score),
        want.map((r) => r.score),
      ),
    ).toBeLessThan(1e-6);
    const dflt = (await tagger(text)) as TokenClassificationResult[];
    expect(dflt.map((r) => r.index)).toEqual(want.filter((w) => w.entity !== 'O').map((w) => w.index));
    const ner = pipeline('ner', model);
    const batch = (await ner([text, 'the cat', 'she lives in paris'], {
      ignore_labels: [],
      batch_size: 2,
    })) as TokenClassificationResult[][];
    expect(batch.map((b) => b.length)).toEqual([9, 2, 4]);
    expect(batch[0]!.map((r) => r.entity)).toEqual(all.map((r) => r.entity));
    expect(
      maxAbs(
        batch[0]!.map((r) => r.score),
        all.map((r) => r.score),
      ),
    ).toBeLessThan(1e-5);
    const single2 = (await ner('she lives in paris', { ignore_labels: [] })) as TokenClassificationResult[];
    expect(
      maxAbs(
        batch[2]!.map((r) => r.score),
        single2.map((r) => r.score),
      ),
    ).toBeLessThan(1e-5);
  });

  test("aggregation_strategy 'first' / 'simple': words labelled by their first piece, B-/I- groups", async () => {
    // a classifier that ignores the token (weights 0) and prefers one label by its bias: every token gets that label
    const fixed = new BertForTokenClassification({ ...SMALL, id2label: LABELS }, { seed: 9 });
    const tagger = pipeline('token-classification', fixed, { tokenizer: tok });
    const setBias = (label: number) => {
      fixed.classifier.weight.value.view().fill(0);
      const b = fixed.classifier.bias!.value.view();
      b.fill(0);
      b[label] = 2;
    };
    const s = Math.exp(2) / (Math.exp(2) + 4);
    setBias(2); // I-LOC everywhere: one LOC group over the whole text, sub-words glued
    let g = (await tagger(text, { aggregation_strategy: 'first' })) as TokenClassificationGroup[];
    expect(g).toHaveLength(1);
    expect(g[0]!.entity_group).toBe('LOC');
    expect(g[0]!.word).toBe('john lives in new york , playing !');
    expect(g[0]!.score).toBeCloseTo(s, 6);
    expect(g[0]).toEqual({
      entity_group: 'LOC',
      score: g[0]!.score,
      word: 'john lives in new york , playing !',
      start: null,
      end: null,
    });
    setBias(3); // B-PER everywhere: one group per word
    g = (await tagger(text, { aggregation_strategy: 'first' })) as TokenClassificationGroup[];
    expect(g.map((x) => x.word)).toEqual(['john', 'lives', 'in', 'new', 'york', ',', 'playing', '!']);
    expect(new Set(g.map((x) => x.entity_group))).toEqual(new Set(['PER']));
    // 'simple' groups tokens, not words: the '##' piece stands alone
    g = (await tagger(text, { aggregation_strategy: 'simple' })) as TokenClassificationGroup[];
    expect(g.map((x) => x.word)).toEqual(['john', 'lives', 'in', 'new', 'york', ',', 'play', '##ing', '!']);
    setBias(0); // O everywhere: ignored by default
    expect(await tagger(text, { aggregation_strategy: 'first' })).toEqual([]);
    expect(
      ((await tagger(text, { aggregation_strategy: 'first', ignore_labels: [] })) as TokenClassificationGroup[]).map(
        (x) => x.word,
      ),
    ).toEqual(['john lives in new york , playing !']);
    fixed.dispose();
  });

  test("'first' and 'simple' on the random model = Hugging Face's algorithm written out by hand", async () => {
    const tagger = pipeline('token-classification', model);
    const { out, ids } = forwardOne((x) => model.forward(x), text);
    for (const strategy of ['first', 'simple'] as const) {
      // units: words ('first': the first piece's label and score) or tokens ('simple')
      const units: { entity: string; score: number; toks: string[] }[] = [];
      for (let j = 1; j < ids.length - 1; j++) {
        const w = VOCAB[ids[j]!]!;
        if (strategy === 'first' && w.startsWith('##')) {
          units[units.length - 1]!.toks.push(w);
          continue;
        }
        const p = softmax(out, j * 5, 5);
        const best = order(p)[0]!;
        units.push({ entity: LABELS[best as 0], score: p[best]!, toks: [w] });
      }
      const tag = (e: string) => (e.startsWith('B-') || e.startsWith('I-') ? [e[0], e.slice(2)] : ['I', e]);
      const groups: { entity_group: string; scores: number[]; toks: string[] }[] = [];
      let last: string | null = null;
      for (const u of units) {
        const [bi, t] = tag(u.entity);
        if (last !== null && t === tag(last)[1] && bi !== 'B') {
          groups[groups.length - 1]!.scores.push(u.score);
          groups[groups.length - 1]!.toks.push(...u.toks);
        } else groups.push({ entity_group: t!, scores: [u.score], toks: [...u.toks] });
        last = u.entity;
      }
      const want = groups
        .filter((x) => x.entity_group !== 'O')
        .map((x) => ({
          entity_group: x.entity_group,
          word: x.toks.join(' ').replaceAll(' ##', ''),
          score: x.scores.reduce((a, b) => a + b, 0) / x.scores.length,
        }));
      const got = (await tagger(text, { aggregation_strategy: strategy })) as TokenClassificationGroup[];
      expect(got.map((x) => [x.entity_group, x.word])).toEqual(want.map((x) => [x.entity_group, x.word]));
      expect(
        maxAbs(
          got.map((x) => x.score),
          want.map((x) => x.score),
        ),
      ).toBeLessThan(1e-6);
      const batch = (await tagger([text, 'the cat'], {
        aggregation_strategy: strategy,
        batch_size: 1,
      })) as TokenClassificationGroup[][];
      expect(batch[0]!.map((x) => x.word)).toEqual(got.map((x) => x.word));
      expect(
        maxAbs(
          batch[0]!.map((x) => x.score),
          got.map((x) => x.score),
        ),
      ).toBeLessThan(1e-5);
    }
    await rejects(
      tagger(text, { aggregation_strategy: 'max' as never }),
      /options.aggregation_strategy must be 'none', 'simple' or 'first', got "max"/,
    );
    await rejects(tagger(text, { ignore_labels: 'O' as never }), /options.ignore_labels must be an array of strings/);
  });
});

describe('pipeline()', () => {
  test('typed errors naming the argument', () => {
    const mlm = new BertForMaskedLM(SMALL);
    const seq = new BertForSequenceClassification(SMALL);
    const expectArg = (f: () => unknown, re: RegExp) => {
      expect(f).toThrow(ArgumentError);
      expect(f).toThrow(re);
    };
    expectArg(
      () => pipeline('summarization' as never, mlm),
      /pipeline: task must be one of 'fill-mask', 'feature-extraction', 'text-classification', 'token-classification' .*got "summarization"/,
    );
    expectArg(() => pipeline('fill-mask', mlm), /pipeline: options.tokenizer must be given when the model has none/);
    expectArg(
      () => pipeline('fill-mask', seq as never, { tokenizer: tok }),
      /pipeline: model must be a BertForMaskedLM for task 'fill-mask', got BertForSequenceClassification/,
    );
    expectArg(
      () => pipeline('text-classification', mlm as never, { tokenizer: tok }),
      /model must be a BertForSequenceClassification for task 'text-classification', got BertForMaskedLM/,
    );
    expectArg(
      () => pipeline('token-classification', seq as never, { tokenizer: tok }),
      /model must be a BertForTokenClassification/,
    );
    expectArg(
      () => pipeline('feature-extraction', {} as never, { tokenizer: tok }),
      /model must be a BertModel or a BERT head with .bert for task 'feature-extraction', got Object/,
    );
    expectArg(
      () => pipeline('fill-mask', mlm, { tokenizer: VOCAB as never }),
      /options.tokenizer must be a WordPiece, got an array of 35/,
    );
    expectArg(
      () => pipeline('fill-mask', mlm, { tokenizer: tok, batch_size: 0 }),
      /options.batch_size must be a positive integer/,
    );
    expectArg(
      () => pipeline('fill-mask', mlm, { tokenizer: tok, batchSize: 2 } as never),
      /options must have only tokenizer, batch_size, got 'batchSize'/,
    );
    expectArg(
      () => pipeline('fill-mask', mlm, { tokenizer: new WordPiece([...VOCAB, 'extra']) }),
      /tokenizer must have at most config.vocab_size \(35\) tokens, got 36/,
    );
    expectArg(
      () => pipeline('fill-mask', mlm, { tokenizer: new WordPiece(VOCAB.filter((t) => t !== '[MASK]')) }),
      /tokenizer must have its mask token "\[MASK\]"/,
    );
    // options.tokenizer wins over model.tokenizer
    seq.tokenizer = new WordPiece(VOCAB.slice(0, 20));
    expect(pipeline('text-classification', seq, { tokenizer: tok }).tokenizer).toBe(tok);
    mlm.dispose();
    // dispose() frees the model, as transformers.js's
    const p = pipeline('text-classification', seq);
    expect(p.tokenizer).toBe(seq.tokenizer);
    p.dispose();
    expect(seq.classifier.weight.value.disposed).toBe(true);
  });

  test('the tokenizer from fromPretrained (tests/fixtures/bert + a vocab.txt): fill-mask and feature-extraction', async () => {
    const config = JSON.parse(
      new TextDecoder().decode(
        await readFixture(new URL('./fixtures/bert/config.json', import.meta.url), 'config.json'),
      ),
    ) as Record<string, unknown>;
    const weights = await readFixture(
      new URL('./fixtures/bert/model.safetensors', import.meta.url),
      'model.safetensors',
    );
    const vocab = VOCAB.join('\n') + '\n'; // 35 of the checkpoint's 50 ids
    const mlm = BertForMaskedLM.fromPretrained({ config, weights, vocab });
    expect(mlm.tokenizer!.vocab()).toEqual(VOCAB);
    const unmasker = pipeline('fill-mask', mlm);
    const text = 'the [MASK] sat on the mat.';
    const res = (await unmasker(text, { top_k: 3 })) as FillMaskResult[];
    // reference: the full logits over the 50 ids of the checkpoint; softmax over all 50, ranks among the tokenizer's 35
    const e = mlm.tokenizer!.encode(text);
    const ids = Tensor.fromArray(e.ids, [1, e.ids.length], 'int32');
    const logits = noGrad(() => mlm.forward({ inputIds: ids }).toArray());
    ids.dispose();
    const p = softmax(logits, 2 * 50, 50);
    const want = order(p.slice(0, 35)).slice(0, 3);
    expect(res.map((r) => r.token)).toEqual(want);
    expect(
      maxAbs(
        res.map((r) => r.score),
        want.map((i) => p[i]!),
      ),
    ).toBeLessThan(1e-6);
    const base = BertModel.fromPretrained({ config, weights, vocab });
    const v = await pipeline('feature-extraction', base)(['the cat', 'a dog sat'], {
      pooling: 'mean',
      normalize: true,
    });
    expect(v.dims).toEqual([2, 32]);
    mlm.dispose();
    base.dispose();
  });
});
