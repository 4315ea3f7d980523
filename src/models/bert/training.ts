/**
 * Training BERT: masked-LM pre-training and fine-tuning of the two
 * classification heads through the shared loop of fit.ts (AdamW with decoupled
 * weight decay, linear warm-up then decay, clipping, checkpoints with
 * bit-identical resumption), plus evaluation, and the packing of documents into
 * pre-training sequences. The methods `fit` / `evaluate` of the classes in
 * bert.ts call into this file.
 */
import { checkKeys } from '../../core/check.js';
import { ArgumentError, VocabError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { noGrad, tape, type Variable } from '../../autograd/tape.js';
import { maskTokens, MlmMasker, MLM_MASKING_STREAM } from './masking.js';
import { checkOptionKeys } from '../../train/options.js';
import { fitModel, FIT_OPTION_KEYS, type FitModel, type FitOptions, type FitResult } from '../../train/loop.js';
import type { Unit } from '../encoder/model.js';
import { batchSizeArg, scoreRows } from '../encoder/scores.js';
import type { WordPiece } from '../../text/wordpiece.js';
import type { BertConfig, BertInputs } from './config.js';

/** One input sequence as the tokenizer gives it (special tokens included, no padding). */
export interface BertExample {
  ids: ArrayLike<number>;
  /** Segment ids; default all 0. */
  tokenTypeIds?: ArrayLike<number>;
}

/** A pre-training sequence; `wordStarts` (non-zero where a word starts) for whole-word masking. */
export interface MlmExample extends BertExample {
  wordStarts?: ArrayLike<number>;
}

/** A sequence with its class, for BertForSequenceClassification. */
export interface SequenceLabelExample extends BertExample {
  label: number;
}

/** A sequence with one label per token (-100 = no label: special tokens, later pieces of a word), for BertForTokenClassification. */
export interface TokenLabelExample extends BertExample {
  labels: ArrayLike<number>;
}

/** How pre-training and evaluation mask (see maskTokens); maskId and specialIds default to the model's tokenizer's. */
export interface MlmMaskingConfig {
  maskId?: number;
  specialIds?: readonly number[];
  /** Default 0.15. */
  probability?: number;
  /** Default 0.8. */
  maskFraction?: number;
  /** Default 0.1. */
  randomFraction?: number;
  /** Mask whole words (needs `wordStarts` in the examples); default false. */
  wholeWord?: boolean;
}

/** Options of `BertForMaskedLM.fit`: the shared training loop's, plus the masking. */
export interface MlmFitOptions extends FitOptions<MlmExample> {
  masking?: MlmMaskingConfig;
}

/** Options of `BertForMaskedLM.evaluate`: batch size, masking and the masking seed. */
export interface MlmEvaluateOptions {
  batchSize?: number;
  masking?: MlmMaskingConfig;
  /** Seed of the evaluation masking (the same positions at every call with the same seed); default 0. */
  seed?: number;
}

/** Masked-LM evaluation: over the chosen positions, mean cross-entropy and top-1 accuracy (prediction = original token). */
export interface MlmEvaluation {
  loss: number;
  accuracy: number;
  /** Chosen (scored) positions. */
  n: number;
}

/** What the helpers need of a BERT model (every class in bert.ts). */
export interface BertTrainable extends FitModel {
  readonly config: BertConfig;
  readonly seed: number;
  tokenizer: WordPiece | null;
}

/** The masked-LM model as the helpers use it. */
export interface MaskedLMTrainable extends BertTrainable {
  loss(inputs: BertInputs, labels: Tensor): Variable;
  forward(inputs: BertInputs, options?: { positions?: Tensor }): Variable;
}

export interface HeadTrainable extends BertTrainable {
  loss(inputs: BertInputs, labels: Tensor): Variable;
  forward(inputs: BertInputs): Variable;
}

/** Stream of the evaluation masking: apart from the training masking's. */
export const EVAL_MASKING_STREAM = (MLM_MASKING_STREAM ^ 0x45564c) >>> 0;

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function isIds(v: unknown): v is ArrayLike<number> {
  return v !== null && typeof v === 'object' && typeof (v as ArrayLike<number>).length === 'number';
}

/**
 * Checks every example of `data` against the config (ids in the vocabulary, at
 * most maxPositionEmbeddings tokens, token types in range, `extra` for the
 * head's labels) and returns one unit per example.
 */
function unitsOf<E extends BertExample>(
  fn: string,
  arg: string,
  data: readonly E[],
  c: BertConfig,
  extra?: (e: E, what: string) => void,
): Unit[] {
  if (!Array.isArray(data))
    throw new ArgumentError(`${fn}: ${arg} must be an array of examples, got ${describe(data)}`);
  return data.map((e, i) => {
    const what = `${arg}[${i}]`;
    if (e === null || typeof e !== 'object')
      throw new ArgumentError(`${fn}: ${what} must be an object with ids, got ${describe(e)}`);
    const ids = e.ids;
    if (!isIds(ids)) throw new ArgumentError(`${fn}: ${what}.ids must be an array of token ids, got ${describe(ids)}`);
    if (ids.length === 0) throw new ArgumentError(`${fn}: ${what}.ids must hold at least one token, got 0`);
    if (ids.length > c.maxPositionEmbeddings) {
      throw new ArgumentError(
        `${fn}: ${what}.ids must hold at most ${c.maxPositionEmbeddings} tokens (max_position_embeddings; truncate when encoding), got ${ids.length}`,
      );
    }
    for (let t = 0; t < ids.length; t++) {
      const x = ids[t]!;
      if (!Number.isInteger(x) || x < 0 || x >= c.vocabSize)
        throw new VocabError(
          `${fn}: ${what}.ids[${t}] must be an integer in [0, ${c.vocabSize}) (vocab_size), got ${x}`,
        );
    }
    const tt = e.tokenTypeIds;
    if (tt !== undefined) {
      if (!isIds(tt) || tt.length !== ids.length)
        throw new ArgumentError(
          `${fn}: ${what}.tokenTypeIds must have one entry per token (${ids.length}), got ${isIds(tt) ? `length ${tt.length}` : describe(tt)}`,
        );
      for (let t = 0; t < tt.length; t++) {
        const x = tt[t]!;
        if (!Number.isInteger(x) || x < 0 || x >= c.typeVocabSize)
          throw new ArgumentError(
            `${fn}: ${what}.tokenTypeIds[${t}] must be an integer in [0, ${c.typeVocabSize}) (type_vocab_size), got ${x}`,
          );
      }
    }
    extra?.(e, what);
    return { ex: i, start: 0, len: ids.length };
  });
}

/** A padded batch: ids, token types, attention mask [B, S] (S = the longest unit), as plain arrays. */
interface Batch {
  B: number;
  S: number;
  ids: Int32Array;
  types: Int32Array;
  mask: Int32Array;
}

function padBatch(data: readonly BertExample[], units: readonly Unit[], padId: number): Batch {
  const B = units.length;
  let S = 1;
  for (const u of units) S = Math.max(S, u.len);
  const ids = new Int32Array(B * S).fill(padId),
    types = new Int32Array(B * S),
    mask = new Int32Array(B * S);
  units.forEach((u, b) => {
    const e = data[u.ex]!;
    for (let i = 0; i < u.len; i++) {
      ids[b * S + i] = e.ids[i]!;
      if (e.tokenTypeIds !== undefined) types[b * S + i] = e.tokenTypeIds[i]!;
      mask[b * S + i] = 1;
    }
  });
  return { B, S, ids, types, mask };
}

/** Tensors of a batch; `own` makes them tape-owned (freed with the step), otherwise the caller disposes them. */
function inputsOf(b: Batch, ids: Int32Array, own: boolean): { inputs: BertInputs; dispose: () => void } {
  const mk = (a: Int32Array) => {
    const t = Tensor.fromArray(a, [b.B, b.S], 'int32');
    return own ? tape.own(t) : t;
  };
  const inputs: BertInputs = { inputIds: mk(ids), tokenTypeIds: mk(b.types), attentionMask: mk(b.mask) };
  return {
    inputs,
    dispose: () => {
      if (own) return;
      inputs.inputIds.dispose();
      inputs.tokenTypeIds!.dispose();
      (inputs.attentionMask as Tensor).dispose();
    },
  };
}

/** The masking options resolved against the model's tokenizer. */
function maskingOf(fn: string, model: BertTrainable, m: MlmMaskingConfig | undefined) {
  if (m !== undefined && (m === null || typeof m !== 'object'))
    throw new ArgumentError(`${fn}: options.masking must be an object, got ${describe(m)}`);
  if (m !== undefined)
    checkKeys(fn, 'options.masking', m, [
      'maskId',
      'specialIds',
      'probability',
      'maskFraction',
      'randomFraction',
      'wholeWord',
    ]);
  const tok = model.tokenizer;
  const maskId = m?.maskId ?? (tok !== null && tok.has(tok.maskToken) ? tok.idOf(tok.maskToken) : undefined);
  if (maskId === undefined)
    throw new ArgumentError(
      `${fn}: options.masking.maskId must be given when the model has no tokenizer with a mask token, got undefined`,
    );
  const specialIds =
    m?.specialIds ??
    (tok !== null ? tok.specialTokens.filter((t) => tok.has(t)).map((t) => tok.idOf(t)) : [model.config.padTokenId]);
  const r = {
    maskId,
    specialIds,
    vocabSize: model.config.vocabSize,
    padId: model.config.padTokenId,
    probability: m?.probability ?? 0.15,
    maskFraction: m?.maskFraction ?? 0.8,
    randomFraction: m?.randomFraction ?? 0.1,
    wholeWord: m?.wholeWord ?? false,
  };
  // checked once, before any training, with the caller's names (MlmMasker resolves the same options maskTokens takes)
  try {
    new MlmMasker(r);
  } catch (e) {
    if (e instanceof ArgumentError || e instanceof VocabError) {
      const msg = e.message.replace(/^MlmMasker: options\./, `${fn}: options.masking.`);
      throw e instanceof VocabError ? new VocabError(msg) : new ArgumentError(msg);
    }
    throw e;
  }
  return r;
}

function wordStartsOf(
  data: readonly MlmExample[],
  units: readonly Unit[],
  S: number,
  whole: boolean,
): Int32Array | undefined {
  if (!whole) return undefined;
  const out = new Int32Array(units.length * S);
  units.forEach((u, b) => {
    const ws = data[u.ex]!.wordStarts!;
    for (let i = 0; i < u.len; i++) out[b * S + i] = ws[i]! ? 1 : 0;
  });
  return out;
}

function checkWordStarts(fn: string, whole: boolean) {
  return (e: MlmExample, what: string) => {
    if (!whole) return;
    if (!isIds(e.wordStarts) || e.wordStarts.length !== e.ids.length) {
      throw new ArgumentError(
        `${fn}: ${what}.wordStarts must have one entry per token (${e.ids.length}) with options.masking.wholeWord, got ${isIds(e.wordStarts) ? `length ${e.wordStarts.length}` : describe(e.wordStarts)}`,
      );
    }
  };
}

function splitOptions<O extends object>(
  fn: string,
  options: O,
  own: readonly string[],
): [Record<string, unknown>, FitOptions<never>] {
  if (options === null || typeof options !== 'object')
    throw new ArgumentError(`${fn}: options must be an object, got ${describe(options)}`);
  const mine: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) (own.includes(k) ? mine : rest)[k] = v;
  return [mine, rest as FitOptions<never>];
}

/**
 * Masked-LM pre-training: each step pads a batch, masks it (Philox keyed by the
 * model seed; the counter travels in checkpoints) and minimises the
 * cross-entropy at the chosen positions. With `valid`, the per-epoch figure is
 * the masked-LM accuracy of evaluateMaskedLM (fixed masking).
 */
export async function fitMaskedLM(
  fn: string,
  model: MaskedLMTrainable,
  train: readonly MlmExample[],
  options: MlmFitOptions,
): Promise<FitResult> {
  checkOptionKeys(fn, options, [...FIT_OPTION_KEYS, 'masking']);
  const [mine, fitOptions] = splitOptions(fn, options, ['masking']);
  const m = maskingOf(fn, model, mine.masking as MlmMaskingConfig | undefined);
  const c = model.config;
  const maskingKey = { ...m, specialIds: [...m.specialIds] };
  let counter = 0;
  return fitModel(
    fn,
    {
      model,
      seed: model.seed,
      state: {
        save: () => ({ maskingCounter: counter, masking: maskingKey }),
        load: (s) => {
          const st = s as { maskingCounter?: unknown; masking?: unknown } | undefined;
          const v = st?.maskingCounter;
          if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
            throw new ArgumentError(
              `${fn}: options.resumeFrom must hold the masking counter, got ${JSON.stringify(s)}`,
            );
          if (st?.masking !== undefined && JSON.stringify(st.masking) !== JSON.stringify(maskingKey)) {
            throw new ArgumentError(
              `${fn}: options.masking must equal the checkpoint's ${JSON.stringify(st.masking)}, got ${JSON.stringify(maskingKey)}`,
            );
          }
          counter = v;
        },
      },
      units: (f, arg, data) => unitsOf(f, arg, data, c, checkWordStarts(f, m.wholeWord)),
      batchLoss: (data, units) => {
        const b = padBatch(data, units, c.padTokenId);
        const masked = maskTokens(b.ids, {
          ...m,
          seqLen: b.S,
          seed: model.seed,
          stream: MLM_MASKING_STREAM,
          counter,
          attentionMask: b.mask,
          wordStarts: wordStartsOf(data, units, b.S, m.wholeWord),
        });
        counter = masked.nextCounter;
        const { inputs } = inputsOf(b, masked.inputIds, true);
        const labels = tape.own(Tensor.fromArray(masked.labels, [b.B, b.S], 'int32'));
        return model.loss(inputs, labels);
      },
      accuracy: (data, bs) =>
        evaluateMaskedLM(fn, model, data, { batchSize: bs, masking: mine.masking as MlmMaskingConfig | undefined })
          .accuracy,
    },
    train,
    fitOptions as FitOptions<MlmExample>,
  );
}

/**
 * Eval-mode passes over `units` in batches (in order), `each` getting the batch
 * and its units; the training mode is restored after.
 */
function evalBatches(
  model: BertTrainable,
  data: readonly BertExample[],
  units: readonly Unit[],
  bs: number,
  each: (b: Batch, units: Unit[]) => void,
): void {
  const was = model.training;
  model.eval();
  try {
    for (let s = 0; s < units.length; s += bs) {
      const bu = units.slice(s, s + bs);
      each(padBatch(data, bu, model.config.padTokenId), bu);
    }
  } finally {
    model.train(was);
  }
}

/**
 * Masked-LM loss and accuracy on `data` with a fixed masking (keyed by
 * options.seed, default 0, on a stream of its own, each sequence from a counter
 * of its index): the same positions are scored at every call whatever the batch
 * size, so figures compare across epochs and models. Eval mode.
 */
export function evaluateMaskedLM(
  fn: string,
  model: MaskedLMTrainable,
  data: readonly MlmExample[],
  options: MlmEvaluateOptions = {},
): MlmEvaluation {
  const bs = batchSizeArg(fn, options, ['batchSize', 'masking', 'seed']);
  const m = maskingOf(fn, model, options.masking);
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)
    throw new ArgumentError(`${fn}: options.seed must be an integer in [0, 2^53), got ${String(seed)}`);
  const units = unitsOf(fn, 'data', data, model.config, checkWordStarts(fn, m.wholeWord));
  if (units.length === 0) throw new ArgumentError(`${fn}: data must hold at least one example, got 0`);
  const V = model.config.vocabSize;
  // each sequence masked on its own, from a counter of its index: the scored positions do not depend on the batching
  const stride = model.config.maxPositionEmbeddings + 1;
  const masks = units.map((u) => {
    const e = data[u.ex]!;
    return maskTokens(Int32Array.from(e.ids), {
      ...m,
      seed,
      stream: EVAL_MASKING_STREAM,
      counter: u.ex * stride,
      wordStarts: m.wholeWord ? e.wordStarts : undefined,
    });
  });
  let loss = 0,
    correct = 0,
    n = 0;
  evalBatches(model, data, units, bs, (b, bu) => {
    const ids = b.ids.slice();
    const pos: number[] = [],
      tgt: number[] = [];
    bu.forEach((u, r) => {
      const mk = masks[u.ex]!;
      ids.set(mk.inputIds, r * b.S);
      mk.labels.forEach((l, i) => {
        if (l !== -100) {
          pos.push(r * b.S + i);
          tgt.push(l);
        }
      });
    });
    if (pos.length === 0) return;
    const { inputs, dispose } = inputsOf(b, ids, false);
    const positions = Tensor.fromArray(Int32Array.from(pos), [pos.length], 'int32');
    try {
      const logits = noGrad(() => model.forward(inputs, { positions }).toArray() as Float32Array);
      const s = scoreRows(logits, V, tgt.length, (r) => tgt[r]!);
      loss += s.loss;
      correct += s.correct;
      n += pos.length;
    } finally {
      positions.dispose();
      dispose();
    }
  });
  return { loss: n > 0 ? loss / n : NaN, accuracy: n > 0 ? correct / n : NaN, n };
}

function labelCheck(fn: string, C: number) {
  return (e: SequenceLabelExample, what: string) => {
    const l = e.label;
    if (!Number.isInteger(l) || l < 0 || l >= C)
      throw new ArgumentError(`${fn}: ${what}.label must be an integer in [0, ${C}) (num_labels), got ${String(l)}`);
  };
}

function tokenLabelCheck(fn: string, C: number) {
  return (e: TokenLabelExample, what: string) => {
    const ls = e.labels;
    if (!isIds(ls) || ls.length !== e.ids.length)
      throw new ArgumentError(
        `${fn}: ${what}.labels must have one entry per token (${e.ids.length}), got ${isIds(ls) ? `length ${ls.length}` : describe(ls)}`,
      );
    for (let t = 0; t < ls.length; t++) {
      const l = ls[t]!;
      if (l !== -100 && (!Number.isInteger(l) || l < 0 || l >= C))
        throw new ArgumentError(
          `${fn}: ${what}.labels[${t}] must be -100 or an integer in [0, ${C}) (num_labels), got ${l}`,
        );
    }
  };
}

function tokenLabelsOf(data: readonly TokenLabelExample[], units: readonly Unit[], S: number): Int32Array {
  const out = new Int32Array(units.length * S).fill(-100);
  units.forEach((u, b) => {
    const ls = data[u.ex]!.labels;
    for (let i = 0; i < u.len; i++) out[b * S + i] = ls[i]!;
  });
  return out;
}

/** What differs between the two classification heads: the label check, the label tensor of a batch, and the scored logits rows of a batch. */
interface HeadTask<E extends BertExample> {
  check: (fn: string, C: number) => (e: E, what: string) => void;
  labels: (data: readonly E[], units: readonly Unit[], b: Batch) => Tensor;
  /** Logits rows [n, C] to score and their targets, from a batch's logits. */
  scored: (
    data: readonly E[],
    units: readonly Unit[],
    b: Batch,
    logits: Float32Array,
    C: number,
  ) => { rows: Float32Array; targets: ArrayLike<number> };
}

const SEQUENCE_TASK: HeadTask<SequenceLabelExample> = {
  check: labelCheck,
  labels: (data, units, b) =>
    Tensor.fromArray(
      Int32Array.from(units, (u) => data[u.ex]!.label),
      [b.B],
      'int32',
    ),
  scored: (data, units, _b, logits) => ({ rows: logits, targets: units.map((u) => data[u.ex]!.label) }),
};

const TOKEN_TASK: HeadTask<TokenLabelExample> = {
  check: tokenLabelCheck,
  labels: (data, units, b) => Tensor.fromArray(tokenLabelsOf(data, units, b.S), [b.B, b.S], 'int32'),
  scored: (data, units, b, logits, C) => {
    const labels = tokenLabelsOf(data, units, b.S);
    const rows: number[] = [],
      targets: number[] = [];
    labels.forEach((l, i) => {
      if (l !== -100) {
        rows.push(i);
        targets.push(l);
      }
    });
    const sel = new Float32Array(rows.length * C);
    rows.forEach((r, k) => sel.set(logits.subarray(r * C, (r + 1) * C), k * C));
    return { rows: sel, targets };
  },
};

function fitHead<E extends BertExample>(
  fn: string,
  task: HeadTask<E>,
  model: HeadTrainable,
  train: readonly E[],
  options: FitOptions<E>,
): Promise<FitResult> {
  const c = model.config;
  return fitModel(
    fn,
    {
      model,
      seed: model.seed,
      units: (f, arg, data) => unitsOf(f, arg, data, c, task.check(f, c.numLabels)),
      batchLoss: (data, units) => {
        const b = padBatch(data, units, c.padTokenId);
        const { inputs } = inputsOf(b, b.ids, true);
        return model.loss(inputs, tape.own(task.labels(data, units, b)));
      },
      accuracy: (data, bs) => evaluateHead(fn, task, model, data, { batchSize: bs }).accuracy,
    },
    train,
    options,
  );
}

function evaluateHead<E extends BertExample>(
  fn: string,
  task: HeadTask<E>,
  model: HeadTrainable,
  data: readonly E[],
  options: { batchSize?: number },
): { accuracy: number; loss: number; n: number } {
  const bs = batchSizeArg(fn, options);
  const c = model.config;
  const units = unitsOf(fn, 'data', data, c, task.check(fn, c.numLabels));
  if (units.length === 0) throw new ArgumentError(`${fn}: data must hold at least one example, got 0`);
  let loss = 0,
    correct = 0,
    n = 0;
  evalBatches(model, data, units, bs, (b, bu) => {
    const { inputs, dispose } = inputsOf(b, b.ids, false);
    try {
      const logits = noGrad(() => model.forward(inputs).toArray() as Float32Array);
      const { rows, targets } = task.scored(data, bu, b, logits, c.numLabels);
      const s = scoreRows(rows, c.numLabels, targets.length, (r) => targets[r]!);
      loss += s.loss;
      correct += s.correct;
      n += targets.length;
    } finally {
      dispose();
    }
  });
  return { accuracy: n > 0 ? correct / n : NaN, loss: n > 0 ? loss / n : NaN, n };
}

/** Fine-tuning of BertForSequenceClassification (cross-entropy on the pooled [CLS]); per-epoch figure: accuracy on `valid`. */
export async function fitSequenceClassifier(
  fn: string,
  model: HeadTrainable,
  train: readonly SequenceLabelExample[],
  options: FitOptions<SequenceLabelExample>,
): Promise<FitResult> {
  return fitHead(fn, SEQUENCE_TASK, model, train, options);
}

/** Accuracy and mean cross-entropy of a sequence classifier on labelled data (eval mode). */
export function evaluateSequenceClassifier(
  fn: string,
  model: HeadTrainable,
  data: readonly SequenceLabelExample[],
  options: { batchSize?: number } = {},
): { accuracy: number; loss: number; n: number } {
  return evaluateHead(fn, SEQUENCE_TASK, model, data, options);
}

/** Fine-tuning of BertForTokenClassification (cross-entropy over labelled tokens); per-epoch figure: token accuracy on `valid`. */
export async function fitTokenClassifier(
  fn: string,
  model: HeadTrainable,
  train: readonly TokenLabelExample[],
  options: FitOptions<TokenLabelExample>,
): Promise<FitResult> {
  return fitHead(fn, TOKEN_TASK, model, train, options);
}

/** Accuracy and mean cross-entropy over the labelled tokens (label ≠ -100) of `data` (eval mode). */
export function evaluateTokenClassifier(
  fn: string,
  model: HeadTrainable,
  data: readonly TokenLabelExample[],
  options: { batchSize?: number } = {},
): { accuracy: number; loss: number; n: number } {
  return evaluateHead(fn, TOKEN_TASK, model, data, options);
}

/** Options of packMaskedLMExamples. */
export interface PackOptions {
  /** Tokens per sequence, [CLS] and [SEP] included; default 128. */
  maxLength?: number;
}

/**
 * Pre-training sequences from documents (each an array of sentences or
 * paragraphs): each document's sentences are tokenized and packed greedily,
 * whole, into `[CLS] … [SEP]` sequences of at most maxLength tokens, never
 * across documents (RoBERTa's DOC-SENTENCES, without next-sentence pairs); a
 * sentence longer than a sequence is cut into pieces. `wordStarts` mark the
 * pieces that begin a word (for whole-word masking).
 */
export function packMaskedLMExamples(
  tokenizer: WordPiece,
  documents: readonly (readonly string[])[],
  options: PackOptions = {},
): MlmExample[] {
  const fn = 'packMaskedLMExamples';
  if (tokenizer === null || typeof tokenizer !== 'object' || typeof tokenizer.tokenize !== 'function')
    throw new ArgumentError(`${fn}: tokenizer must be a WordPiece, got ${describe(tokenizer)}`);
  if (!Array.isArray(documents))
    throw new ArgumentError(
      `${fn}: documents must be an array of documents (arrays of sentences), got ${describe(documents)}`,
    );
  const maxLength = options?.maxLength ?? 128;
  if (!Number.isSafeInteger(maxLength) || maxLength < 3)
    throw new ArgumentError(`${fn}: options.maxLength must be an integer >= 3, got ${String(maxLength)}`);
  const cls = tokenizer.idOf(tokenizer.clsToken),
    sep = tokenizer.idOf(tokenizer.sepToken);
  const prefix = tokenizer.continuingPrefix;
  const budget = maxLength - 2;
  const out: MlmExample[] = [];
  let ids: number[] = [],
    starts: number[] = [];
  const flush = () => {
    if (ids.length === 0) return;
    out.push({ ids: Int32Array.from([cls, ...ids, sep]), wordStarts: Uint8Array.from([1, ...starts, 1]) });
    ids = [];
    starts = [];
  };
  documents.forEach((doc, d) => {
    if (!Array.isArray(doc))
      throw new ArgumentError(`${fn}: documents[${d}] must be an array of sentences, got ${describe(doc)}`);
    doc.forEach((sentence, s) => {
      if (typeof sentence !== 'string')
        throw new ArgumentError(`${fn}: documents[${d}][${s}] must be a string, got ${describe(sentence)}`);
      const toks = tokenizer.tokenize(sentence);
      if (toks.length === 0) return;
      if (ids.length + toks.length > budget) flush();
      for (let i = 0; i < toks.length; i += budget) {
        const piece = toks.slice(i, i + budget);
        if (ids.length + piece.length > budget) flush();
        for (const t of piece) {
          ids.push(tokenizer.idOf(t));
          starts.push(t.startsWith(prefix) ? 0 : 1);
        }
      }
    });
    flush();
  });
  return out;
}
