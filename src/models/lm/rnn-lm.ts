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
import { ArgumentError, ShapeError, formatShape } from '../../core/errors.js';
import { WASM32_MAX_BYTES } from '../../core/memory.js';
import { Tensor } from '../../core/tensor.js';
import { Parameter } from '../../autograd/parameter.js';
import * as sm from '../../ops/softmax.js';
import * as F from '../../autograd/functional.js';
import { noGrad, step, type Variable } from '../../autograd/tape.js';
import { Initializer, Module, building, Dropout } from '../../nn/module.js';
import { Embedding, Linear } from '../../nn/layers.js';
import { LSTM } from '../../nn/rnn.js';
import { runLoop, type TrainTask } from '../../train/loop.js';
import { LM_FIT_KEYS, lmFitResult, lmFitSettings, STREAM_META_NAMES, streamHashes } from './fit.js';
import type { LMEpoch, LMFitOptions, LMFitResult } from './fit.js';
import { WordLM, bool, intIn, loadWordLM, vocabIndex } from './words.js';

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
export interface LstmLMFitOptions extends LMFitOptions {
  /** Parallel streams the training stream is cut into (the batch); default 20. */
  batchSize?: number;
  /** Tokens of every stream per step (the truncation length of back-propagation through time); default 35. */
  bptt?: number;
  /** AdamW learning rate; default 2e-3. */
  lr?: number;
  /** Global-norm gradient clipping; 0 = off; default 1. */
  clip?: number;
  /** Parallel streams of the validation evaluation (`evaluate`'s batchSize); default 10. */
  evalBatchSize?: number;
  /**
   * Called with checkpoint bytes at each epoch end (`epoch` = epochs done, `epochEnd` true) and every
   * `checkpointEvery` steps within an epoch (`epoch` = the 1-based epoch under way); awaited. A
   * checkpoint within an epoch holds the carried LSTM state.
   */
  onCheckpoint?: LMFitOptions['onCheckpoint'];
}

/** One epoch of `LstmLM.fit`: training loss, learning rate, validation perplexity, time. */
export interface LstmLMEpoch extends LMEpoch {
  /** Mean over the epoch's steps of their mean training cross-entropy (nats, dropout on). */
  loss: number;
}

/** What `LstmLM.fit` returns: steps, epochs, time, whether training stopped early, the best validation perplexity, the epochs' history. */
export interface LstmLMFitResult extends LMFitResult {
  /** Tokens predicted per epoch: batchSize × floor(train.length / batchSize). */
  tokensPerEpoch: number;
  history: LstmLMEpoch[];
}

/** The LSTM state between two segments: h and c [layers, batch, hidden]. */
export interface LstmLMState {
  h: Tensor;
  c: Tensor;
}

const KIND = 'LstmLM';
/** Rows (batch × time steps) of one evaluation chunk at most: bounds the logits buffer to 1024 × vocabSize floats. */
const EVAL_ROWS = 1024;
/** Time steps of one evaluation chunk at most. */
const EVAL_STEPS = 64;
const CONFIG_KEYS = ['vocabSize', 'embeddingDim', 'hidden', 'layers', 'dropout', 'tied', 'unk', 'bos', 'seed'];
const FIT_KEYS = [...LM_FIT_KEYS, 'bptt', 'evalBatchSize'];

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
export class LstmLM extends WordLM {
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
  /** `perplexity` reads the text in one pass (unlimited history). */
  protected override readonly perplexityBatch = 1;

  constructor(config: LstmLMConfig, vocab?: readonly string[]) {
    super();
    const c = (this.config = resolveLstmLMConfig(config));
    // everything checked before anything is allocated
    const words = vocab === undefined ? null : vocabIndex(KIND, vocab, c.vocabSize);
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
    this.initialise(c.seed, words);
  }

  override resetParameters(seed: number): this {
    super.resetParameters(seed);
    const init = new Initializer(seed);
    init.uniform(this.embedding.weight, 'embedding.weight', 0.1);
    if (this.decoder !== null) init.uniform(this.decoder.weight, 'decoder.weight', 0.1);
    init.fill(this.decoderBias, 0);
    return this;
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

  /** The state is carried: all of the context and of what follows counts, read from `bos`. */
  protected continuation<T>(
    context: Int32Array,
    temperature: number,
    use: (next: (id?: number) => Float32Array) => T,
  ): T {
    return this.withState((carry) =>
      use((id) => {
        if (id !== undefined) return this.advance(Int32Array.of(id), carry, temperature);
        const first = new Int32Array(context.length + 1);
        first[0] = this.config.bos;
        first.set(context, 1);
        return this.advance(first, carry, temperature);
      }),
    );
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
    const defaults = { batchSize: 20, lr: 2e-3, clip: 1 };
    const { settings, valid, fit } = lmFitSettings(fn, this, train, options, FIT_KEYS, defaults);
    const bptt = intIn(fn, 'options.bptt', options.bptt ?? 35, 1);
    const evalBatchSize = intIn(fn, 'options.evalBatchSize', options.evalBatchSize ?? 10, 1);
    const { epochs, batchSize, lr, weightDecay, clip, patience, lrDecay } = fit;
    if (train.length < batchSize)
      throw new ArgumentError(
        `${fn}: train must hold at least options.batchSize (${batchSize}) tokens (one per parallel stream), got ${train.length}`,
      );
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
      ...streamHashes(train, valid),
    };
    const task = this.bpttTask(fn, train, valid, batchSize, bptt, evalBatchSize, fitMeta);
    const r = await runLoop(fn, task, settings);
    return lmFitResult(r, { tokensPerEpoch: batchSize * Math.floor(train.length / batchSize) });
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
      metaNames: STREAM_META_NAMES,
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

  /** A model from `toSafetensors` bytes (in eval mode). */
  static fromSafetensors(bytes: Uint8Array): LstmLM {
    return loadWordLM(
      'LstmLM.fromSafetensors',
      bytes,
      KIND,
      (config) => resolveLstmLMConfig(config as unknown as LstmLMConfig),
      (c, vocab) => new LstmLM(c, vocab),
    );
  }
}
