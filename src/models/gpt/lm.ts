/**
 * GptLM: a word-level causal Transformer language model (a small GPT-2 over a
 * word vocabulary such as NeuralLM's), so its perplexities compare with
 * KneserNey, NeuralLM and LstmLM on the same stream. The network is GPT2Model
 * (`transformer.*`, Hugging Face's names) with the output layer tied to `wte`.
 *
 * Training (`fit`, through the one training loop): each epoch cuts the stream,
 * from a seeded random shift, into windows of `context` inputs and their
 * `context` next-token targets, shuffles the windows and trains on batches of
 * them; the loss is the mean cross-entropy over every position of the batch.
 * Scoring (`tokenLosses`) slides windows of `context` tokens by `stride`, so
 * every token is scored once from at least `context − stride` tokens before it
 * (all of them near the start).
 */
import { describe } from '../../core/check.js';
import { ArgumentError } from '../../core/errors.js';
import { Philox } from '../../core/rng.js';
import { Tensor } from '../../core/tensor.js';
import * as F from '../../autograd/functional.js';
import { noGrad, step, type Variable } from '../../autograd/tape.js';
import { building } from '../../nn/module.js';
import * as sm from '../../ops/softmax.js';
import { LM_SHUFFLE_STREAM } from '../../train/batches.js';
import { earlyStopping, restoreBest } from '../../train/hooks.js';
import { runLoop, type TrainTask } from '../../train/loop.js';
import { linearWarmupDecay } from '../../optim/schedule.js';
import { LM_FIT_KEYS, lmFitResult, lmFitSettings, STREAM_META_NAMES, streamHashes } from '../lm/fit.js';
import type { LMEpoch, LMFitOptions, LMFitResult } from '../lm/fit.js';
import { WordLM, intIn, loadWordLM, vocabIndex } from '../lm/words.js';
import { type GPT2Config, gpt2Config } from './config.js';
import type { CausalLM } from './generate.js';
import { GPT2Model, gpt2Init } from './modeling.js';
import { GPT2Session, type SessionOptions } from './session.js';

/** GptLM's configuration: GPT2Config's fields (camelCase; vocabSize required) plus the word-LM ids and the seed. */
export interface GptLMConfig extends Partial<GPT2Config> {
  vocabSize: number;
  /** Id of unknown words; default 0. */
  unk?: number;
  /** The first input of a stream (never a target); default 1. */
  bos?: number;
  /** Initialisation, dropout masks and shuffling derive from it; default 0. */
  seed?: number;
}

/** A GptLMConfig with every default filled in (GPT-2's defaults, except 256 positions and 0.1 dropouts). */
export type ResolvedGptLMConfig = GPT2Config & { unk: number; bos: number; seed: number };

/** Options of `GptLM.fit`: LMFitOptions (batchSize default 16, lr 1e-3, clip 1) plus the window and the schedule. */
export interface GptLMFitOptions extends LMFitOptions {
  /** Inputs per training window; default config.nPositions. */
  context?: number;
  /** Linear warm-up over this many steps, then linear decay to 0 over the run (as BERT's fit); 0 = a constant rate with the plateau decay of LMFitOptions (default). */
  warmupSteps?: number;
  /** Stride of the validation windows (`tokenLosses`); default context / 2. */
  evalStride?: number;
  /** Windows per validation batch; default 16. */
  evalBatchSize?: number;
}

/** How `tokenLosses` / `evaluate` window a stream: `context` inputs (default nPositions), sliding by `stride` (default context / 2), `batchSize` windows per forward (default 16). */
export interface GptLMScoringOptions {
  batchSize?: number;
  context?: number;
  stride?: number;
}

/** One epoch of GptLM.fit. */
export type GptLMEpoch = LMEpoch;

/** GptLM.fit's result: the loop's figures plus the tokens (targets) trained per epoch. */
export interface GptLMFitResult extends LMFitResult {
  tokensPerEpoch: number;
}

const KIND = 'GptLM';
const FIT_KEYS = [...LM_FIT_KEYS, 'context', 'warmupSteps', 'evalStride', 'evalBatchSize'];
const CONFIG_KEYS = new Set([
  'vocabSize',
  'nPositions',
  'nEmbd',
  'nLayer',
  'nHead',
  'nInner',
  'activationFunction',
  'residPdrop',
  'embdPdrop',
  'attnPdrop',
  'layerNormEpsilon',
  'initializerRange',
  'bosTokenId',
  'eosTokenId',
  'positionEmbeddingType',
  'unk',
  'bos',
  'seed',
]);

/** Checks a GptLMConfig and fills in the defaults. */
export function resolveGptLMConfig(config: GptLMConfig): ResolvedGptLMConfig {
  const fn = 'GptLM';
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ArgumentError(`${fn}: config must be an object with vocabSize, got ${describe(config)}`);
  for (const k of Object.keys(config))
    if (!CONFIG_KEYS.has(k))
      throw new ArgumentError(
        `${fn}: config.${k} must be one of the GptLMConfig keys (${[...CONFIG_KEYS].join(', ')}), got ${k}`,
      );
  const V = intIn(fn, 'config.vocabSize', config.vocabSize, 2);
  const unk = intIn(fn, 'config.unk', config.unk ?? 0, 0, V - 1);
  const bos = intIn(fn, 'config.bos', config.bos ?? 1, 0, V - 1);
  if (unk === bos) throw new ArgumentError(`${fn}: config.bos must differ from config.unk (${unk}), got ${bos}`);
  const seed = intIn(fn, 'config.seed', config.seed ?? 0, 0);
  const { unk: _u, bos: _b, seed: _s, ...rest } = config;
  const g = gpt2Config(
    {
      nPositions: 256,
      nEmbd: 256,
      nLayer: 4,
      nHead: 4,
      residPdrop: 0.1,
      embdPdrop: 0.1,
      attnPdrop: 0.1,
      ...rest,
      bosTokenId: rest.bosTokenId ?? bos,
      eosTokenId: rest.eosTokenId ?? bos,
    },
    fn,
  );
  return { ...g, unk, bos, seed };
}

/** Cuts N targets into windows of S inputs sliding by `stride`: [start, first scored target offset) pairs. */
function windows(N: number, S: number, stride: number): { start: number; from: number }[] {
  const out: { start: number; from: number }[] = [];
  let end = 0; // targets 1..end are scored
  for (let a = 0; end < N; a += stride) {
    const start = Math.max(0, Math.min(a, N - S));
    out.push({ start, from: end - start }); // targets start+1 .. start+S; score those > end
    end = start + Math.min(S, N);
  }
  return out;
}

/**
 * A causal Transformer LM over word ids: GPT2Model (`transformer`) with the
 * output layer tied to the token embeddings (no output bias, as GPT-2).
 */
export class GptLM extends WordLM implements CausalLM {
  readonly config: ResolvedGptLMConfig;
  readonly kind = KIND;
  readonly transformer: GPT2Model;

  constructor(config: GptLMConfig, vocab?: readonly string[]) {
    super();
    const c = (this.config = resolveGptLMConfig(config));
    const words = vocab === undefined ? null : vocabIndex(KIND, vocab, c.vocabSize);
    this.transformer = building(() => new GPT2Model(c));
    this.addModule('transformer', this.transformer);
    this.initialise(c.seed, words);
  }

  override resetParameters(seed: number): this {
    super.resetParameters(seed);
    gpt2Init(this, seed, this.config);
    return this;
  }

  /** Logits [B·S, V] (row b·S + t: the token after ids[b, t]) of ids int32 [B, S] (alive until backward; not checked: internal callers check streams). */
  forward(ids: Tensor): Variable {
    const [B, S] = ids.shape as [number, number];
    const h = F.reshape(this.transformer.forward(ids), [B * S, this.config.nEmbd]);
    return F.linear(h, this.transformer.wte.weight);
  }

  /**
   * −ln P of every token of `stream` (eval mode, no gradients): the stream with
   * `bos` before it, in windows of `context` inputs (default nPositions)
   * sliding by `stride` (default context / 2), `batchSize` windows (default
   * 16) per forward; each token is scored once, in the first window that
   * predicts it after the previous window's last scored token.
   */
  tokenLosses(stream: Int32Array, options: GptLMScoringOptions = {}): Float64Array {
    const fn = 'GptLM.tokenLosses';
    this.checkStream(fn, 'stream', stream);
    const N = stream.length;
    const c = this.config;
    const ctx = intIn(fn, 'options.context', options.context ?? c.nPositions, 1, c.nPositions);
    const stride = intIn(fn, 'options.stride', options.stride ?? Math.max(1, ctx >> 1), 1, ctx);
    const B = intIn(fn, 'options.batchSize', options.batchSize ?? 16, 1);
    const out = new Float64Array(N);
    if (N === 0) return out;
    const S = Math.min(ctx, N);
    const src = new Int32Array(N + 1);
    src[0] = c.bos;
    src.set(stream, 1);
    const win = windows(N, S, stride);
    const wasTraining = this.training;
    this.eval();
    try {
      for (let w0 = 0; w0 < win.length; w0 += B) {
        const part = win.slice(w0, w0 + B);
        const nb = part.length;
        const idv = new Int32Array(nb * S),
          tgv = new Int32Array(nb * S);
        for (let r = 0; r < nb; r++) {
          const { start } = part[r]!;
          idv.set(src.subarray(start, start + S), r * S);
          tgv.set(src.subarray(start + 1, start + S + 1), r * S);
        }
        step(() =>
          noGrad(() => {
            const ids = Tensor.fromArray(idv, [nb, S], 'int32');
            const tg = Tensor.fromArray(tgv, [nb * S], 'int32');
            try {
              const res = sm.softmaxXent(this.forward(ids).value, tg);
              try {
                const rl = res.rowLoss.view() as Float32Array;
                for (let r = 0; r < nb; r++) {
                  const { start, from } = part[r]!;
                  for (let t = from; t < S; t++) out[start + t] = rl[r * S + t]!;
                }
              } finally {
                res.rowLoss.dispose();
                res.lse.dispose();
              }
            } finally {
              ids.dispose();
              tg.dispose();
            }
          }),
        );
      }
    } finally {
      this.train(wasTraining);
    }
    return out;
  }

  /** Mean cross-entropy and perplexity over every token of `stream`, scored as `tokenLosses` (its windows and batch). */
  override evaluate(
    stream: Int32Array,
    options: GptLMScoringOptions = {},
  ): { loss: number; perplexity: number; n: number } {
    return super.evaluate(stream, options);
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get maxLength(): number {
    return this.config.nPositions;
  }

  /** Sessions slide their window past nPositions: generate / stream are not bounded by maxLength. */
  readonly slides = true;

  /**
   * A decoding session (batch 1) over word ids: `feed(ids)` returns the logits of the
   * next word; KV-cached unless `useCache: false`; `slide` (default true here) keeps
   * the last nPositions / 2 words when the window is full, as the training windows
   * start afresh. For `generate` / `stream` of ./generate.js.
   */
  startSession(options: SessionOptions = {}): GPT2Session {
    return new GPT2Session(this.transformer, { slide: true, ...options });
  }

  /** The context from `bos` through a KV-cached session that slides when the window is full. */
  protected continuation<T>(
    context: Int32Array,
    temperature: number,
    use: (next: (id?: number) => Float32Array) => T,
  ): T {
    const session = this.startSession();
    const probs = (logits: Float32Array) =>
      step(() => {
        const t = Tensor.fromArray(logits, [1, logits.length]);
        try {
          const scaled = temperature === 1 ? t : F.scale(t, 1 / temperature).value;
          const p = sm.softmax(scaled);
          try {
            return p.toArray() as Float32Array;
          } finally {
            p.dispose();
          }
        } finally {
          t.dispose();
        }
      });
    try {
      return use((id) => {
        if (id !== undefined) return probs(session.feed(Int32Array.of(id)));
        const first = new Int32Array(context.length + 1);
        first[0] = this.config.bos;
        first.set(context, 1);
        const keep = first.subarray(Math.max(0, first.length - this.config.nPositions));
        return probs(session.feed(keep));
      });
    } finally {
      session.dispose();
    }
  }

  /**
   * Train on a stream of word ids (see the file comment): windows of `context`
   * inputs, `batchSize` windows per step, AdamW; with `warmupSteps` a linear
   * warm-up then linear decay, else a constant rate decayed on validation
   * plateaus (LMFitOptions). With `valid`: perplexity after each epoch
   * (`tokenLosses` with `evalStride`), early stopping and the best epoch's weights.
   */
  async fit(train: Int32Array, options: GptLMFitOptions = {}): Promise<GptLMFitResult> {
    const fn = 'GptLM.fit';
    const c = this.config;
    const defaults = { batchSize: 16, lr: 1e-3, clip: 1 };
    const { settings, valid, fit } = lmFitSettings(fn, this, train, options, FIT_KEYS, defaults);
    const S = intIn(fn, 'options.context', options.context ?? c.nPositions, 1, c.nPositions);
    const warmup = intIn(fn, 'options.warmupSteps', options.warmupSteps ?? 0, 0);
    const evalStride = intIn(fn, 'options.evalStride', options.evalStride ?? Math.max(1, S >> 1), 1, S);
    const evalB = intIn(fn, 'options.evalBatchSize', options.evalBatchSize ?? 16, 1);
    const B = fit.batchSize;
    const N = train.length;
    const nWin = Math.floor((N - S + 1) / S);
    if (nWin < B)
      throw new ArgumentError(
        `${fn}: train must hold at least options.batchSize (${B}) windows of options.context (${S}) tokens, ` +
          `i.e. ${B * S + S - 1} tokens, got ${N}`,
      );
    if (warmup > 0) {
      settings.schedule = (total) => linearWarmupDecay({ warmupSteps: Math.min(warmup, total), totalSteps: total });
      settings.hooks =
        valid === undefined
          ? []
          : [earlyStopping({ patience: fit.patience }), ...((options.restoreBest ?? true) ? [restoreBest()] : [])];
    }
    const fitMeta = {
      ...fit,
      context: S,
      warmupSteps: warmup,
      evalStride,
      evalBatchSize: evalB,
      ...streamHashes(train, valid),
    };
    const src = new Int32Array(N + 1);
    src[0] = c.bos;
    src.set(train, 1);
    let shift = 0;
    let order = new Int32Array(0);
    let idsT: Tensor | null = null;
    let tgT: Tensor | null = null;
    const task: TrainTask = {
      model: this,
      stepsPerEpoch: Math.floor(nWin / B),
      fitMeta,
      metaNames: STREAM_META_NAMES,
      beginEpoch: (counter) => {
        const rng = new Philox(c.seed, LM_SHUFFLE_STREAM, counter);
        shift = Math.floor(rng.nextFloat() * S);
        order = rng.shuffle(Int32Array.from({ length: nWin }, (_, i) => i));
        return rng.counter;
      },
      batchLoss: (b) => {
        idsT ??= Tensor.zeros([B, S], 'int32');
        tgT ??= Tensor.zeros([B * S], 'int32');
        const iv = idsT.view() as Int32Array,
          tv = tgT.view() as Int32Array;
        for (let r = 0; r < B; r++) {
          const start = shift + order[b * B + r]! * S;
          iv.set(src.subarray(start, start + S), r * S);
          tv.set(src.subarray(start + 1, start + S + 1), r * S);
        }
        return { loss: F.crossEntropy(this.forward(idsT), tgT), items: B * S };
      },
      validate:
        valid === undefined
          ? undefined
          : () => {
              return {
                validPerplexity: this.evaluate(valid, { batchSize: evalB, context: S, stride: evalStride }).perplexity,
              };
            },
      dispose: () => {
        idsT?.dispose();
        tgT?.dispose();
        idsT = tgT = null;
      },
    };
    const r = await runLoop(fn, task, settings);
    return lmFitResult(r, { tokensPerEpoch: task.stepsPerEpoch * B * S });
  }

  /** A model from `toSafetensors` bytes (in eval mode). */
  static fromSafetensors(bytes: Uint8Array): GptLM {
    return loadWordLM(
      'GptLM.fromSafetensors',
      bytes,
      KIND,
      (config) => resolveGptLMConfig(config as unknown as GptLMConfig),
      (cfg, vocab) => new GptLM(cfg, vocab),
    );
  }
}
