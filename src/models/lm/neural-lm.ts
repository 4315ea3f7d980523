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
import { ArgumentError, VocabError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { Parameter } from '../../autograd/parameter.js';
import * as sm from '../../ops/softmax.js';
import * as F from '../../autograd/functional.js';
import { noGrad, step, type Variable } from '../../autograd/tape.js';
import { Initializer, Module, building, Dropout } from '../../nn/module.js';
import { Embedding, Linear } from '../../nn/layers.js';
import { WordVectors } from '../vectors/word-vectors.js';
import { shuffledPositions } from '../../train/batches.js';
import { runLoop, type TrainTask } from '../../train/loop.js';
import { LM_FIT_KEYS, lmFitResult, lmFitSettings, STREAM_META_NAMES, streamHashes } from './fit.js';
import type { LMEpoch, LMFitOptions, LMFitResult } from './fit.js';
import { WordLM, bool, intIn, loadWordLM, vocabIndex } from './words.js';

export type { GenerateOptions, NextWord } from './words.js';

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
export interface NeuralLMFitOptions extends LMFitOptions {
  /** Positions (predicted tokens) per step; default 256. */
  batchSize?: number;
  /** Adam learning rate; default 1e-3. */
  lr?: number;
  /** Global-norm gradient clipping; 0 = off (default). */
  clip?: number;
}

/** One epoch of `NeuralLM.fit`: training loss, learning rate, validation perplexity, time. */
export interface NeuralLMEpoch extends LMEpoch {
  /** Mean training cross-entropy of the epoch (nats, dropout on). */
  loss: number;
}

/** What `NeuralLM.fit` returns: steps, epochs, time, whether training stopped early, the best validation perplexity, the epochs' history. */
export interface NeuralLMFitResult extends LMFitResult {
  history: NeuralLMEpoch[];
}

const KIND = 'NeuralLM';
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

/**
 * Bengio et al.'s MLP language model. Parameters (names as in saved files):
 * `embeddings.weight` [V, m], `hidden.weight` [h, context·m], `hidden.bias` [h],
 * `output.weight` [V, h] (absent when tied), `output.bias` [V],
 * `direct.weight` [V, context·m] (with `direct`).
 *
 * Initialisation from `config.seed`: embeddings U(−0.1, 0.1), the linear
 * layers PyTorch's default U(±1/√in), the output bias 0.
 */
export class NeuralLM extends WordLM {
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

  constructor(config: NeuralLMConfig, vocab?: readonly string[]) {
    super();
    const c = (this.config = resolveNeuralLMConfig(config));
    // everything checked before anything is allocated
    const words = vocab === undefined ? null : vocabIndex(KIND, vocab, c.vocabSize);
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
    this.initialise(c.seed, words);
  }

  override resetParameters(seed: number): this {
    super.resetParameters(seed);
    const init = new Initializer(seed);
    init.uniform(this.embeddings.weight, 'embeddings.weight', 0.1);
    if (this.output?.bias) init.fill(this.output.bias, 0);
    if (this.direct?.bias) init.fill(this.direct.bias, 0);
    return this;
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

  /** The last `config.context` ids of `ids`, bos-padded on the left when it is shorter. */
  private window(ids: ArrayLike<number>): Int32Array {
    const C = this.config.context;
    const out = new Int32Array(C).fill(this.config.bos);
    const n = ids.length;
    for (let j = 0; j < Math.min(C, n); j++) out[C - 1 - j] = ids[n - 1 - j]!;
    return out;
  }

  /** The distribution of the next word [V] after the context window `ctx` [context] at `temperature` (eval mode). */
  private windowProbs(ctx: Int32Array, temperature: number): Float32Array {
    const ids = Tensor.fromArray(ctx, [1, this.config.context], 'int32');
    const wasTraining = this.training;
    this.eval();
    try {
      return step(() =>
        noGrad(() => {
          let logits = this.forward(ids);
          if (temperature !== 1) logits = F.scale(logits, 1 / temperature);
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

  /** Only the last `config.context` ids of the context and of what follows count (bos-padded). */
  protected continuation<T>(
    context: Int32Array,
    temperature: number,
    use: (next: (id?: number) => Float32Array) => T,
  ): T {
    const hist = Array.from(this.window(context));
    return use((id) => {
      if (id !== undefined) hist.push(id);
      return this.windowProbs(this.window(hist), temperature);
    });
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

  /**
   * Train on a stream of word ids: each step takes `batchSize` positions of a
   * seeded shuffle of all positions (every token predicted once per epoch).
   * With `valid`, after each epoch: validation perplexity; no improvement →
   * learning rate × `lrDecay`, and after `patience` such epochs in a row, stop;
   * the best epoch's weights are restored at the end (`restoreBest`).
   */
  async fit(train: Int32Array, options: NeuralLMFitOptions = {}): Promise<NeuralLMFitResult> {
    const fn = 'NeuralLM.fit';
    const defaults = { batchSize: 256, lr: 1e-3, clip: 0 };
    const { settings, valid, fit } = lmFitSettings(fn, this, train, options, LM_FIT_KEYS, defaults);
    if (train.length === 0) throw new ArgumentError(`${fn}: train must hold at least one token, got 0`);
    const r = await runLoop(fn, this.streamTask(train, valid, fit), settings);
    return lmFitResult(r, {});
  }

  /** The loop's view of a stream: batches of `B` positions of a seeded shuffle, predicted from their contexts. */
  private streamTask(train: Int32Array, valid: Int32Array | undefined, fit: { batchSize: number }): TrainTask {
    const B = fit.batchSize;
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
      fitMeta: { ...fit, ...streamHashes(train, valid) },
      metaNames: STREAM_META_NAMES,
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

  /** A model from `toSafetensors` bytes (in eval mode). */
  static fromSafetensors(bytes: Uint8Array): NeuralLM {
    return loadWordLM(
      'NeuralLM.fromSafetensors',
      bytes,
      KIND,
      (config) => resolveNeuralLMConfig(config as unknown as NeuralLMConfig),
      (c, vocab) => new NeuralLM(c, vocab),
    );
  }
}
