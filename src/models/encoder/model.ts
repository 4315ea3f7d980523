/**
 * The part TextClassifier and SequenceTagger share: the configuration, the
 * embeddings (+ fastText-style sub-word features) → an encoder (Transformer, LSTM,
 * GRU or CNN; src/models/encoder/encoders.ts) with a `classifier` head, input validation with typed errors, and the assembly of
 * padded batches (ids, key-padding mask, sub-word ids and their mask).
 * Everything here runs in every runtime (no node:*).
 */
import { ArgumentError, VocabError } from '../../core/errors.js';
import { encodeSafetensors } from '../../io/safetensors.js';
import { CONFIG_KEY, MODEL_KEY } from '../../io/saved-model.js';
import type { Unit } from '../../train/batches.js';
import { Tensor } from '../../core/tensor.js';
import { noGrad, tape, type Variable } from '../../autograd/tape.js';
import * as F from '../../autograd/functional.js';
import { Module, Dropout, building } from '../../nn/module.js';
import { Embedding, Linear } from '../../nn/layers.js';
import { WASM32_MAX_BYTES } from '../../core/memory.js';
import { TransformerEmbeddings, TransformerEncoder } from '../../nn/transformer.js';
import { ConvEncoder, RecurrentEncoder, type EncoderKind } from './encoders.js';

export type { EncoderKind } from './encoders.js';

/** The encoder's configuration: vocabulary, encoder kind, width, layers, heads, feed-forward, dropout, positions, sub-word buckets. */
export interface EncoderModelConfig {
  /** Token ids are in [0, vocabSize); id `padId` is padding. */
  vocabSize: number;
  /**
   * What follows the embeddings: 'transformer' (self-attention, the default), 'lstm' or 'gru'
   * (recurrent, `bidirectional` by default) or 'cnn' (stacked 1-D convolutions of width `kernelSize`).
   */
  encoder?: EncoderKind;
  /** Embedding (and Transformer) width; default 128. */
  dim?: number;
  /** Encoder layers; default 2. */
  layers?: number;
  /** Recurrent hidden size per direction, or convolution channels; default dim. Unused by the Transformer. */
  hidden?: number;
  /** Recurrent encoders: read the sequence in both directions (outputs concatenated); default true. */
  bidirectional?: boolean;
  /** CNN encoder: convolution width (odd widths centre the window); default 3. */
  kernelSize?: number;
  /** Transformer: attention heads (dim must be a multiple); default 4. */
  heads?: number;
  /** Transformer: feed-forward width; default 4 · dim. */
  ffn?: number;
  /** Longest input; longer classifier inputs keep their first maxLen tokens, tagger inputs are cut in chunks of maxLen. Default 512. */
  maxLen?: number;
  /** Transformer: layer norm before or after each sub-layer; default 'pre'. */
  norm?: 'pre' | 'post';
  /** Position information added to the embeddings; default 'learned' for the Transformer, 'none' for the others (rotary: Transformer only). */
  positions?: 'learned' | 'sinusoidal' | 'rotary' | 'none';
  /** Transformer: feed-forward activation; default 'gelu'. */
  activation?: 'gelu' | 'relu';
  /** On the embeddings and inside the encoder (between recurrent layers, after each convolution); default 0.1. */
  dropout?: number;
  /** Transformer: on the attention probabilities; default 0.1. */
  attentionDropout?: number;
  /** Default 0. */
  padId?: number;
  /** Initialisation, dropout and shuffling all derive from it; default 0. */
  seed?: number;
  /** fastText-style sub-word features: each token's embedding += the mean of its n-gram bucket embeddings (`subwordBuckets` rows). 0 = off (default). */
  subwordBuckets?: number;
}

/** How a classifier pools the encoder's outputs: mean, max (over time), the first token, or the last state (recurrent encoders: both directions' final states). */
export type Pooling = 'mean' | 'max' | 'first' | 'last';

/** An EncoderModelConfig with every default filled in. */
export type ResolvedEncoderConfig = Required<EncoderModelConfig>;

/** One input sequence: token ids and, with subwordBuckets, the n-gram bucket ids of each token. */
export interface SequenceInput {
  ids: ArrayLike<number>;
  subwords?: ArrayLike<number>[];
}

export type { Unit } from '../../train/batches.js';

/** A padded batch: the caller owns the tensors (or they are tape-owned when made with `own`). */
export interface PaddedBatch {
  B: number;
  S: number;
  ids: Tensor;
  mask: Tensor;
  /** [B·S, G] bucket ids and their mask (G = most n-grams of a token in the batch); null when off or G = 0. */
  sub: { ids: Tensor; mask: Tensor } | null;
  tokens: number;
}

function int(fn: string, name: string, v: unknown, min: number, max = 2 ** 31 - 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ArgumentError(
      `${fn}: ${name} must be an integer in [${min}, ${max}], got ${typeof v === 'number' ? v : typeof v}`,
    );
  }
  return v;
}

function rateArg(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1))
    throw new ArgumentError(`${fn}: ${name} must be a number in [0, 1), got ${String(v)}`);
  return v;
}

function oneOf<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T))
    throw new ArgumentError(
      `${fn}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`,
    );
  return v as T;
}

const CONFIG_KEYS = [
  'vocabSize',
  'encoder',
  'dim',
  'layers',
  'hidden',
  'bidirectional',
  'kernelSize',
  'heads',
  'ffn',
  'maxLen',
  'norm',
  'positions',
  'activation',
  'dropout',
  'attentionDropout',
  'padId',
  'seed',
  'subwordBuckets',
] as const;

/** Defaults filled in and every field checked (ArgumentError naming the field). `extra` are the head's own keys. */
export function resolveEncoderConfig(
  fn: string,
  config: EncoderModelConfig,
  extra: readonly string[],
): ResolvedEncoderConfig {
  if (config === null || typeof config !== 'object')
    throw new ArgumentError(`${fn}: config must be an object with vocabSize, got ${String(config)}`);
  for (const k of Object.keys(config)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(k) && !extra.includes(k)) {
      throw new ArgumentError(
        `${fn}: config must have only the keys ${[...CONFIG_KEYS, ...extra].join(', ')}, got '${k}'`,
      );
    }
  }
  const vocabSize = int(fn, 'config.vocabSize', config.vocabSize, 1);
  const encoder = oneOf(fn, 'config.encoder', config.encoder ?? 'transformer', [
    'transformer',
    'lstm',
    'gru',
    'cnn',
  ] as const);
  const transformer = encoder === 'transformer';
  const dim = int(fn, 'config.dim', config.dim ?? 128, 1);
  const heads = int(fn, 'config.heads', config.heads ?? 4, 1);
  if (transformer && dim % heads !== 0)
    throw new ArgumentError(`${fn}: config.dim must be a multiple of config.heads (${heads}), got ${dim}`);
  const positions = oneOf(fn, 'config.positions', config.positions ?? (transformer ? 'learned' : 'none'), [
    'learned',
    'sinusoidal',
    'rotary',
    'none',
  ] as const);
  if (positions === 'rotary' && !transformer)
    throw new ArgumentError(
      `${fn}: config.positions must not be 'rotary' with config.encoder '${encoder}', got 'rotary'`,
    );
  if (positions === 'rotary' && (dim / heads) % 2 !== 0)
    throw new ArgumentError(`${fn}: config.dim / config.heads must be even with rotary positions, got ${dim / heads}`);
  const hidden = int(fn, 'config.hidden', config.hidden ?? dim, 1);
  const bidirectional = config.bidirectional ?? true;
  if (typeof bidirectional !== 'boolean')
    throw new ArgumentError(`${fn}: config.bidirectional must be a boolean, got ${String(bidirectional)}`);
  const kernelSize = int(fn, 'config.kernelSize', config.kernelSize ?? 3, 1, 64);
  const dropout = rateArg(fn, 'config.dropout', config.dropout ?? 0.1);
  // a Transformer may have no layers (embeddings only); a recurrent or convolutional encoder needs one
  const layers = int(fn, 'config.layers', config.layers ?? 2, transformer ? 0 : 1);
  const ffn = int(fn, 'config.ffn', config.ffn ?? 4 * dim, 1);
  const maxLen = int(fn, 'config.maxLen', config.maxLen ?? 512, 1);
  const subwordBuckets = int(fn, 'config.subwordBuckets', config.subwordBuckets ?? 0, 0);
  // Checked before anything is built: a damaged saved config must not start building 2^31 layers.
  const dirs = bidirectional ? 2 : 1;
  const gates = encoder === 'lstm' ? 4 : 3;
  const encoderParams =
    encoder === 'transformer'
      ? layers * (4 * dim * dim + 2 * dim * ffn + 9 * dim + ffn)
      : encoder === 'cnn'
        ? hidden * (dim * kernelSize + 1) + (layers - 1) * hidden * (hidden * kernelSize + 1)
        : dirs * gates * hidden * (dim + hidden + 2) +
          (layers - 1) * dirs * gates * hidden * (dirs * hidden + hidden + 2);
  const params = (vocabSize + (positions === 'learned' ? maxLen : 0) + subwordBuckets) * dim + encoderParams;
  if (!(params * 4 <= WASM32_MAX_BYTES)) {
    throw new ArgumentError(
      `${fn}: config must describe at most ${WASM32_MAX_BYTES / 4} float32 parameters (the 4 GiB Wasm32 memory), ` +
        `got ${params} (encoder ${encoder}, vocabSize ${vocabSize}, dim ${dim}, layers ${layers}, hidden ${hidden}, ffn ${ffn}, maxLen ${maxLen}, subwordBuckets ${subwordBuckets})`,
    );
  }
  return {
    vocabSize,
    encoder,
    dim,
    layers,
    hidden,
    bidirectional,
    kernelSize,
    heads,
    ffn,
    maxLen,
    norm: oneOf(fn, 'config.norm', config.norm ?? 'pre', ['pre', 'post'] as const),
    positions,
    activation: oneOf(fn, 'config.activation', config.activation ?? 'gelu', ['gelu', 'relu'] as const),
    dropout,
    attentionDropout: rateArg(fn, 'config.attentionDropout', config.attentionDropout ?? 0.1),
    padId: int(fn, 'config.padId', config.padId ?? 0, 0, vocabSize - 1),
    seed: int(fn, 'config.seed', config.seed ?? 0, 0, Number.MAX_SAFE_INTEGER),
    subwordBuckets,
  };
}

/**
 * embeddings (word + positions [+ sub-word means]) → dropout → encoder (key-padding
 * mask) → `classifier` (Linear). Names: `embeddings.word_embeddings.weight`,
 * `embeddings.position_embeddings.weight`, `embeddings.subword_embeddings.weight`, then
 * the Transformer's `encoder.layer.0.attention.self.query.weight`, ..., the recurrent
 * encoder's `encoder.rnn.weight_ih_l0`, `encoder.rnn.weight_hh_l0_reverse`, ... (PyTorch's
 * LSTM/GRU names) or the CNN's `encoder.layer.0.weight` ([out, in, k]), and `classifier.weight|bias`.
 */
export abstract class EncoderModel extends Module {
  readonly embeddings: TransformerEmbeddings;
  /** [subwordBuckets, dim] n-gram rows (under `embeddings.subword_embeddings`), or null. */
  readonly subwordEmbeddings: Embedding | null;
  /** With sub-words, the embedding dropout runs after the sub-word sum (`embeddings.output_dropout`); otherwise null. */
  readonly embeddingDropout: Dropout | null;
  readonly encoder: TransformerEncoder | RecurrentEncoder | ConvEncoder;
  readonly classifier: Linear;
  /** Width of the encoder's output at each position (what the head sees): dim, dirs · hidden or hidden. */
  readonly outputDim: number;
  abstract readonly config: ResolvedEncoderConfig;
  /** 'TextClassifier' or 'SequenceTagger' (written into saved files). */
  abstract readonly kind: string;

  /** The encoder a config names. */
  private static buildEncoder(c: ResolvedEncoderConfig): TransformerEncoder | RecurrentEncoder | ConvEncoder {
    if (c.encoder === 'lstm' || c.encoder === 'gru')
      return new RecurrentEncoder(c.encoder, c.dim, c.hidden, {
        layers: c.layers,
        bidirectional: c.bidirectional,
        dropout: c.dropout,
      });
    if (c.encoder === 'cnn')
      return new ConvEncoder(c.dim, c.hidden, c.kernelSize, { layers: c.layers, dropout: c.dropout });
    return new TransformerEncoder({
      layers: c.layers,
      dim: c.dim,
      heads: c.heads,
      ffnDim: c.ffn,
      dropout: c.dropout,
      attentionDropout: c.attentionDropout,
      activation: c.activation,
      norm: c.norm,
      rotary: c.positions === 'rotary',
    });
  }

  /** The width of the encoder's output per position, which is also that of every pooling. */
  private static outputDimOf(c: ResolvedEncoderConfig): number {
    if (c.encoder === 'lstm' || c.encoder === 'gru') return (c.bidirectional ? 2 : 1) * c.hidden;
    if (c.encoder === 'cnn') return c.hidden;
    return c.dim;
  }

  protected constructor(c: ResolvedEncoderConfig, outputs: number) {
    super();
    const sub = c.subwordBuckets > 0;
    [this.embeddings, this.subwordEmbeddings, this.embeddingDropout, this.encoder, this.classifier] = building(
      () =>
        [
          new TransformerEmbeddings(c.vocabSize, c.dim, {
            positions: c.positions === 'rotary' ? 'none' : c.positions,
            maxPositions: c.maxLen,
            paddingIdx: c.padId,
            dropout: sub ? 0 : c.dropout,
          }),
          sub ? new Embedding(c.subwordBuckets, c.dim) : null,
          sub ? new Dropout(c.dropout) : null,
          EncoderModel.buildEncoder(c),
          new Linear(EncoderModel.outputDimOf(c), outputs),
        ] as const,
    );
    this.outputDim = EncoderModel.outputDimOf(c);
    this.addModule('embeddings', this.embeddings);
    if (this.subwordEmbeddings !== null) this.embeddings.addModule('subword_embeddings', this.subwordEmbeddings);
    if (this.embeddingDropout !== null) this.embeddings.addModule('output_dropout', this.embeddingDropout);
    this.addModule('encoder', this.encoder);
    this.addModule('classifier', this.classifier);
    try {
      this.resetParameters(c.seed);
    } catch (e) {
      this.dispose(); // out of memory for an initialisation temporary: free what was built
      throw e;
    }
  }

  /** The hidden states [B, S, dim] of a padded batch. */
  encode(batch: PaddedBatch): Variable {
    let h = this.embeddings.forward(batch.ids);
    if (this.subwordEmbeddings !== null) {
      if (batch.sub !== null) {
        const e = this.subwordEmbeddings.forward(batch.sub.ids); // [B·S, G, D]
        const m = F.meanPool(e, { mask: batch.sub.mask }); // [B·S, D]; a token without n-grams gets 0
        h = F.add(h, F.reshape(m, [batch.B, batch.S, this.config.dim]));
      }
      h = this.embeddingDropout!.forward(h);
    }
    return this.encoder.forward(h, { mask: batch.mask });
  }

  /** The encoder's output pooled to [B, outputDim]: mean, max, first, or the recurrent last state ('last'). */
  pool(h: Variable, batch: PaddedBatch, pooling: Pooling): Variable {
    if (pooling === 'first') return F.firstPool(h);
    if (pooling === 'max') return F.maxPool(h, { mask: batch.mask });
    if (pooling === 'mean') return F.meanPool(h, { mask: batch.mask });
    if (this.encoder instanceof RecurrentEncoder) return this.encoder.lastState(h, batch.mask);
    return F.lastPool(h, { mask: batch.mask });
  }

  /** Checks one input sequence (VocabError for ids, ArgumentError for sub-words). `what` names it in messages. */
  protected checkInput(fn: string, what: string, e: SequenceInput): void {
    if (e === null || typeof e !== 'object')
      throw new ArgumentError(`${fn}: ${what} must be an object with ids, got ${String(e)}`);
    const ids = e.ids;
    if (ids === null || ids === undefined || typeof ids !== 'object' || typeof ids.length !== 'number') {
      throw new ArgumentError(
        `${fn}: ${what}.ids must be an array of token ids, got ${ids === null ? 'null' : typeof ids}`,
      );
    }
    const V = this.config.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i]!;
      if (!Number.isInteger(t) || t < 0 || t >= V)
        throw new VocabError(`${fn}: ${what}.ids[${i}] must be an integer in [0, ${V}) (vocabSize), got ${t}`);
    }
    const sw = e.subwords;
    if (sw === undefined) return;
    const nb = this.config.subwordBuckets;
    if (nb === 0)
      throw new ArgumentError(`${fn}: ${what}.subwords must be omitted when config.subwordBuckets is 0, got an array`);
    if (!Array.isArray(sw) || sw.length !== ids.length) {
      throw new ArgumentError(
        `${fn}: ${what}.subwords must be an array with one entry per token (${ids.length}), got ${Array.isArray(sw) ? `length ${sw.length}` : typeof sw}`,
      );
    }
    for (let i = 0; i < sw.length; i++) {
      const g = sw[i];
      if (g === null || typeof g !== 'object' || typeof g.length !== 'number')
        throw new ArgumentError(
          `${fn}: ${what}.subwords[${i}] must be an array of bucket ids, got ${g === null ? 'null' : typeof g}`,
        );
      for (let j = 0; j < g.length; j++) {
        const b = g[j]!;
        if (!Number.isInteger(b) || b < 0 || b >= nb)
          throw new ArgumentError(
            `${fn}: ${what}.subwords[${i}][${j}] must be an integer in [0, ${nb}) (subwordBuckets), got ${b}`,
          );
      }
    }
  }

  /**
   * The padded batch of `units` of `data`: ids [B, S] (S = the longest unit; padId
   * after the end), mask [B, S] int32 (1 = real token), sub-word ids/mask. With
   * `own` the tensors belong to the tape (freed at the step's release).
   */
  makeBatch(data: readonly SequenceInput[], units: readonly Unit[], own: boolean): PaddedBatch {
    const B = units.length;
    let S = 1,
      G = 0,
      tokens = 0;
    for (const u of units) {
      S = Math.max(S, u.len);
      tokens += u.len;
      const sw = data[u.ex]!.subwords;
      if (sw !== undefined && this.subwordEmbeddings !== null)
        for (let i = u.start; i < u.start + u.len; i++) G = Math.max(G, sw[i]!.length);
    }
    const ids = new Int32Array(B * S).fill(this.config.padId),
      mask = new Int32Array(B * S);
    const subIds = G > 0 ? new Int32Array(B * S * G) : null,
      subMask = G > 0 ? new Int32Array(B * S * G) : null;
    units.forEach((u, b) => {
      const e = data[u.ex]!;
      for (let i = 0; i < u.len; i++) {
        ids[b * S + i] = e.ids[u.start + i]!;
        mask[b * S + i] = 1;
        if (subIds !== null && e.subwords !== undefined) {
          const g = e.subwords[u.start + i]!;
          const o = (b * S + i) * G;
          for (let j = 0; j < g.length; j++) {
            subIds[o + j] = g[j]!;
            subMask![o + j] = 1;
          }
        }
      }
    });
    const mk = (a: Int32Array, shape: number[]) => {
      const t = Tensor.fromArray(a, shape, 'int32');
      return own ? tape.own(t) : t;
    };
    return {
      B,
      S,
      tokens,
      ids: mk(ids, [B, S]),
      mask: mk(mask, [B, S]),
      sub: subIds !== null ? { ids: mk(subIds, [B * S, G]), mask: mk(subMask!, [B * S, G]) } : null,
    };
  }

  /**
   * Eval-mode inference over `units` in batches (longest first, which keeps
   * padding low; results do not depend on the batching): `each` gets the units
   * of a batch, the batch and the logits `logitsOf` returns for it, read out
   * under noGrad. The training mode is restored after.
   */
  protected evalBatches(
    data: readonly SequenceInput[],
    units: readonly Unit[],
    batchSize: number,
    logitsOf: (batch: PaddedBatch) => Variable,
    each: (batchUnits: Unit[], batch: PaddedBatch, logits: Float32Array) => void,
  ): void {
    const wasTraining = this.training;
    this.eval();
    try {
      const order = units.map((_, i) => i).sort((a, b) => units[b]!.len - units[a]!.len);
      for (let s = 0; s < order.length; s += batchSize) {
        const bu = order.slice(s, s + batchSize).map((i) => units[i]!);
        const batch = this.makeBatch(data, bu, false);
        try {
          each(
            bu,
            batch,
            noGrad(() => logitsOf(batch).toArray() as Float32Array),
          );
        } finally {
          EncoderModel.disposeBatch(batch);
        }
      }
    } finally {
      this.train(wasTraining);
    }
  }

  /** Frees a batch made with own = false. */
  static disposeBatch(b: PaddedBatch): void {
    b.ids.dispose();
    b.mask.dispose();
    if (b.sub !== null) {
      b.sub.ids.dispose();
      b.sub.mask.dispose();
    }
  }

  /** The config as saved (JSON). */
  configJson(): string {
    return JSON.stringify(this.config);
  }

  /** Weights as safetensors bytes (Hugging Face names), with the model class and config in the metadata. */
  toSafetensors(): Uint8Array {
    return encodeSafetensors(this.stateDict(), {
      format: 'pt',
      [MODEL_KEY]: this.kind,
      [CONFIG_KEY]: this.configJson(),
    });
  }
}

/** Units of tokens [0, n) of example `ex`: consecutive chunks of at most `max` tokens (none when n = 0). */
export function chunkUnits(ex: number, n: number, max: number): Unit[] {
  const out: Unit[] = [];
  for (let s = 0; s < n; s += max) out.push({ ex, start: s, len: Math.min(max, n - s) });
  return out;
}
