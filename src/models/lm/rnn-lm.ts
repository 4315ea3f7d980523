/**
 * An LSTM language model with unlimited history (Zaremba et al. 2014; the
 * PyTorch word_language_model example): word embeddings, a stack of LSTM
 * layers, a linear decoder to the vocabulary (optionally tied to the
 * embeddings), dropout on the embeddings, between the layers and on the LSTM
 * output. Trained on one stream of word ids by truncated back-propagation
 * through time: the stream is cut into `batchSize` contiguous parallel
 * streams, each step predicts the next `bptt` tokens of every stream, and the
 * LSTM state is carried (detached) from one segment to the next, so a token is
 * predicted from everything before it in its stream.
 *
 * Every stream starts with the `bos` id as its first input (the zero state),
 * so the first token of a stream is predicted from `bos` alone, as
 * `KneserNey.tokenProbs` and `NeuralLM` predict the first token of theirs.
 */
import { describe } from '../../core/check.js';
import { ArgumentError, FormatError, ShapeError, VocabError, formatShape } from '../../core/errors.js';
import { WASM32_MAX_BYTES } from '../../core/memory.js';
import { Philox } from '../../core/rng.js';
import { Tensor } from '../../core/tensor.js';
import { Parameter } from '../../autograd/parameter.js';
import * as sm from '../../ops/softmax.js';
import * as F from '../../autograd/functional.js';
import { noGrad, step, type Variable } from '../../autograd/tape.js';
import { Initializer, Module, building, Dropout } from '../../nn/module.js';
import { Embedding, Linear } from '../../nn/layers.js';
import { LSTM } from '../../nn/rnn.js';
import { encodeSafetensors } from '../../io/safetensors.js';
import { CONFIG_KEY, MODEL_KEY, loadSaved } from '../../io/saved-model.js';
import { idsHash } from '../../train/batches.js';
import { earlyStopping, reduceLrOnPlateau, restoreBest } from '../../train/hooks.js';
import { runLoop, type CheckpointInfo, type LoopSettings, type TrainTask } from '../../train/loop.js';
import { checkCheckpointOptions, checkLr, checkOptionKeys, checkShellOptions } from '../../train/options.js';
import type { Progress } from '../../train/progress.js';
import type { GenerateOptions, NextWord } from './neural-lm.js';

/** LstmLM's configuration: embedding and hidden sizes, layers, dropout, tying. */
export interface LstmLMConfig {
  /** Word ids are in [0, vocabSize). */
  vocabSize: number;
  /** Embedding size; default 200. */
  embeddingDim?: number;
  /** LSTM hidden size (every layer); default 200. */
  hidden?: number;
  /** Stacked LSTM layers; default 2. */
  layers?: number;
  /** Dropout on the embeddings, between the LSTM layers and on the LSTM output while training; default 0.3. */
  dropout?: number;
  /** Decoder weight = the embedding table (needs embeddingDim === hidden); default false. */
  tied?: boolean;
  /** Id of unknown words (text input maps words outside the vocabulary to it); default 0. */
  unk?: number;
  /** First input of every stream (before its first token); never a target; default 1. */
  bos?: number;
  /** Initialisation and dropout masks derive from it; default 0. */
  seed?: number;
}

/** An LstmLMConfig with every default filled in. */
export type ResolvedLstmLMConfig = Required<LstmLMConfig>;

/** Options of `LstmLM.fit`: epochs, batch and segment sizes, AdamW, clipping, validation and early stopping, checkpoints, progress, the stop signal. */
export interface LstmLMFitOptions {
  /** Maximum passes over the training stream; default 10. */
  epochs?: number;
  /** Parallel streams the training stream is cut into (the batch); default 20. */
  batchSize?: number;
  /** Tokens of every stream per step (the truncation length of back-propagation through time); default 35. */
  bptt?: number;
  /** AdamW learning rate; default 2e-3. */
  lr?: number;
  /** AdamW decoupled weight decay (not on biases); default 0. */
  weightDecay?: number;
  /** Global-norm gradient clipping; 0 = off; default 1. */
  clip?: number;
  /** Threads for the GEMMs (needs `init({ threads: n })`); bit-identical to 1; default 1. */
  threads?: number;
  /** Validation stream: perplexity after each epoch drives learning-rate decay, early stopping and the best weights. */
  valid?: Int32Array;
  /** Parallel streams of the validation evaluation (`evaluate`'s batchSize); default 10. */
  evalBatchSize?: number;
  /** Stop after this many epochs in a row without a better validation perplexity; default 2. */
  patience?: number;
  /** Multiply the learning rate by this after an epoch without a better validation perplexity; default 0.5 (1 = never). */
  lrDecay?: number;
  /** With `valid`: end with the weights of the best validation epoch; default true. */
  restoreBest?: boolean;
  /** Stop after this many steps of this call (benchmarks, tests); default none. */
  maxSteps?: number;
  /** Called about every 0.25 s during an epoch and at each epoch end (with the validation figures); items are tokens. */
  onProgress?: (p: Progress) => void;
  /**
   * Called with checkpoint bytes at each epoch end (`epoch` = epochs done, `epochEnd` true) and every
   * `checkpointEvery` steps within an epoch (`epoch` = the 1-based epoch under way); awaited. A
   * checkpoint within an epoch holds the carried LSTM state.
   */
  onCheckpoint?: (bytes: Uint8Array, info: CheckpointInfo) => void | Promise<void>;
  /** 0 = epoch ends only (default). */
  checkpointEvery?: number;
  /** Resume from checkpoint bytes: the run continues bit-identically to one that never stopped (the other options must be the same). */
  resumeFrom?: Uint8Array;
  /**
   * Stops training early, checked before every step: training ends at that step boundary with the
   * weights trained so far (`restoreBest` is not applied), `aborted: true` in the result; as
   * `NeuralLM.fit`'s signal (docs/models.md "Stopping training").
   */
  signal?: AbortSignal;
}

/** One epoch of `LstmLM.fit`: training loss, learning rate, validation perplexity, time. */
export interface LstmLMEpoch {
  epoch: number;
  /** Mean over the epoch's steps of their mean training cross-entropy (nats, dropout on). */
  loss: number;
  lr: number;
  validPerplexity?: number;
  seconds: number;
}

/** What `LstmLM.fit` returns: steps, epochs, time, whether training stopped early, the best validation perplexity, the epochs' history. */
export interface LstmLMFitResult {
  steps: number;
  epochs: number;
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** True when training ended before all epochs: patience ran out, maxSteps, or the signal. */
  stopped: boolean;
  /** True when `signal` ended training (then `stopped` is true too). */
  aborted: boolean;
  /** Tokens predicted per epoch: batchSize × floor(train.length / batchSize). */
  tokensPerEpoch: number;
  /** Best validation perplexity and its epoch (with `valid`). */
  bestValidPerplexity?: number;
  bestEpoch?: number;
  history: LstmLMEpoch[];
}

/** The LSTM state between two segments: h and c [layers, batch, hidden]. */
export interface LstmLMState {
  h: Tensor;
  c: Tensor;
}

const KIND = 'LstmLM';
const VOCAB_KEY = 'wasm-nlp.vocab';
/** Stream of `generate`'s sampler ("gene"), as NeuralLM's. */
const SAMPLE_STREAM = 0x67656e65;
/** Rows (batch × time steps) of one evaluation chunk at most: bounds the logits buffer to 1024 × vocabSize floats. */
const EVAL_ROWS = 1024;
/** Time steps of one evaluation chunk at most. */
const EVAL_STEPS = 64;
const CONFIG_KEYS = ['vocabSize', 'embeddingDim', 'hidden', 'layers', 'dropout', 'tied', 'unk', 'bos', 'seed'];
const FIT_KEYS = [
  'epochs',
  'batchSize',
  'bptt',
  'lr',
  'weightDecay',
  'clip',
  'threads',
  'valid',
  'evalBatchSize',
  'patience',
  'lrDecay',
  'restoreBest',
  'maxSteps',
  'onProgress',
  'onCheckpoint',
  'checkpointEvery',
  'resumeFrom',
  'signal',
];

function intIn(fn: string, name: string, v: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || (v as number) < lo || (v as number) > hi) {
    throw new ArgumentError(
      `${fn}: ${name} must be an integer in [${lo}, ${hi === Number.MAX_SAFE_INTEGER ? '2^53' : hi}], got ${String(v)}`,
    );
  }
  return v as number;
}

function bool(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ArgumentError(`${fn}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/** Float32 parameters of a config: embeddings, every LSTM layer (4 gates, two biases), the decoder. */
function parameterCountOf(c: ResolvedLstmLMConfig): number {
  const { vocabSize: V, embeddingDim: E, hidden: H, layers } = c;
  let n = V * E;
  for (let l = 0; l < layers; l++) n += 4 * H * ((l === 0 ? E : H) + H + 2);
  return n + (c.tied ? V : V * H + V);
}

/** The config with defaults, validated (typed errors naming the field). */
export function resolveLstmLMConfig(config: LstmLMConfig): ResolvedLstmLMConfig {
  const fn = 'LstmLM';
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ArgumentError(`${fn}: config must be an object, got ${describe(config)}`);
  for (const k of Object.keys(config))
    if (!CONFIG_KEYS.includes(k))
      throw new ArgumentError(`${fn}: config must have only the keys ${CONFIG_KEYS.join(', ')}, got '${k}'`);
  const vocabSize = intIn(fn, 'config.vocabSize', config.vocabSize, 2);
  const c: ResolvedLstmLMConfig = {
    vocabSize,
    embeddingDim: intIn(fn, 'config.embeddingDim', config.embeddingDim ?? 200, 1),
    hidden: intIn(fn, 'config.hidden', config.hidden ?? 200, 1),
    layers: intIn(fn, 'config.layers', config.layers ?? 2, 1, 64),
    dropout: config.dropout ?? 0.3,
    tied: bool(fn, 'config.tied', config.tied ?? false),
    unk: intIn(fn, 'config.unk', config.unk ?? 0, 0, vocabSize - 1),
    bos: intIn(fn, 'config.bos', config.bos ?? 1, 0, vocabSize - 1),
    seed: intIn(fn, 'config.seed', config.seed ?? 0, 0),
  };
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1))
    throw new ArgumentError(`${fn}: config.dropout must be a number in [0, 1), got ${String(c.dropout)}`);
  if (c.tied && c.hidden !== c.embeddingDim)
    throw new ArgumentError(
      `${fn}: config.hidden must equal config.embeddingDim (${c.embeddingDim}) when config.tied is true, got ${c.hidden}`,
    );
  if (c.unk === c.bos)
    throw new ArgumentError(`${fn}: config.bos must differ from config.unk (${c.unk}), got ${c.bos}`);
  const params = parameterCountOf(c);
  if (!(params * 4 <= WASM32_MAX_BYTES))
    throw new ArgumentError(
      `${fn}: config must describe at most ${WASM32_MAX_BYTES / 4} float32 parameters (the 4 GiB Wasm32 memory), ` +
        `got ${params} (vocabSize ${vocabSize}, embeddingDim ${c.embeddingDim}, hidden ${c.hidden}, layers ${c.layers}, tied ${c.tied})`,
    );
  return c;
}

/** The index word → id of a vocabulary (an array of `V` distinct strings), or what is wrong with it (`vocab` + must, got). */
function checkVocab(vocab: unknown, V: number): Map<string, number> | { must: string; got: string } {
  if (!Array.isArray(vocab) || vocab.length !== V)
    return {
      must: ` must be an array of ${V} words (config.vocabSize)`,
      got: Array.isArray(vocab) ? `${vocab.length} words` : describe(vocab),
    };
  const index = new Map<string, number>();
  for (let i = 0; i < vocab.length; i++) {
    const w: unknown = vocab[i];
    if (typeof w !== 'string') return { must: `[${i}] must be a string`, got: describe(w) };
    const j = index.get(w);
    if (j !== undefined) return { must: ' must not repeat a word', got: `${JSON.stringify(w)} at ${j} and ${i}` };
    index.set(w, i);
  }
  return index;
}

function vocabIndex(fn: string, vocab: unknown, V: number): Map<string, number> {
  const r = checkVocab(vocab, V);
  if (!(r instanceof Map)) throw new ArgumentError(`${fn}: vocab${r.must}, got ${r.got}`);
  return r;
}

/** Splits text on white space (strings) or takes words as they are. */
function wordsOf(text: string | readonly string[]): string[] {
  return typeof text === 'string' ? text.split(/\s+/).filter((w) => w.length > 0) : [...text];
}

/** The bytes of a float32 Tensor as base64 (the carried state in checkpoints: exact, and a third of its JSON size). */
function toBase64(t: Tensor): string {
  const v = t.view() as Float32Array;
  const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** `toBase64`'s string back to floats, or null when it is not base64 of `n` floats. */
function fromBase64(s: unknown, n: number): Float32Array | null {
  if (typeof s !== 'string') return null;
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  if (bin.length !== 4 * n) return null;
  const b = new Uint8Array(4 * n);
  for (let i = 0; i < b.length; i++) b[i] = bin.charCodeAt(i);
  return new Float32Array(b.buffer);
}

/**
 * The LSTM language model. Parameters (names as in saved files, the LSTM's as
 * PyTorch's nn.LSTM): `embedding.weight` [V, E], `lstm.weight_ih_l{k}` [4H, in],
 * `lstm.weight_hh_l{k}` [4H, H], `lstm.bias_ih_l{k}`, `lstm.bias_hh_l{k}` [4H]
 * (gates i, f, g, o), `decoder.weight` [V, H] (absent when tied: the embedding
 * table is the decoder weight), `decoder.bias` [V].
 *
 * Initialisation from `config.seed`, as the PyTorch example: embedding and
 * decoder weight U(−0.1, 0.1), decoder bias 0, the LSTM PyTorch's U(±1/√H).
 */
export class LstmLM extends Module {
  readonly config: ResolvedLstmLMConfig;
  readonly kind = KIND;
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  /** The decoder (untied), or null when tied. */
  readonly decoder: Linear | null;
  /** The decoder bias (`decoder.bias`). */
  readonly decoderBias: Parameter;
  readonly inputDropout: Dropout;
  readonly outputDropout: Dropout;
  private _vocab: string[] | null = null;
  private _index: Map<string, number> | null = null;

  constructor(config: LstmLMConfig, vocab?: readonly string[]) {
    super();
    const c = (this.config = resolveLstmLMConfig(config));
    // everything checked before anything is allocated
    const index = vocab === undefined ? null : vocabIndex('LstmLM', vocab, c.vocabSize);
    let tiedBias: Parameter | null;
    [this.embedding, this.inputDropout, this.lstm, this.outputDropout, this.decoder, tiedBias] = building(
      () =>
        [
          new Embedding(c.vocabSize, c.embeddingDim),
          new Dropout(c.dropout),
          new LSTM(c.embeddingDim, c.hidden, { numLayers: c.layers, dropout: c.layers > 1 ? c.dropout : 0 }),
          new Dropout(c.dropout),
          c.tied ? null : new Linear(c.hidden, c.vocabSize),
          c.tied ? new Parameter(Tensor.zeros([c.vocabSize])) : null,
        ] as const,
    );
    this.addModule('embedding', this.embedding);
    this.addModule('input_dropout', this.inputDropout);
    this.addModule('lstm', this.lstm);
    this.addModule('output_dropout', this.outputDropout);
    if (this.decoder !== null) {
      this.addModule('decoder', this.decoder);
      this.decoderBias = this.decoder.bias!;
    } else {
      this.addModule('decoder', new Module()).addParameter('bias', tiedBias!);
      this.decoderBias = tiedBias!;
    }
    try {
      this.resetParameters(c.seed);
    } catch (e) {
      this.dispose(); // out of memory for an initialisation temporary: free the weights
      throw e;
    }
    if (vocab !== undefined) {
      this._vocab = [...vocab];
      this._index = index;
    }
  }

  override resetParameters(seed: number): this {
    super.resetParameters(seed);
    const init = new Initializer(seed);
    init.uniform(this.embedding.weight, 'embedding.weight', 0.1);
    if (this.decoder !== null) init.uniform(this.decoder.weight, 'decoder.weight', 0.1);
    init.fill(this.decoderBias, 0);
    return this;
  }

  /** The words by id, when the model has them. */
  get vocab(): readonly string[] | null {
    return this._vocab;
  }

  /** Attach the words by id (length vocabSize, distinct). */
  setVocab(vocab: readonly string[]): void {
    const index = vocabIndex('LstmLM.setVocab', vocab, this.config.vocabSize);
    this._vocab = [...vocab];
    this._index = index;
  }

  private needVocab(fn: string): { vocab: string[]; index: Map<string, number> } {
    if (this._vocab === null || this._index === null)
      throw new VocabError(`${fn}: the model must have a vocabulary (constructor or setVocab) to take words, got none`);
    return { vocab: this._vocab, index: this._index };
  }

  /** Word ids of words or white-space separated text; unknown words → `config.unk`. */
  encode(text: string | readonly string[]): Int32Array {
    const { index } = this.needVocab('LstmLM.encode');
    const words = wordsOf(text);
    const out = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = index.get(words[i]!) ?? this.config.unk;
    return out;
  }

  /** Checks a stream of ids (typed error naming `arg`). */
  private checkStream(fn: string, arg: string, s: unknown): Int32Array {
    if (!(s instanceof Int32Array))
      throw new ArgumentError(`${fn}: ${arg} must be an Int32Array of word ids, got ${describe(s)}`);
    const V = this.config.vocabSize;
    for (let i = 0; i < s.length; i++) {
      const x = s[i]!;
      if (x < 0 || x >= V) throw new ArgumentError(`${fn}: ${arg}[${i}] must be a word id in [0, ${V}), got ${x}`);
    }
    return s;
  }

  /** A zero state [layers, B, hidden] (caller-owned). */
  zeroState(B: number): LstmLMState {
    intIn('LstmLM.zeroState', 'B', B, 1);
    const shape = [this.config.layers, B, this.config.hidden];
    const h = Tensor.zeros(shape);
    try {
      return { h, c: Tensor.zeros(shape) };
    } catch (e) {
      h.dispose();
      throw e;
    }
  }

  /**
   * Logits [B·T, V] (row b·T + t: the next word after ids[b, t]) of ids int32
   * [B, T] (alive until backward), from `state` (h and c [layers, B, hidden];
   * zeros when absent), and the state after the last step (detached,
   * caller-owned: dispose it, or pass it to the next segment). The ids are not
   * checked (internal callers check streams); `state` is.
   */
  forward(ids: Tensor, state?: LstmLMState): { logits: Variable; state: LstmLMState } {
    const fn = 'LstmLM.forward';
    const c = this.config;
    if (!(ids instanceof Tensor) || ids.dtype !== 'int32' || ids.rank !== 2)
      throw new ShapeError(
        `${fn}: ids must be an int32 Tensor [B, T], got ${ids instanceof Tensor ? `${ids.dtype} ${formatShape(ids.shape)}` : describe(ids)}`,
      );
    const [B, T] = ids.shape as [number, number];
    if (state !== undefined) {
      const want = [c.layers, B, c.hidden];
      for (const k of ['h', 'c'] as const) {
        const t = state[k];
        if (!(t instanceof Tensor) || t.dtype !== 'float32' || t.shape.join() !== want.join())
          throw new ShapeError(
            `${fn}: state.${k} must be a float32 Tensor ${formatShape(want)}, got ${t instanceof Tensor ? `${t.dtype} ${formatShape(t.shape)}` : describe(t)}`,
          );
      }
    }
    const x = this.inputDropout.forward(this.embedding.forward(ids));
    const r = this.lstm.forward(x, state === undefined ? {} : { h0: state.h, c0: state.c });
    const y = F.reshape(this.outputDropout.forward(r.output), [B * T, c.hidden]);
    const logits =
      this.decoder !== null ? this.decoder.forward(y) : F.linear(y, this.embedding.weight, this.decoderBias);
    return { logits, state: { h: r.h, c: r.c! } };
  }

  /**
   * −ln P of every token of `stream` given all the tokens before it in its part
   * (eval mode, no gradients). The stream is cut into `batchSize` contiguous
   * parts (the first `length mod batchSize` one token longer), scored side by
   * side, each from the zero state with `bos` as its first input and its state
   * carried to its end: batchSize 1 is one pass over the whole stream with
   * unlimited history; a larger batch is faster, and each part's first tokens
   * see less history. Every token is scored once.
   */
  tokenLosses(stream: Int32Array, options: { batchSize?: number } = {}): Float64Array {
    const fn = 'LstmLM.tokenLosses';
    this.checkStream(fn, 'stream', stream);
    const N = stream.length;
    const B = Math.min(intIn(fn, 'options.batchSize', options.batchSize ?? 10, 1), Math.max(N, 1));
    const out = new Float64Array(N);
    if (N === 0) return out;
    const base = Math.floor(N / B),
      extra = N % B;
    const starts = new Int32Array(B),
      lens = new Int32Array(B);
    for (let r = 0, s = 0; r < B; r++) {
      starts[r] = s;
      lens[r] = base + (r < extra ? 1 : 0);
      s += lens[r]!;
    }
    const maxLen = lens[0]!;
    const T = Math.max(1, Math.min(EVAL_STEPS, Math.floor(EVAL_ROWS / B)));
    const bos = this.config.bos;
    const wasTraining = this.training;
    this.eval();
    let carry: LstmLMState | null = null;
    try {
      carry = this.zeroState(B);
      for (let t0 = 0; t0 < maxLen; t0 += T) {
        const Tc = Math.min(T, maxLen - t0);
        const idv = new Int32Array(B * Tc),
          tgv = new Int32Array(B * Tc);
        for (let r = 0; r < B; r++) {
          for (let t = 0; t < Tc; t++) {
            const p = t0 + t; // position in part r; past its end: padding, not read back
            idv[r * Tc + t] = p === 0 || p > lens[r]! ? bos : stream[starts[r]! + p - 1]!;
            tgv[r * Tc + t] = p < lens[r]! ? stream[starts[r]! + p]! : 0;
          }
        }
        const cur: LstmLMState = carry;
        step(() =>
          noGrad(() => {
            const ids = Tensor.fromArray(idv, [B, Tc], 'int32');
            const tg = Tensor.fromArray(tgv, [B * Tc], 'int32');
            let next: LstmLMState | null = null;
            try {
              const f = this.forward(ids, cur);
              next = f.state;
              const res = sm.softmaxXent(f.logits.value, tg);
              try {
                const rl = res.rowLoss.view() as Float32Array;
                for (let r = 0; r < B; r++)
                  for (let t = 0; t < Tc && t0 + t < lens[r]!; t++) out[starts[r]! + t0 + t] = rl[r * Tc + t]!;
              } finally {
                res.rowLoss.dispose();
                res.lse.dispose();
              }
              cur.h.view().set(next.h.view());
              cur.c.view().set(next.c.view());
            } finally {
              ids.dispose();
              tg.dispose();
              next?.h.dispose();
              next?.c.dispose();
            }
          }),
        );
      }
    } finally {
      carry?.h.dispose();
      carry?.c.dispose();
      this.train(wasTraining);
    }
    return out;
  }

  /** P of every token of `stream` (as `tokenLosses`), for mixtures with `KneserNey.tokenProbs` (`mixtureProbs`). */
  tokenProbs(stream: Int32Array, options: { batchSize?: number } = {}): Float64Array {
    const l = this.tokenLosses(stream, options);
    for (let i = 0; i < l.length; i++) l[i] = Math.exp(-l[i]!);
    return l;
  }

  /** Mean cross-entropy (nats) over every token of the stream (`tokenLosses`) and its perplexity exp(loss). */
  evaluate(stream: Int32Array, options: { batchSize?: number } = {}): { loss: number; perplexity: number; n: number } {
    const l = this.tokenLosses(stream, options);
    let s = 0;
    for (let i = 0; i < l.length; i++) s += l[i]!;
    const loss = l.length > 0 ? s / l.length : NaN;
    return { loss, perplexity: Math.exp(loss), n: l.length };
  }

  /** Perplexity of text (words, white-space separated; needs the vocabulary) or of a stream of ids, in one pass (batch 1). */
  perplexity(text: string | readonly string[] | Int32Array): number {
    const ids = text instanceof Int32Array ? text : this.encode(text);
    if (ids.length === 0) throw new ArgumentError(`LstmLM.perplexity: text must hold at least one word, got none`);
    return this.evaluate(ids, { batchSize: 1 }).perplexity;
  }

  /** Ids of a context given as text, words or ids (checked). */
  private contextIds(fn: string, context: string | readonly string[] | ArrayLike<number>): Int32Array {
    if (
      typeof context === 'string' ||
      (Array.isArray(context) && context.length > 0 && context.every((w) => typeof w === 'string'))
    )
      return this.encode(context as string | string[]);
    const ids = Int32Array.from(context as ArrayLike<number>);
    const src = context as ArrayLike<number>;
    for (let i = 0; i < src.length; i++) {
      const x = src[i]!;
      if (!Number.isInteger(x) || x < 0 || x >= this.config.vocabSize)
        throw new ArgumentError(`${fn}: context[${i}] must be a word id in [0, ${this.config.vocabSize}), got ${x}`);
    }
    return ids;
  }

  /**
   * Feeds `ids` (batch 1) from `carry`, updates `carry` to the state after
   * them, and returns the distribution of the next word [V] at `temperature`.
   */
  private advance(ids: Int32Array, carry: LstmLMState, temperature: number): Float32Array {
    return step(() =>
      noGrad(() => {
        const n = ids.length;
        const idsT = Tensor.fromArray(ids, [1, n], 'int32');
        let next: LstmLMState | null = null;
        try {
          const f = this.forward(idsT, carry);
          next = f.state;
          const V = this.config.vocabSize;
          const last = Tensor.fromArray((f.logits.value.view() as Float32Array).slice((n - 1) * V, n * V), [1, V]);
          try {
            const scaled = temperature === 1 ? last : F.scale(last, 1 / temperature).value;
            const p = sm.softmax(scaled);
            try {
              carry.h.view().set(next.h.view());
              carry.c.view().set(next.c.view());
              return p.toArray() as Float32Array;
            } finally {
              p.dispose();
            }
          } finally {
            last.dispose();
          }
        } finally {
          idsT.dispose();
          next?.h.dispose();
          next?.c.dispose();
        }
      }),
    );
  }

  /** Runs `fn` in eval mode with a zero batch-1 state, restoring the mode and freeing the state after. */
  private withState<T>(fn: (carry: LstmLMState) => T): T {
    const wasTraining = this.training;
    this.eval();
    let carry: LstmLMState | null = null;
    try {
      carry = this.zeroState(1);
      return fn(carry);
    } finally {
      carry?.h.dispose();
      carry?.c.dispose();
      this.train(wasTraining);
    }
  }

  private checkTemperature(fn: string, t: unknown): number {
    if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t))
      throw new ArgumentError(`${fn}: options.temperature must be a finite number > 0, got ${String(t)}`);
    return t;
  }

  /** The distribution of the next word [V] (sums to 1) after `context` (words, text or ids; all of it counts, read from `bos`). */
  nextWordProbs(
    context: string | readonly string[] | ArrayLike<number>,
    options: { temperature?: number } = {},
  ): Float32Array {
    const fn = 'LstmLM.nextWordProbs';
    const ctx = this.contextIds(fn, context);
    const temp = this.checkTemperature(fn, options.temperature ?? 1);
    const ids = new Int32Array(ctx.length + 1);
    ids[0] = this.config.bos;
    ids.set(ctx, 1);
    return this.withState((carry) => this.advance(ids, carry, temp));
  }

  /** The k most probable next words after `context`, best first. */
  topNext(context: string | readonly string[] | ArrayLike<number>, k = 10): NextWord[] {
    const fn = 'LstmLM.topNext';
    const { vocab } = this.needVocab(fn);
    intIn(fn, 'k', k, 1);
    const p = this.nextWordProbs(context);
    const order = [...p.keys()]
      .filter((i) => i !== this.config.bos)
      .sort((a, b) => p[b]! - p[a]! || a - b)
      .slice(0, k);
    return order.map((id) => ({ word: vocab[id]!, id, prob: p[id]! }));
  }

  /** Sample `length` words after `prompt` (words, text or ids), seeded; the state is carried, so all of the prompt and the sample count. */
  generate(prompt: string | readonly string[] | ArrayLike<number>, options: GenerateOptions = {}): string[] {
    const fn = 'LstmLM.generate';
    const { vocab } = this.needVocab(fn);
    const length = intIn(fn, 'options.length', options.length ?? 20, 0);
    const topK = intIn(fn, 'options.topK', options.topK ?? 0, 0);
    const seed = intIn(fn, 'options.seed', options.seed ?? 0, 0);
    const allowUnk = bool(fn, 'options.allowUnk', options.allowUnk ?? false);
    const temp = this.checkTemperature(fn, options.temperature ?? 1);
    const ctx = this.contextIds(fn, prompt);
    const rng = new Philox(seed, SAMPLE_STREAM, 0);
    const out: string[] = [];
    if (length === 0) return out;
    return this.withState((carry) => {
      const first = new Int32Array(ctx.length + 1);
      first[0] = this.config.bos;
      first.set(ctx, 1);
      let p = this.advance(first, carry, temp);
      for (let t = 0; t < length; t++) {
        p[this.config.bos] = 0;
        if (!allowUnk) p[this.config.unk] = 0;
        let cand = [...p.keys()];
        if (topK > 0) cand = cand.sort((a, b) => p[b]! - p[a]! || a - b).slice(0, topK);
        let total = 0;
        for (const i of cand) total += p[i]!;
        let u = rng.nextFloat() * total;
        let pick = cand[cand.length - 1]!;
        for (const i of cand) {
          u -= p[i]!;
          if (u < 0) {
            pick = i;
            break;
          }
        }
        out.push(vocab[pick]!);
        if (t + 1 < length) p = this.advance(Int32Array.of(pick), carry, temp);
      }
      return out;
    });
  }

  /** The config as checkpoints record it. */
  configJson(): string {
    return JSON.stringify(this.config);
  }

  /**
   * Train on a stream of word ids by truncated back-propagation through time.
   * The stream is cut into `batchSize` contiguous parts of floor(length /
   * batchSize) tokens (the last `length mod batchSize` tokens are dropped);
   * each part starts with `bos` as input. Step s takes tokens [s·bptt,
   * (s+1)·bptt) of every part (the last step of an epoch may be shorter), each
   * predicted from the token before it, from the LSTM state the previous step
   * left (detached: gradients stop at the segment boundary); the state is zero
   * at each epoch start. Each step's loss is the mean cross-entropy of its
   * tokens. With `valid`, after each epoch: validation perplexity
   * (`evaluate(valid, { batchSize: evalBatchSize })`); no improvement →
   * learning rate × `lrDecay`, after `patience` such epochs in a row, stop; the
   * best epoch's weights are restored at the end (`restoreBest`).
   */
  async fit(train: Int32Array, options: LstmLMFitOptions = {}): Promise<LstmLMFitResult> {
    const fn = 'LstmLM.fit';
    checkOptionKeys(fn, options, FIT_KEYS);
    this.checkStream(fn, 'train', train);
    const valid = options.valid === undefined ? undefined : this.checkStream(fn, 'options.valid', options.valid);
    if (valid !== undefined && valid.length === 0)
      throw new ArgumentError(`${fn}: options.valid must hold at least one token, got 0`);
    const num = (name: string, v: unknown, ok: (x: number) => boolean, expect: string): number => {
      if (typeof v !== 'number' || !ok(v))
        throw new ArgumentError(`${fn}: options.${name} must be ${expect}, got ${String(v)}`);
      return v;
    };
    const epochs = intIn(fn, 'options.epochs', options.epochs ?? 10, 1);
    const batchSize = intIn(fn, 'options.batchSize', options.batchSize ?? 20, 1);
    const bptt = intIn(fn, 'options.bptt', options.bptt ?? 35, 1);
    const lr = checkLr(fn, 'options.lr', options.lr ?? 2e-3);
    const finiteNonNeg = (x: number) => Number.isFinite(x) && x >= 0;
    const weightDecay = num('weightDecay', options.weightDecay ?? 0, finiteNonNeg, 'a finite number >= 0');
    const clip = num('clip', options.clip ?? 1, finiteNonNeg, 'a finite number >= 0 (0 = off)');
    const threads = checkShellOptions(fn, options, 'options.');
    const evalBatchSize = intIn(fn, 'options.evalBatchSize', options.evalBatchSize ?? 10, 1);
    const patience = intIn(fn, 'options.patience', options.patience ?? 2, 1);
    const lrDecay = num('lrDecay', options.lrDecay ?? 0.5, (x) => x > 0 && x <= 1, 'a number in (0, 1]');
    const best = bool(fn, 'options.restoreBest', options.restoreBest ?? true);
    const maxSteps = options.maxSteps === undefined ? Infinity : intIn(fn, 'options.maxSteps', options.maxSteps, 1);
    const checkpointEvery = intIn(fn, 'options.checkpointEvery', options.checkpointEvery ?? 0, 0);
    checkCheckpointOptions(fn, options);
    if (train.length < batchSize)
      throw new ArgumentError(
        `${fn}: train must hold at least options.batchSize (${batchSize}) tokens (one per parallel stream), got ${train.length}`,
      );
    const hooks =
      valid === undefined
        ? []
        : [reduceLrOnPlateau({ factor: lrDecay }), earlyStopping({ patience }), ...(best ? [restoreBest()] : [])];
    const settings: LoopSettings = {
      epochs,
      lr,
      weightDecay,
      clip,
      threads,
      checkpointEvery,
      maxSteps,
      hooks,
      monitor: { metric: 'validPerplexity', mode: 'min' },
      timedHistory: true,
      unit: 'tokens',
      onProgress: options.onProgress,
      onCheckpoint: options.onCheckpoint,
      resumeFrom: options.resumeFrom,
      signal: options.signal,
    };
    const fitMeta = {
      epochs,
      batchSize,
      bptt,
      lr,
      weightDecay,
      clip,
      evalBatchSize,
      patience,
      lrDecay,
      tokens: idsHash([{ ids: train }]),
      valid: valid === undefined ? null : idsHash([{ ids: valid }]),
    };
    const task = this.bpttTask(fn, train, valid, batchSize, bptt, evalBatchSize, fitMeta);
    const r = await runLoop(fn, task, settings);
    const result: LstmLMFitResult = {
      steps: r.steps,
      epochs: r.epochs,
      seconds: r.seconds,
      stopped: r.stopped,
      aborted: r.aborted,
      tokensPerEpoch: batchSize * Math.floor(train.length / batchSize),
      history: r.history as LstmLMEpoch[],
    };
    if (r.best !== undefined) {
      result.bestValidPerplexity = r.best;
      result.bestEpoch = r.bestEpoch!;
    }
    return result;
  }

  /**
   * The loop's view of truncated BPTT: step b of an epoch is segment b of the
   * `B` parallel parts; the carried state is the task's own state, saved in
   * checkpoints (as base64 of its float32 bytes: bit-exact).
   */
  private bpttTask(
    fn: string,
    train: Int32Array,
    valid: Int32Array | undefined,
    B: number,
    bptt: number,
    evalB: number,
    fitMeta: Record<string, unknown>,
  ): TrainTask {
    const c = this.config;
    const L = Math.floor(train.length / B); // tokens (targets) of each part per epoch
    const stateSize = c.layers * B * c.hidden;
    // Two states, alternating: a step reads one (its backward still needs h0) and writes the other.
    // Made at the first step, so a fit that fails before it (a resume check) holds none.
    let states: [LstmLMState, LstmLMState] | null = null;
    let cur = 0;
    let pending: { h: Float32Array; c: Float32Array } | null = null; // a resumed carry, loaded at the next step
    let idsT: Tensor | null = null;
    let tgT: Tensor | null = null;
    let spare: Tensor[] = []; // the last segment's short tensors, alive until its backward ran
    const freeSpare = () => {
      for (const t of spare) t.dispose();
      spare = [];
    };
    const freeStates = () => {
      for (const s of states ?? []) {
        s.h.dispose();
        s.c.dispose();
      }
      states = null;
    };
    const field = (k: string) => `${fn}: options.resumeFrom target.${k}`;
    return {
      model: this,
      stepsPerEpoch: Math.ceil(L / bptt),
      fitMeta,
      metaNames: { tokens: 'train (the hash of its ids)', valid: 'options.valid (the hash of its ids)' },
      beginEpoch: (counter) => counter, // no shuffling: the parts are read in order
      batchLoss: (b) => {
        freeSpare();
        if (states === null) {
          const s0 = this.zeroState(B);
          try {
            states = [s0, this.zeroState(B)];
          } catch (e) {
            s0.h.dispose();
            s0.c.dispose();
            throw e;
          }
        }
        const from = states[cur]!,
          to = states[1 - cur]!;
        if (b === 0) {
          (from.h.view() as Float32Array).fill(0);
          (from.c.view() as Float32Array).fill(0);
        } else if (pending !== null) {
          from.h.view().set(pending.h);
          from.c.view().set(pending.c);
        }
        pending = null;
        const t0 = b * bptt,
          T = Math.min(bptt, L - t0);
        let ids: Tensor, tg: Tensor;
        if (T === bptt) {
          ids = idsT ??= Tensor.zeros([B, bptt], 'int32');
          tg = tgT ??= Tensor.zeros([B * bptt], 'int32');
        } else {
          spare.push((ids = Tensor.zeros([B, T], 'int32')));
          spare.push((tg = Tensor.zeros([B * T], 'int32')));
        }
        const iv = ids.view() as Int32Array;
        for (let r = 0; r < B; r++) {
          const s = r * L;
          for (let t = 0; t < T; t++) {
            const p = t0 + t;
            iv[r * T + t] = p === 0 ? c.bos : train[s + p - 1]!;
          }
        }
        const tv = tg.view() as Int32Array;
        for (let r = 0; r < B; r++) tv.set(train.subarray(r * L + t0, r * L + t0 + T), r * T);
        const f = this.forward(ids, from);
        to.h.view().set(f.state.h.view());
        to.c.view().set(f.state.c.view());
        f.state.h.dispose();
        f.state.c.dispose();
        cur = 1 - cur;
        return { loss: F.crossEntropy(f.logits, tg), items: B * T };
      },
      validate:
        valid === undefined
          ? undefined
          : () => ({ validPerplexity: this.evaluate(valid, { batchSize: evalB }).perplexity }),
      state: {
        save: () => (states === null ? null : { h: toBase64(states[cur]!.h), c: toBase64(states[cur]!.c) }),
        load: (s: unknown) => {
          if (s === null) {
            pending = null;
            return;
          }
          if (s === undefined || typeof s !== 'object' || Array.isArray(s))
            throw new ArgumentError(
              `${fn}: options.resumeFrom target must be the carried LSTM state { h, c }, got ${describe(s)}`,
            );
          const o = s as Record<string, unknown>;
          const out: { h: Float32Array; c: Float32Array } = { h: new Float32Array(0), c: new Float32Array(0) };
          for (const k of ['h', 'c'] as const) {
            const v = fromBase64(o[k], stateSize);
            if (v === null)
              throw new ArgumentError(
                `${field(k)} must be base64 of ${stateSize} float32 values (layers × batchSize × hidden), got ${typeof o[k] === 'string' ? `${(o[k] as string).length} characters` : describe(o[k])}`,
              );
            const bad = v.findIndex((x) => !Number.isFinite(x));
            if (bad >= 0) throw new ArgumentError(`${field(k)} must hold finite values, got ${v[bad]} at ${bad}`);
            out[k] = v;
          }
          pending = out;
        },
      },
      dispose: () => {
        freeSpare();
        freeStates();
        idsT?.dispose();
        tgT?.dispose();
        idsT = tgT = null;
      },
    };
  }

  /** Weights as safetensors bytes, with the class, config and vocabulary (when set) in the metadata. */
  toSafetensors(): Uint8Array {
    const meta: Record<string, string> = { format: 'pt', [MODEL_KEY]: KIND, [CONFIG_KEY]: JSON.stringify(this.config) };
    if (this._vocab !== null) meta[VOCAB_KEY] = JSON.stringify(this._vocab);
    return encodeSafetensors(this.stateDict(), meta);
  }

  /** A model from `toSafetensors` bytes (in eval mode). */
  static fromSafetensors(bytes: Uint8Array): LstmLM {
    const fn = 'LstmLM.fromSafetensors';
    return loadSaved(fn, bytes, KIND, (config, metadata) => {
      const v = metadata[VOCAB_KEY];
      let vocab: string[] | undefined;
      try {
        vocab = v === undefined ? undefined : (JSON.parse(v) as string[]);
      } catch {
        throw new FormatError(
          `${fn}: bytes at offset 8 must be a header whose "${VOCAB_KEY}" is JSON, got ${JSON.stringify(v)}`,
        );
      }
      // the config and the vocabulary are checked before the weights are allocated
      const c = resolveLstmLMConfig(config as unknown as LstmLMConfig);
      const r = vocab === undefined ? null : checkVocab(vocab, c.vocabSize);
      if (r !== null && !(r instanceof Map))
        throw new FormatError(
          `${fn}: bytes at offset 8 must be a header whose "${VOCAB_KEY}" is the model's vocabulary: vocab${r.must}, got ${r.got}`,
        );
      return new LstmLM(c, vocab);
    });
  }
}
