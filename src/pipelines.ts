/**
 * Pipelines over our models with the call and result shapes of
 * transformers.js (v3) / Hugging Face transformers: `pipeline(task, model)`
 * gives an async callable for 'fill-mask', 'feature-extraction',
 * 'text-classification' and 'token-classification' over our BERT models, and
 * 'text-generation' over a causal language model. The model is one of our
 * objects (not a hub id). BERT models run synchronously in eval mode under noGrad;
 * texts are tokenized by the model's WordPiece (or `options.tokenizer`),
 * truncated to max_position_embeddings, and go through the model in padded
 * batches of `batch_size` (results do not depend on the batching). Text
 * generation runs `generate` (src/models/gpt/generate.ts) one text after another,
 * yielding to the host between tokens, and can stream the text as it comes. Every
 * runtime (no node:*). See docs/pipelines.md.
 */
import { checkBool, checkOptions, describe } from './core/check.js';
import { ArgumentError } from './core/errors.js';
import { Tensor } from './core/tensor.js';
import { noGrad, type Variable } from './autograd/tape.js';
import type { Module } from './nn/module.js';
import { WordPiece, type Encoding } from './text/wordpiece.js';
import {
  BertForMaskedLM,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
} from './models/bert/modeling.js';
import type { BertConfig, BertInputs } from './models/bert/config.js';
import {
  GENERATION_OPTION_KEYS,
  GenerationRun,
  checkCausalLM,
  resolveGenerationOptions,
  streamRun,
  type CausalLM,
  type GenerationOptionKey,
  type GenerationOptions,
} from './models/gpt/generate.js';

/** The tasks (canonical names). */
export type PipelineTask =
  'fill-mask' | 'feature-extraction' | 'text-classification' | 'token-classification' | 'text-generation';

/** Task names `pipeline` accepts: the tasks, and Hugging Face's aliases. */
export type PipelineTaskName = PipelineTask | 'sentiment-analysis' | 'ner' | 'embeddings';

const TASKS: readonly PipelineTask[] = [
  'fill-mask',
  'feature-extraction',
  'text-classification',
  'token-classification',
  'text-generation',
];
const ALIASES: Record<string, PipelineTask> = {
  'sentiment-analysis': 'text-classification',
  ner: 'token-classification',
  embeddings: 'feature-extraction',
};

/** Options of {@link pipeline}. */
export interface PipelineOptions {
  /** Tokenizer to use instead of `model.tokenizer`. */
  tokenizer?: WordPiece;
  /** Texts per forward pass (padded to the longest of the batch); default 32. A call may override it. */
  batch_size?: number;
}

/** What every pipeline carries besides being callable. */
export interface PipelineBase<T extends PipelineTask, M, Tok = WordPiece> {
  readonly task: T;
  readonly model: M;
  readonly tokenizer: Tok;
  /** Frees the model's parameters (as transformers.js's `dispose`); the pipeline is unusable afterwards. */
  dispose(): void;
}

/** One proposal of fill-mask. */
export interface FillMaskResult {
  /** Softmax probability over the whole vocabulary. */
  score: number;
  /** Token id. */
  token: number;
  /** The token as text (`decode([token])`, special tokens kept). */
  token_str: string;
  /** The input decoded with this token at the mask. */
  sequence: string;
}

/** Options of a fill-mask call: top_k and batch size. */
export interface FillMaskOptions {
  /** Proposals per mask; default 5 (at most the vocabulary size). */
  top_k?: number;
  batch_size?: number;
}

/** Result for one text: proposals for its mask, or (several masks) one list per mask, in text order. */
export type FillMaskOutput = FillMaskResult[] | FillMaskResult[][];

/** The fill-mask pipeline: texts with a mask token in, proposals out. */
export interface FillMaskPipeline extends PipelineBase<'fill-mask', BertForMaskedLM> {
  (text: string, options?: FillMaskOptions): Promise<FillMaskOutput>;
  (texts: readonly string[], options?: FillMaskOptions): Promise<FillMaskOutput[]>;
}

/** transformers.js's Tensor, reduced to what feature extraction returns: float32 data, row-major, of shape `dims`. */
export class PipelineTensor {
  readonly type = 'float32' as const;
  constructor(
    readonly dims: number[],
    readonly data: Float32Array,
  ) {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length)
      throw new ArgumentError(
        `PipelineTensor: data must have ${n} elements (dims [${dims.join(', ')}]), got ${data.length}`,
      );
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Nested arrays: number[][] for [B, H], number[][][] for [B, S, H]. */
  tolist(): number[][] | number[][][] {
    const rec = (d: number, off: number): unknown[] => {
      const n = this.dims[d]!;
      if (d === this.dims.length - 1) return Array.from(this.data.subarray(off, off + n));
      const stride = this.dims.slice(d + 1).reduce((a, b) => a * b, 1);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(rec(d + 1, off + i * stride));
      return out;
    };
    return rec(0, 0) as number[][] | number[][][];
  }
}

/** Options of a feature-extraction call: pooling, normalisation, batch size. */
export interface FeatureExtractionOptions {
  /** 'none' (every position, padding included: [B, S, H]), 'mean' (over the real tokens, [CLS] and [SEP] included: [B, H]) or 'cls' (position 0: [B, H]); default 'none'. */
  pooling?: 'none' | 'mean' | 'cls';
  /** L2-normalise each vector of the last axis; default false. */
  normalize?: boolean;
  batch_size?: number;
}

/** The feature-extraction pipeline: texts in, a PipelineTensor out. */
export interface FeatureExtractionPipeline extends PipelineBase<'feature-extraction', PipelineBertModel> {
  /** A single text gives a batch of one ([1, H] or [1, S, H]), as transformers.js. */
  (texts: string | readonly string[], options?: FeatureExtractionOptions): Promise<PipelineTensor>;
}

/** A text, or a pair of texts encoded together ([CLS] a [SEP] b [SEP]) as Hugging Face's `{ text, text_pair }`. */
export type TextClassificationInput = string | { text: string; text_pair?: string | null };

/** One label and its score. */
export interface TextClassificationResult {
  label: string;
  score: number;
}

/** Options of a text-classification call: top_k and batch size. */
export interface TextClassificationOptions {
  /** Labels per text, best first; default 1; null = every label. */
  top_k?: number | null;
  batch_size?: number;
}

/** The text-classification pipeline: texts (or pairs) in, labels with scores out. */
export interface TextClassificationPipeline extends PipelineBase<'text-classification', BertForSequenceClassification> {
  /** One text: `[{ label, score }]` (top_k entries). Several texts: one entry per text when top_k is 1, else one list per text. */
  (
    texts: TextClassificationInput | readonly TextClassificationInput[],
    options?: TextClassificationOptions,
  ): Promise<TextClassificationResult[] | TextClassificationResult[][]>;
}

/** One token of token-classification without aggregation. */
export interface TokenClassificationResult {
  entity: string;
  score: number;
  /** Position in the encoded sequence ([CLS] is 0). */
  index: number;
  /** The WordPiece token ('##' pieces keep their prefix). */
  word: string;
  start: null;
  end: null;
}

/** One entity group of aggregation_strategy 'simple' or 'first'. */
export interface TokenClassificationGroup {
  /** The label without its B- / I- prefix. */
  entity_group: string;
  /** Mean of the words' scores. */
  score: number;
  /** The words of the group, sub-words joined. */
  word: string;
  start: null;
  end: null;
}

/** Options of a token-classification call: ignored labels, aggregation, batch size. */
export interface TokenClassificationOptions {
  /** Labels left out of the result; default ['O']. */
  ignore_labels?: readonly string[];
  /**
   * 'none' (default): one entry per token. 'simple': adjacent tokens of the same
   * entity grouped (B- / I- tags). 'first': one label per word (that of its first
   * sub-token), then adjacent words grouped the same way. As Hugging Face's
   * (Python) pipeline; ignore_labels applies to the groups.
   */
  aggregation_strategy?: 'none' | 'simple' | 'first';
  batch_size?: number;
}

/** The token-classification pipeline: texts in, labelled tokens or entity groups out. */
export interface TokenClassificationPipeline extends PipelineBase<'token-classification', BertForTokenClassification> {
  (
    text: string,
    options?: TokenClassificationOptions,
  ): Promise<TokenClassificationResult[] | TokenClassificationGroup[]>;
  (
    texts: readonly string[],
    options?: TokenClassificationOptions,
  ): Promise<(TokenClassificationResult[] | TokenClassificationGroup[])[]>;
}

/** What text generation needs of a tokenizer (ByteLevelBPE has it): ids of a text, text of ids, and the stop token. */
export interface GenerationTokenizer {
  encode(text: string): { ids: Int32Array };
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
  /** The default stop token of generation (GPT-2: `<|endoftext|>`), and the start of an empty prompt. */
  readonly eosTokenId?: number | undefined;
  /** Start of an empty prompt, before eosTokenId. */
  readonly bosTokenId?: number | undefined;
  /** Number of tokens; at most the model's vocabSize when given. */
  readonly size?: number;
}

/** A causal language model with a tokenizer: what text generation runs (GPT2LMHeadModel with a tokenizer). */
export interface TextGenerationModel extends CausalLM {
  readonly tokenizer?: GenerationTokenizer | null;
  /** Frees the model (called by the pipeline's dispose, when present). */
  dispose?(): void;
}

/** Options of {@link pipeline} for 'text-generation'. */
export interface TextGenerationPipelineOptions {
  /** Tokenizer to use instead of `model.tokenizer`. */
  tokenizer?: GenerationTokenizer;
}

/**
 * Options of a text-generation call: the GenerationOptions, each also under its Hugging Face
 * snake_case name (max_new_tokens, do_sample, top_k, ...), and return_full_text. eos_token_id
 * defaults to the tokenizer's eosTokenId (null: no stop token).
 */
export interface TextGenerationOptions extends GenerationOptions {
  max_new_tokens?: number;
  min_new_tokens?: number;
  do_sample?: boolean;
  top_k?: number;
  top_p?: number;
  repetition_penalty?: number;
  no_repeat_ngram_size?: number;
  eos_token_id?: number | readonly number[] | null;
  use_cache?: boolean;
  /** The prompt followed by the new text (default true), or the new text only. */
  return_full_text?: boolean;
  returnFullText?: boolean;
}

/** One generated text. */
export interface TextGenerationResult {
  /** The prompt and its continuation (return_full_text false: the continuation only), special tokens left out. */
  generated_text: string;
}

/** The text-generation pipeline: prompts in, continuations out, or a stream of text pieces. */
export interface TextGenerationPipeline extends PipelineBase<
  'text-generation',
  TextGenerationModel,
  GenerationTokenizer
> {
  (text: string, options?: TextGenerationOptions): Promise<TextGenerationResult[]>;
  (texts: readonly string[], options?: TextGenerationOptions): Promise<TextGenerationResult[][]>;
  /**
   * The new text of one prompt in pieces, as tokens arrive (a macrotask to the host between
   * tokens); the pieces join into the call's generated_text with return_full_text false.
   * Options are checked at the call. `break` frees the model's session.
   */
  stream(text: string, options?: TextGenerationOptions): AsyncGenerator<string, void, undefined>;
}

/** A BERT encoder, or a head holding one as `.bert`: what feature extraction runs. */
export type PipelineBertModel =
  BertModel | BertForMaskedLM | BertForSequenceClassification | BertForTokenClassification;

/** Any of the pipelines. */
export type Pipeline =
  | FillMaskPipeline
  | FeatureExtractionPipeline
  | TextClassificationPipeline
  | TokenClassificationPipeline
  | TextGenerationPipeline;

// ---------------------------------------------------------------------------
// shared
// ---------------------------------------------------------------------------

/** A call's options: undefined gives {}; the message lists the keys as `only top_k, batch_size`. */
function optionsOf(fn: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  return options === undefined ? {} : checkOptions(fn, 'options', options, known, known.join(', '));
}

function positiveInt(fn: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw new ArgumentError(`${fn}: ${name} must be a positive integer, got ${describe(v)}`);
  return v;
}

/** A string or a non-empty array of strings → the list, and whether the input was an array. */
function textList(fn: string, input: unknown): { list: string[]; batched: boolean } {
  if (typeof input === 'string') return { list: [input], batched: false };
  if (!Array.isArray(input) || input.length === 0)
    throw new ArgumentError(`${fn}: texts must be a string or a non-empty array of strings, got ${describe(input)}`);
  input.forEach((t, i) => {
    if (typeof t !== 'string') throw new ArgumentError(`${fn}: texts[${i}] must be a string, got ${describe(t)}`);
  });
  return { list: input as string[], batched: true };
}

/** Softmax of one row in float64. */
function softmaxRow(x: ArrayLike<number>, off: number, n: number): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, x[off + i]!);
  const p = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) s += p[i] = Math.exp(x[off + i]! - m);
  for (let i = 0; i < n; i++) p[i]! /= s;
  return p;
}

/** Indices of the k largest of p[0..n), largest first, ties to the smaller index. */
function topK(p: Float64Array, k: number, n = p.length): number[] {
  k = Math.min(k, n);
  if (k * 8 >= n) {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => p[b]! - p[a]! || a - b);
    return idx.slice(0, k);
  }
  // a sorted window of k: insertion of each larger element
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = p[i]!;
    if (out.length === k && v <= p[out[k - 1]!]!) continue;
    let j = out.length === k ? k - 1 : out.length;
    while (j > 0 && p[out[j - 1]!]! < v) {
      out[j] = out[j - 1]!;
      j--;
    }
    out[j] = i;
  }
  return out;
}

/** Hugging Face's BertTokenizer.convert_tokens_to_string: joined with spaces, '##' pieces glued. */
function tokensToString(tokens: readonly string[], prefix: string): string {
  const s = tokens.join(' ');
  return (prefix === '' ? s : s.replaceAll(` ${prefix}`, '')).trim();
}

/** The state shared by the four pipelines. */
class Runner {
  readonly padId: number;
  readonly maxLength: number;
  constructor(
    readonly model: Module & { readonly config: BertConfig },
    readonly tokenizer: WordPiece,
    readonly batchSize: number,
  ) {
    const c = model.config;
    this.padId = tokenizer.has(tokenizer.padToken) ? tokenizer.idOf(tokenizer.padToken) : c.padTokenId;
    this.maxLength = c.maxPositionEmbeddings;
  }

  encode(text: string, pair?: string | null): Encoding {
    return this.tokenizer.encode(text, pair ?? null, { truncation: true, maxLength: this.maxLength });
  }

  /**
   * Runs `forward` over the encodings in batches of `batchSize` (eval mode,
   * noGrad; the training mode is restored after). Each batch is padded to its
   * longest, or to the longest of all when `padAll`. `each` gets the batch's
   * first index, its size, its padded length and the forward's output read out.
   */
  run(
    encs: readonly Encoding[],
    batchSize: number,
    padAll: boolean,
    forward: (inputs: BertInputs, start: number, count: number, S: number) => Variable,
    each: (start: number, count: number, S: number, out: Float32Array) => void,
  ): void {
    const all = encs.reduce((m, e) => Math.max(m, e.ids.length), 0);
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      for (let start = 0; start < encs.length; start += batchSize) {
        const chunk = encs.slice(start, start + batchSize);
        const B = chunk.length;
        const S = padAll ? all : chunk.reduce((m, e) => Math.max(m, e.ids.length), 0);
        const ids = new Int32Array(B * S).fill(this.padId);
        const types = new Int32Array(B * S);
        const mask = new Int32Array(B * S);
        chunk.forEach((e, b) => {
          ids.set(e.ids, b * S);
          types.set(e.tokenTypeIds, b * S);
          mask.set(e.attentionMask, b * S);
        });
        const made: Tensor[] = []; // freed even when a later one fails to allocate
        try {
          const input = (a: Int32Array): Tensor => {
            const t = Tensor.fromArray(a, [B, S], 'int32');
            made.push(t);
            return t;
          };
          const inputs = { inputIds: input(ids), tokenTypeIds: input(types), attentionMask: input(mask) };
          const out = noGrad(() => forward(inputs, start, B, S).toArray() as Float32Array);
          each(start, B, S, out);
        } finally {
          for (const t of made) t.dispose();
        }
      }
    } finally {
      this.model.train(wasTraining);
    }
  }

  label(i: number): string {
    return this.model.config.id2label[i] ?? `LABEL_${i}`;
  }
}

function attach<F extends (...a: never[]) => unknown, T extends PipelineTask, M>(
  call: F,
  task: T,
  model: M & Module,
  tokenizer: WordPiece,
): F & PipelineBase<T, M> {
  Object.defineProperties(call, {
    task: { value: task, enumerable: true },
    model: { value: model, enumerable: true },
    tokenizer: { value: tokenizer, enumerable: true },
    dispose: { value: () => model.dispose(), enumerable: false },
  });
  return call as F & PipelineBase<T, M>;
}

// ---------------------------------------------------------------------------
// the four tasks
// ---------------------------------------------------------------------------

function fillMask(model: BertForMaskedLM, tok: WordPiece, batchSize: number): FillMaskPipeline {
  const fn = "pipeline('fill-mask')";
  if (!tok.has(tok.maskToken))
    throw new ArgumentError(
      `${fn}: tokenizer must have its mask token ${JSON.stringify(tok.maskToken)} in the vocabulary, got a vocabulary without it`,
    );
  const maskId = tok.idOf(tok.maskToken);
  const r = new Runner(model, tok, batchSize);
  const V = model.config.vocabSize;
  const ranked = Math.min(V, tok.size);
  const call = async (
    input: string | readonly string[],
    options?: FillMaskOptions,
  ): Promise<FillMaskOutput | FillMaskOutput[]> => {
    const o = optionsOf(fn, options, ['top_k', 'batch_size']);
    const topk = positiveInt(fn, 'options.top_k', o.top_k, 5);
    const bs = positiveInt(fn, 'options.batch_size', o.batch_size, r.batchSize);
    const { list, batched } = textList(fn, input);
    const encs = list.map((t) => r.encode(t));
    const masks = encs.map((e, i) => {
      const at: number[] = [];
      e.ids.forEach((id, j) => {
        if (id === maskId) at.push(j);
      });
      const name = batched ? `texts[${i}]` : 'text';
      if (at.length === 0 && list[i]!.includes(tok.maskToken)) {
        throw new ArgumentError(
          `${fn}: ${name} must have its mask token within the first max_position_embeddings (${r.maxLength}) tokens, got it truncated away (${tok.tokenize(list[i]!).length + 2} tokens)`,
        );
      }
      if (at.length === 0)
        throw new ArgumentError(
          `${fn}: ${name} must contain the mask token ${tok.maskToken}, got ${describe(list[i])}`,
        );
      return at;
    });
    const out: FillMaskOutput[] = new Array(list.length);
    r.run(
      encs,
      bs,
      false,
      (inputs, start, count, S) => {
        // only the masked rows go through the head and the V-wide decoder
        const flat: number[] = [];
        for (let b = 0; b < count; b++) for (const j of masks[start + b]!) flat.push(b * S + j);
        const positions = Tensor.fromArray(Int32Array.from(flat), [flat.length], 'int32');
        try {
          return model.forward(inputs, { positions });
        } finally {
          positions.dispose();
        }
      },
      (start, count, _S, logits) => {
        let row = 0;
        for (let b = start; b < start + count; b++) {
          const ids = encs[b]!.ids;
          const single = masks[b]!.length === 1;
          const perMask = masks[b]!.map((j) => {
            const p = softmaxRow(logits, row++ * V, V);
            return topK(p, topk, ranked).map((id): FillMaskResult => {
              const seq = Int32Array.from(ids);
              seq[j] = id;
              return {
                score: p[id]!,
                token: id,
                token_str: tok.decode([id], { skipSpecialTokens: false }),
                // Hugging Face keeps the special tokens when there are several masks, so that the other masks stay visible
                sequence: tok.decode(seq, { skipSpecialTokens: single }),
              };
            });
          });
          out[b] = single ? perMask[0]! : perMask;
        }
      },
    );
    return batched ? out : out[0]!;
  };
  return attach(call as FillMaskPipeline, 'fill-mask', model, tok);
}

function featureExtraction(
  model: PipelineBertModel,
  encoder: BertModel,
  tok: WordPiece,
  batchSize: number,
): FeatureExtractionPipeline {
  const fn = "pipeline('feature-extraction')";
  const r = new Runner(model, tok, batchSize);
  const H = model.config.hiddenSize;
  const call = async (
    input: string | readonly string[],
    options?: FeatureExtractionOptions,
  ): Promise<PipelineTensor> => {
    const o = optionsOf(fn, options, ['pooling', 'normalize', 'batch_size']);
    const pooling = o.pooling ?? 'none';
    if (pooling !== 'none' && pooling !== 'mean' && pooling !== 'cls')
      throw new ArgumentError(`${fn}: options.pooling must be 'none', 'mean' or 'cls', got ${describe(pooling)}`);
    if (o.normalize !== undefined) checkBool(fn, 'options.normalize', o.normalize);
    const normalize = o.normalize === true;
    const bs = positiveInt(fn, 'options.batch_size', o.batch_size, r.batchSize);
    const { list } = textList(fn, input);
    const encs = list.map((t) => r.encode(t));
    const B = list.length;
    const Smax = encs.reduce((m, e) => Math.max(m, e.ids.length), 0);
    const dims = pooling === 'none' ? [B, Smax, H] : [B, H];
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    r.run(
      encs,
      bs,
      pooling === 'none',
      (inputs) => encoder.forward(inputs).lastHiddenState,
      (start, count, S, h) => {
        if (pooling === 'none') {
          data.set(h, start * S * H);
          return;
        }
        for (let b = 0; b < count; b++) {
          const dst = (start + b) * H;
          if (pooling === 'cls') {
            data.set(h.subarray(b * S * H, b * S * H + H), dst);
            continue;
          }
          const acc = new Float64Array(H);
          const mask = encs[start + b]!.attentionMask;
          let n = 0;
          for (let j = 0; j < mask.length; j++) {
            if (mask[j] === 0) continue;
            n++;
            const off = (b * S + j) * H;
            for (let k = 0; k < H; k++) acc[k]! += h[off + k]!;
          }
          for (let k = 0; k < H; k++) data[dst + k] = acc[k]! / Math.max(n, 1);
        }
      },
    );
    if (normalize) {
      for (let off = 0; off < data.length; off += H) {
        let s = 0;
        for (let k = 0; k < H; k++) s += data[off + k]! ** 2;
        const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
        for (let k = 0; k < H; k++) data[off + k]! *= inv;
      }
    }
    return new PipelineTensor(dims, data);
  };
  return attach(call as FeatureExtractionPipeline, 'feature-extraction', model, tok);
}

function textClassification(
  model: BertForSequenceClassification,
  tok: WordPiece,
  batchSize: number,
): TextClassificationPipeline {
  const fn = "pipeline('text-classification')";
  const r = new Runner(model, tok, batchSize);
  const L = model.config.numLabels;
  const call = async (
    input: TextClassificationInput | readonly TextClassificationInput[],
    options?: TextClassificationOptions,
  ) => {
    const o = optionsOf(fn, options, ['top_k', 'batch_size']);
    const topk = o.top_k === null ? L : positiveInt(fn, 'options.top_k', o.top_k, 1);
    const bs = positiveInt(fn, 'options.batch_size', o.batch_size, r.batchSize);
    const batched = Array.isArray(input);
    if (batched && input.length === 0)
      throw new ArgumentError(
        `${fn}: texts must be a text, { text, text_pair } or a non-empty array of them, got an array of 0`,
      );
    const items = (batched ? input : [input]) as unknown[];
    const encs = items.map((t, i) => {
      const name = batched ? `texts[${i}]` : 'texts';
      if (typeof t === 'string') return r.encode(t);
      if (t !== null && typeof t === 'object' && typeof (t as { text: unknown }).text === 'string') {
        const pair = (t as { text_pair?: unknown }).text_pair;
        if (pair !== undefined && pair !== null && typeof pair !== 'string')
          throw new ArgumentError(`${fn}: ${name}.text_pair must be a string, got ${describe(pair)}`);
        return r.encode((t as { text: string }).text, pair);
      }
      throw new ArgumentError(`${fn}: ${name} must be a string or { text, text_pair }, got ${describe(t)}`);
    });
    const out: TextClassificationResult[][] = [];
    r.run(
      encs,
      bs,
      false,
      (inputs) => model.forward(inputs),
      (_start, count, _S, logits) => {
        for (let b = 0; b < count; b++) {
          // Hugging Face: sigmoid for a single label, softmax otherwise
          const p = L === 1 ? Float64Array.of(1 / (1 + Math.exp(-logits[b]!))) : softmaxRow(logits, b * L, L);
          out.push(topK(p, topk).map((i) => ({ label: r.label(i), score: p[i]! })));
        }
      },
    );
    if (topk === 1) return out.map((x) => x[0]!);
    return batched ? out : out[0]!;
  };
  return attach(call as TextClassificationPipeline, 'text-classification', model, tok);
}

function tokenClassification(
  model: BertForTokenClassification,
  tok: WordPiece,
  batchSize: number,
): TokenClassificationPipeline {
  const fn = "pipeline('token-classification')";
  const r = new Runner(model, tok, batchSize);
  const L = model.config.numLabels;
  const unkId = tok.idOf(tok.unkToken);
  const prefix = tok.continuingPrefix;
  const call = async (input: string | readonly string[], options?: TokenClassificationOptions) => {
    const o = optionsOf(fn, options, ['ignore_labels', 'aggregation_strategy', 'batch_size']);
    const ignore = o.ignore_labels ?? ['O'];
    if (!Array.isArray(ignore) || ignore.some((x) => typeof x !== 'string'))
      throw new ArgumentError(`${fn}: options.ignore_labels must be an array of strings, got ${describe(ignore)}`);
    const strategy = o.aggregation_strategy ?? 'none';
    if (strategy !== 'none' && strategy !== 'simple' && strategy !== 'first')
      throw new ArgumentError(
        `${fn}: options.aggregation_strategy must be 'none', 'simple' or 'first', got ${describe(strategy)}`,
      );
    const bs = positiveInt(fn, 'options.batch_size', o.batch_size, r.batchSize);
    const { list, batched } = textList(fn, input);
    const encs = list.map((t) => r.encode(t));
    const out: (TokenClassificationResult[] | TokenClassificationGroup[])[] = [];
    r.run(
      encs,
      bs,
      false,
      (inputs) => model.forward(inputs),
      (start, count, S, logits) => {
        for (let b = 0; b < count; b++) {
          const ids = encs[start + b]!.ids;
          // per token: position, token, probabilities, argmax; special tokens left out (the aggregations keep [UNK], a word of its own, as Hugging Face)
          const toks: { j: number; word: string; p: Float64Array; best: number }[] = [];
          for (let j = 0; j < ids.length; j++) {
            const id = ids[j]!;
            if (tok.isSpecialId(id) && !(strategy !== 'none' && id === unkId)) continue;
            const p = softmaxRow(logits, (b * S + j) * L, L);
            toks.push({ j, word: tok.tokenOf(id), p, best: topK(p, 1)[0]! });
          }
          if (strategy === 'none') {
            out.push(
              toks
                .map((t): TokenClassificationResult => ({
                  entity: r.label(t.best),
                  score: t.p[t.best]!,
                  index: t.j,
                  word: t.word,
                  start: null,
                  end: null,
                }))
                .filter((e) => !ignore.includes(e.entity)),
            );
            continue;
          }
          if (strategy === 'simple') {
            const each = toks.map((t) => ({ entity: r.label(t.best), score: t.p[t.best]!, word: t.word }));
            out.push(groupEntities(each, prefix).filter((g) => !ignore.includes(g.entity_group)));
            continue;
          }
          // words: a '##' piece continues the previous word; each word takes its first piece's label and score
          const words: { entity: string; score: number; word: string }[] = [];
          let cur: typeof toks = [];
          const flush = () => {
            if (cur.length === 0) return;
            const f = cur[0]!;
            words.push({
              entity: r.label(f.best),
              score: f.p[f.best]!,
              word: tokensToString(
                cur.map((t) => t.word),
                prefix,
              ),
            });
            cur = [];
          };
          for (const t of toks) {
            if (!(cur.length > 0 && prefix !== '' && t.word.startsWith(prefix) && ids[t.j] !== unkId)) flush();
            cur.push(t);
          }
          flush();
          out.push(groupEntities(words, prefix).filter((g) => !ignore.includes(g.entity_group)));
        }
      },
    );
    return batched ? out : out[0]!;
  };
  return attach(call as TokenClassificationPipeline, 'token-classification', model, tok);
}

/** B- / I- tag of a label; a label without either counts as I- (a continuation), as Hugging Face's get_tag. */
function tagOf(label: string): [string, string] {
  if (label.startsWith('B-')) return ['B', label.slice(2)];
  if (label.startsWith('I-')) return ['I', label.slice(2)];
  return ['I', label];
}

/** Hugging Face's group_entities: adjacent words of the same tag join unless the next starts with B-. */
function groupEntities(
  words: readonly { entity: string; score: number; word: string }[],
  prefix: string,
): TokenClassificationGroup[] {
  const groups: TokenClassificationGroup[] = [];
  let cur: (typeof words)[number][] = [];
  const flush = () => {
    if (cur.length === 0) return;
    const e = cur[0]!.entity;
    const dash = e.indexOf('-');
    groups.push({
      entity_group: dash < 0 ? e : e.slice(dash + 1),
      score: cur.reduce((s, w) => s + w.score, 0) / cur.length,
      word: tokensToString(
        cur.map((w) => w.word),
        prefix,
      ),
      start: null,
      end: null,
    });
    cur = [];
  };
  for (const w of words) {
    if (cur.length > 0) {
      const [bi, tag] = tagOf(w.entity);
      const [, lastTag] = tagOf(cur[cur.length - 1]!.entity);
      if (!(tag === lastTag && bi !== 'B')) flush();
    }
    cur.push(w);
  }
  flush();
  return groups;
}

// ---------------------------------------------------------------------------
// text generation
// ---------------------------------------------------------------------------

/** Hugging Face's snake_case names of the generation options (the others are spelled alike). */
const SNAKE_CASE: Partial<Record<GenerationOptionKey, string>> = {
  maxNewTokens: 'max_new_tokens',
  minNewTokens: 'min_new_tokens',
  doSample: 'do_sample',
  topK: 'top_k',
  topP: 'top_p',
  repetitionPenalty: 'repetition_penalty',
  noRepeatNgramSize: 'no_repeat_ngram_size',
  eosTokenId: 'eos_token_id',
  useCache: 'use_cache',
  suppressTokens: 'suppress_tokens',
};

/** A call's keys in either spelling (snake_case first: typos are matched to them) → the canonical key. */
const GENERATION_KEYS = new Map<string, GenerationOptionKey | 'returnFullText'>([
  ...GENERATION_OPTION_KEYS.map((k) => [SNAKE_CASE[k] ?? k, k] as const),
  ['return_full_text', 'returnFullText'],
  ...GENERATION_OPTION_KEYS.filter((k) => SNAKE_CASE[k] !== undefined).map((k) => [k, k] as const),
  ['returnFullText', 'returnFullText'],
]);
/** The keys as error messages list them. */
const GENERATION_ALLOWED = `the keys ${[...GENERATION_KEYS.keys()].slice(0, GENERATION_OPTION_KEYS.length + 1).join(', ')} (or their camelCase names)`;

function textGeneration(model: TextGenerationModel, options: unknown): TextGenerationPipeline {
  const fn = "pipeline('text-generation')";
  const { vocabSize } = checkCausalLM('pipeline', model);
  const o = optionsOf('pipeline', options, ['tokenizer']) as TextGenerationPipelineOptions;
  const tok = (o.tokenizer ?? model.tokenizer ?? null) as GenerationTokenizer | null;
  if (tok === null)
    throw new ArgumentError(
      `pipeline: options.tokenizer must be given when the model has none (model.tokenizer is null), got none. Hint: assign model.tokenizer = ByteLevelBPE.fromTokenizerJson(...)`,
    );
  const t = tok as Partial<GenerationTokenizer>;
  if (typeof t !== 'object' || typeof t.encode !== 'function' || typeof t.decode !== 'function')
    throw new ArgumentError(
      `pipeline: ${o.tokenizer !== undefined ? 'options.tokenizer' : 'model.tokenizer'} must be a tokenizer with encode and decode, got ${describe(tok)}`,
    );
  if (typeof tok.size === 'number' && tok.size > vocabSize)
    throw new ArgumentError(
      `pipeline: the tokenizer must have at most the model's vocabSize (${vocabSize}) tokens, got ${tok.size}`,
    );
  const idIn = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < vocabSize ? v : undefined;
  const eos = idIn(tok.eosTokenId);
  const start = idIn(tok.bosTokenId) ?? eos;
  const decode = (ids: readonly number[]) => tok.decode(ids, { skipSpecialTokens: true });

  /** The call's options by canonical key (either spelling, not both), checked; the names errors use are the caller's. */
  const resolve = (options: unknown) => {
    const given =
      options === undefined
        ? {}
        : checkOptions(fn, 'options', options, [...GENERATION_KEYS.keys()], GENERATION_ALLOWED);
    const values: Partial<Record<GenerationOptionKey | 'returnFullText', unknown>> = {};
    const spelled = new Map<string, string>();
    for (const [k, v] of Object.entries(given)) {
      const c = GENERATION_KEYS.get(k)!;
      const other = spelled.get(c);
      if (other !== undefined)
        throw new ArgumentError(`${fn}: options must have one of '${other}' and '${k}', got both`);
      spelled.set(c, k);
      values[c] = v;
    }
    const nameOf = (k: string) => `options.${spelled.get(k) ?? SNAKE_CASE[k as GenerationOptionKey] ?? k}`;
    if (!spelled.has('eosTokenId')) values.eosTokenId = eos ?? null;
    const gen = resolveGenerationOptions(fn, values, vocabSize, nameOf);
    const full =
      values.returnFullText === undefined ? true : checkBool(fn, nameOf('returnFullText'), values.returnFullText);
    return { gen, full, maxName: nameOf('maxNewTokens').slice('options.'.length) };
  };

  /** A generation of `text`: the run, the prompt ids and the length of the prompt as decoded. */
  const begin = (name: string, text: string, r: ReturnType<typeof resolve>) => {
    let ids = Array.from(tok.encode(text).ids);
    if (ids.length === 0) {
      // as Hugging Face: an empty prompt starts from the start (or stop) token
      if (start === undefined)
        throw new ArgumentError(
          `${fn}: ${name} must encode to at least one token when the tokenizer has no bos or eos token, got ${describe(text)}`,
        );
      ids = [start];
    }
    const run = new GenerationRun(fn, model, ids, r.gen, r.maxName);
    return { run, ids, promptLength: decode(ids).length };
  };

  const call = async (input: string | readonly string[], options?: TextGenerationOptions) => {
    const r = resolve(options);
    const { list, batched } = textList(fn, input);
    const out: TextGenerationResult[][] = [];
    for (let i = 0; i < list.length; i++) {
      const g = begin(batched ? `texts[${i}]` : 'texts', list[i]!, r);
      const ids = [...g.ids];
      for await (const id of streamRun(g.run)) ids.push(id);
      // Hugging Face: the prompt as given, then the decoded sequence after the decoded prompt
      const continuation = decode(ids).slice(g.promptLength);
      out.push([{ generated_text: r.full ? list[i]! + continuation : continuation }]);
    }
    return batched ? out : out[0]!;
  };

  async function* pieces(g: ReturnType<typeof begin>): AsyncGenerator<string, void, undefined> {
    const ids = [...g.ids];
    let emitted = 0;
    for await (const id of streamRun(g.run)) {
      ids.push(id);
      const text = decode(ids).slice(g.promptLength);
      // an incomplete UTF-8 sequence at the end decodes to U+FFFD: wait for its next bytes
      if (text.endsWith('\uFFFD') || text.length <= emitted) continue;
      yield text.slice(emitted);
      emitted = text.length;
    }
    const text = decode(ids).slice(g.promptLength);
    if (text.length > emitted) yield text.slice(emitted);
  }

  const streamText = (text: string, options?: TextGenerationOptions) => {
    const r = resolve(options);
    if (typeof text !== 'string') throw new ArgumentError(`${fn}.stream: text must be a string, got ${describe(text)}`);
    return pieces(begin('text', text, r));
  };

  Object.defineProperties(call, {
    task: { value: 'text-generation', enumerable: true },
    model: { value: model, enumerable: true },
    tokenizer: { value: tok, enumerable: true },
    stream: { value: streamText, enumerable: false },
    dispose: { value: () => model.dispose?.(), enumerable: false },
  });
  return call as unknown as TextGenerationPipeline;
}

// ---------------------------------------------------------------------------
// pipeline()
// ---------------------------------------------------------------------------

/**
 * A pipeline for `task` over `model` (one of our BERT objects): an async
 * callable with `.task`, `.model`, `.tokenizer` and `dispose()`. The tokenizer is
 * `options.tokenizer`, else `model.tokenizer` (set by fromPretrained from
 * vocab.txt). ArgumentError when the task is unknown, the model does not fit the
 * task (fill-mask: BertForMaskedLM; text-classification:
 * BertForSequenceClassification; token-classification: BertForTokenClassification;
 * feature-extraction: BertModel or any head with `.bert`), or there is no
 * tokenizer. 'text-generation' takes any CausalLM with a tokenizer (`model.tokenizer` or
 * `options.tokenizer`: encode and decode, as ByteLevelBPE). Returns synchronously (so
 * `await pipeline(...)` works as in transformers.js).
 */
export function pipeline(task: 'fill-mask', model: BertForMaskedLM, options?: PipelineOptions): FillMaskPipeline;
export function pipeline(
  task: 'feature-extraction' | 'embeddings',
  model: PipelineBertModel,
  options?: PipelineOptions,
): FeatureExtractionPipeline;
export function pipeline(
  task: 'text-classification' | 'sentiment-analysis',
  model: BertForSequenceClassification,
  options?: PipelineOptions,
): TextClassificationPipeline;
export function pipeline(
  task: 'token-classification' | 'ner',
  model: BertForTokenClassification,
  options?: PipelineOptions,
): TokenClassificationPipeline;
export function pipeline(
  task: 'text-generation',
  model: TextGenerationModel,
  options?: TextGenerationPipelineOptions,
): TextGenerationPipeline;
export function pipeline(task: PipelineTaskName, model: PipelineBertModel, options?: PipelineOptions): Pipeline;
export function pipeline(
  task: PipelineTaskName,
  input: PipelineBertModel | TextGenerationModel,
  options: PipelineOptions | TextGenerationPipelineOptions = {},
): Pipeline {
  const fn = 'pipeline';
  const t: PipelineTask | undefined =
    typeof task === 'string'
      ? (ALIASES[task] ?? (TASKS.includes(task as PipelineTask) ? (task as PipelineTask) : undefined))
      : undefined;
  if (t === undefined)
    throw new ArgumentError(
      `${fn}: task must be one of ${TASKS.filter((x) => x !== 'text-generation')
        .map((x) => `'${x}'`)
        .join(', ')} (BERT models), 'text-generation' (a CausalLM) or the aliases ${Object.keys(ALIASES)
        .map((x) => `'${x}'`)
        .join(', ')}, got ${describe(task)}`,
    );
  if (t === 'text-generation') return textGeneration(input as TextGenerationModel, options);
  const model = input as PipelineBertModel;
  const o = optionsOf(fn, options, ['tokenizer', 'batch_size']) as PipelineOptions;
  const batchSize = positiveInt(fn, 'options.batch_size', o.batch_size, 32);
  const need: Record<Exclude<PipelineTask, 'text-generation'>, string> = {
    'fill-mask': 'a BertForMaskedLM',
    'text-classification': 'a BertForSequenceClassification',
    'token-classification': 'a BertForTokenClassification',
    'feature-extraction': 'a BertModel or a BERT head with .bert',
  };
  const m = model as unknown;
  const fits =
    t === 'fill-mask'
      ? m instanceof BertForMaskedLM
      : t === 'text-classification'
        ? m instanceof BertForSequenceClassification
        : t === 'token-classification'
          ? m instanceof BertForTokenClassification
          : m instanceof BertModel ||
            (m !== null && typeof m === 'object' && (m as { bert?: unknown }).bert instanceof BertModel);
  if (!fits) throw new ArgumentError(`${fn}: model must be ${need[t]} for task '${t}', got ${describe(m)}`);
  let tok: WordPiece | null;
  if (o.tokenizer !== undefined) {
    if (!(o.tokenizer instanceof WordPiece))
      throw new ArgumentError(`${fn}: options.tokenizer must be a WordPiece, got ${describe(o.tokenizer)}`);
    tok = o.tokenizer;
  } else tok = model.tokenizer ?? (model instanceof BertModel ? null : model.bert.tokenizer);
  if (tok === null)
    throw new ArgumentError(
      `${fn}: options.tokenizer must be given when the model has none (model.tokenizer is null), got none. Hint: fromPretrained with vocab.txt sets it, or assign model.tokenizer = WordPiece.fromVocabTxt(...)`,
    );
  if (tok.size > model.config.vocabSize)
    throw new ArgumentError(
      `${fn}: the tokenizer must have at most config.vocab_size (${model.config.vocabSize}) tokens, got ${tok.size}`,
    );
  switch (t) {
    case 'fill-mask':
      return fillMask(model as BertForMaskedLM, tok, batchSize);
    case 'text-classification':
      return textClassification(model as BertForSequenceClassification, tok, batchSize);
    case 'token-classification':
      return tokenClassification(model as BertForTokenClassification, tok, batchSize);
    default:
      return featureExtraction(model, model instanceof BertModel ? model : model.bert, tok, batchSize);
  }
}
