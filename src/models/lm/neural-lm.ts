/**
 * The neural probabilistic language model of Bengio et al. (2003): the
 * embeddings of the `context` previous words are concatenated, go through a
 * tanh hidden layer, and a softmax over the vocabulary gives the next word;
 * optionally direct connections from the embeddings to the output (the
 * paper's W) and output weights tied to the input embeddings. Trained with
 * cross-entropy by Adam(W), on a stream of word ids.
 *
 * The output layer is the cost (|V| x h multiply-adds per token, three times
 * in a training step): it is one batched GEMM forward and two backward, and
 * the loss is the fused softmax-cross-entropy kernel, which also gives the
 * per-token log-probabilities in evaluation.
 *
 * Token t of a stream is predicted from the `context` ids before it in the same
 * stream; positions before the start are `bos` (padding, never a target), as
 * `KneserNey.tokenProbs` does, so the two score the same events.
 */
import { describe } from '../../core/check.js';
import { ArgumentError, FormatError, VocabError } from '../../core/errors.js';
import { Philox } from '../../core/rng.js';
import { Tensor } from '../../core/tensor.js';
import { Parameter } from '../../autograd/parameter.js';
import * as sm from '../../ops/softmax.js';
import * as F from '../../autograd/functional.js';
import { noGrad, step, type Variable } from '../../autograd/tape.js';
import { Initializer, Module, building, Dropout } from '../../nn/module.js';
import { Embedding, Linear } from '../../nn/layers.js';
import { encodeSafetensors } from '../../io/safetensors.js';
import { WordVectors } from '../vectors/word-vectors.js';
import { CONFIG_KEY, MODEL_KEY, loadSaved } from '../../io/saved-model.js';
import { idsHash, shuffledPositions } from '../../train/batches.js';
import { earlyStopping, reduceLrOnPlateau, restoreBest } from '../../train/hooks.js';
import { runLoop, type CheckpointInfo, type LoopSettings, type TrainTask } from '../../train/loop.js';
import { checkCheckpointOptions, checkLr, checkOptionKeys, checkShellOptions } from '../../train/options.js';
import type { Progress } from '../../train/progress.js';

/** NeuralLM's configuration: context, embedding and hidden sizes (Bengio et al.'s n - 1, m, h), direct connections, tying, dropout. */
export interface NeuralLMConfig {
  /** Word ids are in [0, vocabSize). */
  vocabSize: number;
  /** n − 1: previous words the model sees; default 4 (a 5-gram model). */
  context?: number;
  /** m: embedding size; default 60. */
  embeddingDim?: number;
  /** h: tanh hidden units; 0 = no hidden layer (then `direct` must be true); default 100. */
  hidden?: number;
  /** Direct connections from the concatenated embeddings to the output (the paper's W); default false. */
  direct?: boolean;
  /** Output weights = the input embeddings (needs hidden === embeddingDim); default false. */
  tied?: boolean;
  /** Dropout on the concatenated embeddings and on the hidden layer while training; default 0. */
  dropout?: number;
  /** Id of unknown words (text input maps words outside the vocabulary to it); default 0. */
  unk?: number;
  /** Padding id before the start of a stream; never a target; default 1. */
  bos?: number;
  /** Initialisation, dropout masks and shuffling derive from it; default 0. */
  seed?: number;
}

/** A NeuralLMConfig with every default filled in. */
export type ResolvedNeuralLMConfig = Required<NeuralLMConfig>;

/** Options of `NeuralLM.fit`: epochs, batch size, AdamW, validation and early stopping, checkpoints, progress, the stop signal. */
export interface NeuralLMFitOptions {
  /** Maximum passes over the training stream; default 10. */
  epochs?: number;
  /** Positions (predicted tokens) per step; default 256. */
  batchSize?: number;
  /** Adam learning rate; default 1e-3. */
  lr?: number;
  /** AdamW decoupled weight decay (not on biases); default 0. */
  weightDecay?: number;
  /** Global-norm gradient clipping; 0 = off (default). */
  clip?: number;
  /** Threads for the GEMMs (needs `init({ threads: n })`); bit-identical to 1; default 1. */
  threads?: number;
  /** Validation stream: perplexity after each epoch drives learning-rate decay, early stopping and the best weights. */
  valid?: Int32Array;
  /** Stop after this many epochs in a row without a better validation perplexity; default 2. */
  patience?: number;
  /** Multiply the learning rate by this after an epoch without a better validation perplexity; default 0.5 (1 = never). */
  lrDecay?: number;
  /** With `valid`: end with the weights of the best validation epoch; default true. */
  restoreBest?: boolean;
  /** Stop after this many steps of this call (benchmarks, tests); default none. */
  maxSteps?: number;
  /** Called about every 0.25 s during an epoch and at each epoch end (with the validation figures). */
  onProgress?: (p: Progress) => void;
  /**
   * Called with checkpoint bytes at each epoch end (`epoch` = epochs done, `epochEnd` true) and every
   * `checkpointEvery` steps within an epoch (`epoch` = the 1-based epoch under way); awaited.
   */
  onCheckpoint?: (bytes: Uint8Array, info: CheckpointInfo) => void | Promise<void>;
  /** 0 = epoch ends only (default). */
  checkpointEvery?: number;
  /** Resume from checkpoint bytes: the run continues bit-identically to one that never stopped (the other options must be the same). */
  resumeFrom?: Uint8Array;
  /**
   * Stops training early: checked before every step. Once it is aborted, training ends at that step
   * boundary with the weights trained so far (`restoreBest` is not applied, as with `maxSteps`), a
   * last progress report is made and the result has `aborted: true` (and `stopped: true`); no
   * checkpoint is written at the stop. Already aborted: nothing is trained. With a signal,
   * training yields a macrotask to the event loop about every 50 ms (else every 0.25 s with
   * onProgress) so an abort from a message or a timer gets through. A signal that never aborts
   * changes nothing (bit-identical weights). See docs/models.md "Stopping training".
   */
  signal?: AbortSignal;
}

/** One epoch of `NeuralLM.fit`: training loss, learning rate, validation perplexity, time. */
export interface NeuralLMEpoch {
  epoch: number;
  /** Mean training cross-entropy of the epoch (nats, dropout on). */
  loss: number;
  lr: number;
  validPerplexity?: number;
  seconds: number;
}

/** What `NeuralLM.fit` returns: steps, epochs, time, whether training stopped early, the best validation perplexity, the epochs' history. */
export interface NeuralLMFitResult {
  steps: number;
  epochs: number;
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** True when training ended before all epochs: patience ran out, maxSteps, or the signal. */
  stopped: boolean;
  /** True when `signal` ended training (then `stopped` is true too). */
  aborted: boolean;
  /** Best validation perplexity and its epoch (with `valid`). */
  bestValidPerplexity?: number;
  bestEpoch?: number;
  history: NeuralLMEpoch[];
}

/** A candidate next word and its probability. */
export interface NextWord {
  word: string;
  id: number;
  prob: number;
}

/** Options of `NeuralLM.generate`: length, temperature, top-k and seed. */
export interface GenerateOptions {
  /** Words to generate; default 20. */
  length?: number;
  /** Softmax temperature > 0; default 1. */
  temperature?: number;
  /** Sample among the k most probable words only; 0 = all (default). */
  topK?: number;
  /** Sampling seed; default 0. */
  seed?: number;
  /** Allow the unknown-word token in the output; default false. */
  allowUnk?: boolean;
}

const KIND = 'NeuralLM';
const VOCAB_KEY = 'wasm-nlp.vocab';
/** Stream of `generate`'s sampler ("gene"). */
const SAMPLE_STREAM = 0x67656e65;
const CONFIG_KEYS = [
  'vocabSize',
  'context',
  'embeddingDim',
  'hidden',
  'direct',
  'tied',
  'dropout',
  'unk',
  'bos',
  'seed',
];
const FIT_KEYS = [
  'epochs',
  'batchSize',
  'lr',
  'weightDecay',
  'clip',
  'threads',
  'valid',
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

/** NeuralLM.fit's options, checked, as the loop's settings (the plateau hooks with `valid`). */
function fitSettings(
  fn: string,
  options: NeuralLMFitOptions,
  withValid: boolean,
): { settings: LoopSettings; batchSize: number; fit: Record<string, unknown> } {
  const num = (name: string, v: unknown, ok: (x: number) => boolean, expect: string): number => {
    if (typeof v !== 'number' || !ok(v))
      throw new ArgumentError(`${fn}: options.${name} must be ${expect}, got ${String(v)}`);
    return v;
  };
  const epochs = intIn(fn, 'options.epochs', options.epochs ?? 10, 1);
  const batchSize = intIn(fn, 'options.batchSize', options.batchSize ?? 256, 1);
  const lr = checkLr(fn, 'options.lr', options.lr ?? 1e-3);
  const weightDecay = num(
    'weightDecay',
    options.weightDecay ?? 0,
    (x) => Number.isFinite(x) && x >= 0,
    'a finite number >= 0',
  );
  const clip = num('clip', options.clip ?? 0, (x) => Number.isFinite(x) && x >= 0, 'a finite number >= 0 (0 = off)');
  const threads = checkShellOptions(fn, options, 'options.');
  const patience = intIn(fn, 'options.patience', options.patience ?? 2, 1);
  const lrDecay = num('lrDecay', options.lrDecay ?? 0.5, (x) => x > 0 && x <= 1, 'a number in (0, 1]');
  const best = bool(fn, 'options.restoreBest', options.restoreBest ?? true);
  const maxSteps = options.maxSteps === undefined ? Infinity : intIn(fn, 'options.maxSteps', options.maxSteps, 1);
  const checkpointEvery = intIn(fn, 'options.checkpointEvery', options.checkpointEvery ?? 0, 0);
  checkCheckpointOptions(fn, options);
  const hooks = !withValid
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
  return { settings, batchSize, fit: { epochs, batchSize, lr, weightDecay, clip, patience, lrDecay } };
}

/** The config with defaults, validated (typed errors naming the field). */
export function resolveNeuralLMConfig(config: NeuralLMConfig): ResolvedNeuralLMConfig {
  const fn = 'NeuralLM';
  if (config === null || typeof config !== 'object')
    throw new ArgumentError(`${fn}: config must be an object, got ${String(config)}`);
  for (const k of Object.keys(config))
    if (!CONFIG_KEYS.includes(k))
      throw new ArgumentError(`${fn}: config must have only the keys ${CONFIG_KEYS.join(', ')}, got '${k}'`);
  const vocabSize = intIn(fn, 'config.vocabSize', config.vocabSize, 2);
  const c: ResolvedNeuralLMConfig = {
    vocabSize,
    context: intIn(fn, 'config.context', config.context ?? 4, 1, 64),
    embeddingDim: intIn(fn, 'config.embeddingDim', config.embeddingDim ?? 60, 1),
    hidden: intIn(fn, 'config.hidden', config.hidden ?? 100, 0),
    direct: bool(fn, 'config.direct', config.direct ?? false),
    tied: bool(fn, 'config.tied', config.tied ?? false),
    dropout: config.dropout ?? 0,
    unk: intIn(fn, 'config.unk', config.unk ?? 0, 0, vocabSize - 1),
    bos: intIn(fn, 'config.bos', config.bos ?? 1, 0, vocabSize - 1),
    seed: intIn(fn, 'config.seed', config.seed ?? 0, 0),
  };
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1))
    throw new ArgumentError(`${fn}: config.dropout must be a number in [0, 1), got ${String(c.dropout)}`);
  if (c.hidden === 0 && !c.direct)
    throw new ArgumentError(
      `${fn}: config.direct must be true when config.hidden is 0 (the output needs an input), got false`,
    );
  if (c.tied && c.hidden !== c.embeddingDim) {
    throw new ArgumentError(
      `${fn}: config.hidden must equal config.embeddingDim (${c.embeddingDim}) when config.tied is true, got ${c.hidden}`,
    );
  }
  if (c.unk === c.bos)
    throw new ArgumentError(`${fn}: config.bos must differ from config.unk (${c.unk}), got ${c.bos}`);
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

/** checkVocab, as an ArgumentError naming `vocab` of `fn`. */
function vocabIndex(fn: string, vocab: unknown, V: number): Map<string, number> {
  const r = checkVocab(vocab, V);
  if (!(r instanceof Map)) throw new ArgumentError(`${fn}: vocab${r.must}, got ${r.got}`);
  return r;
}

/** Splits text on white space (strings) or takes words as they are. */
function wordsOf(text: string | readonly string[]): string[] {
  return typeof text === 'string' ? text.split(/\s+/).filter((w) => w.length > 0) : [...text];
}

/**
 * Bengio et al.'s MLP language model. Parameters (names as in saved files):
 * `embeddings.weight` [V, m], `hidden.weight` [h, context·m], `hidden.bias` [h],
 * `output.weight` [V, h] (absent when tied), `output.bias` [V],
 * `direct.weight` [V, context·m] (with `direct`).
 *
 * Initialisation from `config.seed`: embeddings U(−0.1, 0.1), the linear
 * layers PyTorch's default U(±1/√in), the output bias 0.
 */
export class NeuralLM extends Module {
  readonly config: ResolvedNeuralLMConfig;
  readonly kind = KIND;
  readonly embeddings: Embedding;
  readonly hidden: Linear | null;
  readonly output: Linear | null;
  /** The output bias when tied (the output weight is the embedding table). */
  readonly outputBias: Module | null;
  readonly direct: Linear | null;
  readonly inputDropout: Dropout;
  readonly hiddenDropout: Dropout;
  private _vocab: string[] | null = null;
  private _index: Map<string, number> | null = null;

  constructor(config: NeuralLMConfig, vocab?: readonly string[]) {
    super();
    const c = (this.config = resolveNeuralLMConfig(config));
    // everything checked before anything is allocated
    const index = vocab === undefined ? null : vocabIndex('NeuralLM', vocab, c.vocabSize);
    const inDim = c.context * c.embeddingDim;
    const tied = c.hidden > 0 && c.tied;
    let outputBias: Parameter | null;
    [this.embeddings, this.hidden, this.inputDropout, this.hiddenDropout, this.output, outputBias, this.direct] =
      building(
        () =>
          [
            new Embedding(c.vocabSize, c.embeddingDim),
            c.hidden > 0 ? new Linear(inDim, c.hidden) : null,
            new Dropout(c.dropout),
            new Dropout(c.dropout),
            c.hidden > 0 && !tied ? new Linear(c.hidden, c.vocabSize) : null,
            tied ? new Parameter(Tensor.zeros([c.vocabSize])) : null,
            c.direct ? new Linear(inDim, c.vocabSize, { bias: c.hidden === 0 }) : null,
          ] as const,
      );
    this.addModule('embeddings', this.embeddings);
    if (this.hidden !== null) this.addModule('hidden', this.hidden);
    this.addModule('input_dropout', this.inputDropout);
    this.addModule('hidden_dropout', this.hiddenDropout);
    if (outputBias !== null) {
      this.outputBias = this.addModule('output', new Module());
      this.outputBias.addParameter('bias', outputBias);
    } else {
      this.outputBias = null;
      if (this.output !== null) this.addModule('output', this.output);
    }
    if (this.direct !== null) this.addModule('direct', this.direct);
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
    init.uniform(this.embeddings.weight, 'embeddings.weight', 0.1);
    if (this.output?.bias) init.fill(this.output.bias, 0);
    if (this.direct?.bias) init.fill(this.direct.bias, 0);
    return this;
  }

  /** The words by id, when the model has them. */
  get vocab(): readonly string[] | null {
    return this._vocab;
  }

  /** Attach the words by id (length vocabSize, distinct). */
  setVocab(vocab: readonly string[]): void {
    const index = vocabIndex('NeuralLM.setVocab', vocab, this.config.vocabSize);
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
    const { index } = this.needVocab('NeuralLM.encode');
    const words = wordsOf(text);
    const out = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) out[i] = index.get(words[i]!) ?? this.config.unk;
    return out;
  }

  /** Checks a stream of ids (typed error naming `arg`). */
  private checkStream(fn: string, arg: string, s: unknown): Int32Array {
    if (!(s instanceof Int32Array))
      throw new ArgumentError(`${fn}: ${arg} must be an Int32Array of word ids, got ${s === null ? 'null' : typeof s}`);
    const V = this.config.vocabSize;
    for (let i = 0; i < s.length; i++) {
      const x = s[i]!;
      if (x < 0 || x >= V) throw new ArgumentError(`${fn}: ${arg}[${i}] must be a word id in [0, ${V}), got ${x}`);
    }
    return s;
  }

  /** Contexts [positions.length, context] of the given positions of `stream` (bos before the start). */
  private contexts(stream: Int32Array, positions: ArrayLike<number>, from = 0, to = positions.length): Int32Array {
    const C = this.config.context,
      bos = this.config.bos;
    const out = new Int32Array((to - from) * C);
    for (let r = 0; r < to - from; r++) {
      const p = positions[from + r]!;
      for (let j = 0; j < C; j++) {
        const q = p - C + j;
        out[r * C + j] = q >= 0 ? stream[q]! : bos;
      }
    }
    return out;
  }

  /** Logits [B, V] for contexts ids [B, context] (alive until backward). */
  forward(ids: Tensor): Variable {
    const c = this.config;
    const B = ids.shape[0]!;
    let x: Variable = F.reshape(this.embeddings.forward(ids), [B, c.context * c.embeddingDim]);
    x = this.inputDropout.forward(x);
    let logits: Variable | null = null;
    if (this.hidden !== null) {
      const a = this.hiddenDropout.forward(F.tanh(this.hidden.forward(x)));
      logits =
        this.output !== null
          ? this.output.forward(a)
          : F.linear(a, this.embeddings.weight, this.outputBias!.namedParameters()[0]![1]);
    }
    if (this.direct !== null) {
      const d = this.direct.forward(x);
      logits = logits === null ? d : F.add(logits, d);
    }
    return logits!;
  }

  /** Mean cross-entropy (nats) of predicting `targets` [B] from contexts [B, context]. */
  loss(ids: Tensor, targets: Tensor): Variable {
    return F.crossEntropy(this.forward(ids), targets);
  }

  /**
   * −ln P of every token of `stream` given the ids before it (eval mode, no
   * gradients), in batches of `batchSize` positions, from the fused
   * softmax-cross-entropy kernel's per-row losses.
   */
  tokenLosses(stream: Int32Array, options: { batchSize?: number } = {}): Float64Array {
    const fn = 'NeuralLM.tokenLosses';
    this.checkStream(fn, 'stream', stream);
    const B = intIn(fn, 'options.batchSize', options.batchSize ?? 1024, 1);
    const n = stream.length;
    const out = new Float64Array(n);
    const wasTraining = this.training;
    this.eval();
    try {
      for (let s = 0; s < n; s += B) {
        const e = Math.min(n, s + B);
        const pos = new Int32Array(e - s);
        for (let i = 0; i < pos.length; i++) pos[i] = s + i;
        const ids = Tensor.fromArray(this.contexts(stream, pos), [e - s, this.config.context], 'int32');
        const tg = Tensor.fromArray(stream.subarray(s, e), [e - s], 'int32');
        try {
          step(() =>
            noGrad(() => {
              const logits = this.forward(ids);
              const r = sm.softmaxXent(logits.value, tg);
              try {
                const rl = r.rowLoss.view() as Float32Array;
                for (let i = 0; i < rl.length; i++) out[s + i] = rl[i]!;
              } finally {
                r.rowLoss.dispose();
                r.lse.dispose();
              }
            }),
          );
        } finally {
          ids.dispose();
          tg.dispose();
        }
      }
    } finally {
      this.train(wasTraining);
    }
    return out;
  }

  /** P of every token of `stream` given the ids before it (bos-padded), as `KneserNey.tokenProbs`. */
  tokenProbs(stream: Int32Array, options: { batchSize?: number } = {}): Float64Array {
    const l = this.tokenLosses(stream, options);
    for (let i = 0; i < l.length; i++) l[i] = Math.exp(-l[i]!);
    return l;
  }

  /** Mean cross-entropy (nats) over the stream and its perplexity exp(loss). */
  evaluate(stream: Int32Array, options: { batchSize?: number } = {}): { loss: number; perplexity: number; n: number } {
    const l = this.tokenLosses(stream, options);
    let s = 0;
    for (let i = 0; i < l.length; i++) s += l[i]!;
    const loss = l.length > 0 ? s / l.length : NaN;
    return { loss, perplexity: Math.exp(loss), n: l.length };
  }

  /** Perplexity of text (words, white-space separated; needs the vocabulary) or of a stream of ids. */
  perplexity(text: string | readonly string[] | Int32Array): number {
    const ids = text instanceof Int32Array ? text : this.encode(text);
    if (ids.length === 0) throw new ArgumentError(`NeuralLM.perplexity: text must hold at least one word, got none`);
    return this.evaluate(ids).perplexity;
  }

  private contextIds(fn: string, context: string | readonly string[] | ArrayLike<number>): Int32Array {
    let ids: ArrayLike<number>;
    if (
      typeof context === 'string' ||
      (Array.isArray(context) && context.length > 0 && context.every((w) => typeof w === 'string'))
    )
      ids = this.encode(context as string | string[]);
    else ids = context as ArrayLike<number>;
    const C = this.config.context;
    const out = new Int32Array(C).fill(this.config.bos);
    const n = ids.length;
    for (let j = 0; j < Math.min(C, n); j++) {
      const x = ids[n - 1 - j]!;
      if (!Number.isInteger(x) || x < 0 || x >= this.config.vocabSize)
        throw new ArgumentError(
          `${fn}: context[${n - 1 - j}] must be a word id in [0, ${this.config.vocabSize}), got ${x}`,
        );
      out[C - 1 - j] = x;
    }
    return out;
  }

  /** The distribution of the next word [V] (sums to 1) after `context` (words, text or ids; only its last `context` words count; shorter is bos-padded). */
  nextWordProbs(
    context: string | readonly string[] | ArrayLike<number>,
    options: { temperature?: number } = {},
  ): Float32Array {
    const fn = 'NeuralLM.nextWordProbs';
    const ctx = this.contextIds(fn, context);
    const temp = options.temperature ?? 1;
    if (typeof temp !== 'number' || !(temp > 0) || !Number.isFinite(temp))
      throw new ArgumentError(`${fn}: options.temperature must be a finite number > 0, got ${String(temp)}`);
    const ids = Tensor.fromArray(ctx, [1, this.config.context], 'int32');
    const wasTraining = this.training;
    this.eval();
    try {
      return step(() =>
        noGrad(() => {
          let logits = this.forward(ids);
          if (temp !== 1) logits = F.scale(logits, 1 / temp);
          const p = sm.softmax(logits.value);
          try {
            return p.toArray() as Float32Array;
          } finally {
            p.dispose();
          }
        }),
      );
    } finally {
      ids.dispose();
      this.train(wasTraining);
    }
  }

  /** The k most probable next words after `context`, best first. */
  topNext(context: string | readonly string[] | ArrayLike<number>, k = 10): NextWord[] {
    const fn = 'NeuralLM.topNext';
    const { vocab } = this.needVocab(fn);
    intIn(fn, 'k', k, 1);
    const p = this.nextWordProbs(context);
    const order = [...p.keys()]
      .filter((i) => i !== this.config.bos)
      .sort((a, b) => p[b]! - p[a]! || a - b)
      .slice(0, k);
    return order.map((id) => ({ word: vocab[id]!, id, prob: p[id]! }));
  }

  /** Sample `length` words after `prompt` (words, text or ids), seeded. */
  generate(prompt: string | readonly string[] | ArrayLike<number>, options: GenerateOptions = {}): string[] {
    const fn = 'NeuralLM.generate';
    const { vocab } = this.needVocab(fn);
    const length = intIn(fn, 'options.length', options.length ?? 20, 0);
    const topK = intIn(fn, 'options.topK', options.topK ?? 0, 0);
    const seed = intIn(fn, 'options.seed', options.seed ?? 0, 0);
    const allowUnk = bool(fn, 'options.allowUnk', options.allowUnk ?? false);
    const hist = Array.from(this.contextIds(fn, prompt));
    const rng = new Philox(seed, SAMPLE_STREAM, 0);
    const out: string[] = [];
    for (let t = 0; t < length; t++) {
      const p = this.nextWordProbs(hist.slice(hist.length - this.config.context), {
        temperature: options.temperature ?? 1,
      });
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
      hist.push(pick);
      out.push(vocab[pick]!);
    }
    return out;
  }

  /** The k words whose embeddings have the highest cosine with `word`'s (bos and the word itself excluded). */
  mostSimilar(word: string, k = 10): { word: string; similarity: number }[] {
    const fn = 'NeuralLM.mostSimilar';
    const { vocab, index } = this.needVocab(fn);
    intIn(fn, 'k', k, 1);
    if (!index.has(word)) throw new VocabError(`${fn}: word must be in the vocabulary, got ${JSON.stringify(word)}`);
    const wv = new WordVectors(vocab, this.config.embeddingDim, this.embeddings.weight.value.view() as Float32Array, {
      skipRows: [this.config.bos],
      name: fn,
    });
    return wv.mostSimilar(word, k).map((n) => ({ word: n.word, similarity: n.score }));
  }

  /** The config as checkpoints record it. */
  configJson(): string {
    return JSON.stringify(this.config);
  }

  /**
   * Train on a stream of word ids: each step takes `batchSize` positions of a
   * seeded shuffle of all positions (every token predicted once per epoch).
   * With `valid`, after each epoch: validation perplexity; no improvement →
   * learning rate × `lrDecay`, and after `patience` such epochs in a row, stop;
   * the best epoch's weights are restored at the end (`restoreBest`).
   */
  async fit(train: Int32Array, options: NeuralLMFitOptions = {}): Promise<NeuralLMFitResult> {
    const fn = 'NeuralLM.fit';
    checkOptionKeys(fn, options, FIT_KEYS);
    this.checkStream(fn, 'train', train);
    if (train.length === 0) throw new ArgumentError(`${fn}: train must hold at least one token, got 0`);
    const valid = options.valid === undefined ? undefined : this.checkStream(fn, 'options.valid', options.valid);
    if (valid !== undefined && valid.length === 0)
      throw new ArgumentError(`${fn}: options.valid must hold at least one token, got 0`);
    const { settings, batchSize, fit } = fitSettings(fn, options, valid !== undefined);
    const fitMeta = {
      ...fit,
      tokens: idsHash([{ ids: train }]),
      valid: valid === undefined ? null : idsHash([{ ids: valid }]),
    };
    const r = await runLoop(fn, this.streamTask(train, valid, batchSize, fitMeta), settings);
    const { steps, epochs, seconds, stopped, aborted } = r;
    const result: NeuralLMFitResult = {
      steps,
      epochs,
      seconds,
      stopped,
      aborted,
      history: r.history as NeuralLMEpoch[],
    };
    if (r.best !== undefined) {
      result.bestValidPerplexity = r.best;
      result.bestEpoch = r.bestEpoch!;
    }
    return result;
  }

  /** The loop's view of a stream: batches of `B` positions of a seeded shuffle, predicted from their contexts. */
  private streamTask(
    train: Int32Array,
    valid: Int32Array | undefined,
    B: number,
    fitMeta: Record<string, unknown>,
  ): TrainTask {
    const N = train.length,
      ctxLen = this.config.context;
    // the full-batch tensors are made at the first step, so a fit that fails before it (a resume check) holds none
    let idsT: Tensor | null = null;
    let tgT: Tensor | null = null;
    let perm: Int32Array = new Int32Array(0);
    let spare: Tensor[] = []; // the last batch's short tensors, alive until its backward ran
    return {
      model: this,
      stepsPerEpoch: Math.ceil(N / B),
      fitMeta,
      metaNames: { tokens: 'train (the hash of its ids)', valid: 'options.valid (the hash of its ids)' },
      beginEpoch: (counter) => {
        const r = shuffledPositions(N, this.config.seed, counter);
        perm = r.perm;
        return r.counter;
      },
      batchLoss: (b) => {
        for (const t of spare) t.dispose();
        spare = [];
        const s = b * B,
          e = Math.min(N, s + B),
          n = e - s;
        let ids: Tensor, tg: Tensor;
        if (n === B) {
          ids = idsT ??= Tensor.zeros([B, ctxLen], 'int32');
          tg = tgT ??= Tensor.zeros([B], 'int32');
        } else {
          spare.push((ids = Tensor.zeros([n, ctxLen], 'int32')));
          spare.push((tg = Tensor.zeros([n], 'int32')));
        }
        (ids.view() as Int32Array).set(this.contexts(train, perm, s, e));
        const tv = tg.view() as Int32Array;
        for (let i = 0; i < n; i++) tv[i] = train[perm[s + i]!]!;
        return { loss: this.loss(ids, tg), items: n };
      },
      validate: valid === undefined ? undefined : () => ({ validPerplexity: this.evaluate(valid).perplexity }),
      dispose: () => {
        for (const t of [idsT, tgT, ...spare]) t?.dispose();
        idsT = tgT = null;
        spare = [];
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
  static fromSafetensors(bytes: Uint8Array): NeuralLM {
    const fn = 'NeuralLM.fromSafetensors';
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
      const c = resolveNeuralLMConfig(config as unknown as NeuralLMConfig);
      const r = vocab === undefined ? null : checkVocab(vocab, c.vocabSize);
      if (r !== null && !(r instanceof Map))
        throw new FormatError(
          `${fn}: bytes at offset 8 must be a header whose "${VOCAB_KEY}" is the model's vocabulary: vocab${r.must}, got ${r.got}`,
        );
      return new NeuralLM(c, vocab);
    });
  }
}
