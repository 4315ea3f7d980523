/**
 * Transformer encoders with Hugging Face BERT's parameter names (so its
 * weights load by name): TransformerEncoderLayer, TransformerEncoder and
 * TransformerEmbeddings (token + learned or sinusoidal positions; rotary
 * positions are an option of the attention instead).
 */
import { checkNumber, checkObject } from '../core/check.js';
import { ArgumentError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import * as F from '../autograd/functional.js';
import { sinusoidalPositions } from '../ops/elementwise.js';
import { type Input, type Variable, asVariable, tape } from '../autograd/tape.js';
import { Dropout, Module, ModuleList, building, initOutermost } from './module.js';
import { type Activation, Embedding, FeedForward, LayerNorm, checkActivation, expectBSD } from './layers.js';
import { type AttentionCallOptions, MultiHeadAttention } from './attention.js';

/** Options of TransformerEncoderLayer: width, heads, feed-forward, dropout, norm placement. */
export interface TransformerLayerOptions {
  /** Model width D; a multiple of heads. */
  dim: number;
  heads: number;
  /** Feed-forward hidden width; default 4 D. */
  ffnDim?: number;
  /** Dropout after the attention output and after the feed-forward output (before each residual add); default 0.1 as PyTorch. */
  dropout?: number;
  /** Dropout on the attention probabilities; default: `dropout`. */
  attentionDropout?: number;
  /** Feed-forward activation; default 'gelu' (erf). */
  activation?: Activation;
  /** 'post' (BERT, the original Transformer) or 'pre' (GPT-2 style); default 'post'. */
  norm?: 'post' | 'pre';
  /** LayerNorm eps; default 1e-5 (PyTorch; BERT checkpoints use 1e-12). */
  layerNormEps?: number;
  /** Biases in every projection; default true. */
  bias?: boolean;
  /** Causal self-attention (each position sees itself and the past); default false. */
  causal?: boolean;
  /** Rotary positions in every attention; default false. */
  rotary?: boolean | { base?: number };
  /** Initialisation seed when built on its own; default 0. */
  seed?: number;
}

/** A dropout probability: in [0, 1). */
const inRate = (x: number): boolean => x >= 0 && x < 1;

/**
 * One encoder block over x [B, S, D].
 *   post-norm: h = LN1(x + drop(attn(x)));   y = LN2(h + drop(ffn(h)))
 *   pre-norm:  h = x + drop(attn(LN1(x)));   y = h + drop(ffn(LN2(h)))
 * LN1 is `attention.output.LayerNorm` and LN2 `output.LayerNorm` in both cases
 * (names: `attention.self.{query,key,value}`, `attention.output.dense`,
 * `attention.output.LayerNorm`, `intermediate.dense`, `output.dense`,
 * `output.LayerNorm`; dropouts `attention.self.dropout`, `attention.output.dropout`,
 * `output.dropout`).
 */
export class TransformerEncoderLayer extends Module {
  readonly attention: MultiHeadAttention;
  readonly ffn: FeedForward;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly norm: 'post' | 'pre';
  readonly dim: number;

  constructor(options: TransformerLayerOptions) {
    super();
    const fn = 'TransformerEncoderLayer';
    checkObject(fn, 'options', options, 'an object with dim and heads');
    const { dim, heads } = options;
    const ffnDim = options.ffnDim ?? 4 * dim;
    if (!Number.isSafeInteger(ffnDim) || ffnDim < 1)
      throw new ArgumentError(`${fn}: ffnDim must be a positive integer, got ${String(ffnDim)}`);
    const p = checkNumber(fn, 'dropout', options.dropout ?? 0.1, inRate, 'a number in [0, 1)');
    const pa = checkNumber(fn, 'attentionDropout', options.attentionDropout ?? p, inRate, 'a number in [0, 1)');
    const norm = options.norm ?? 'post';
    if (norm !== 'post' && norm !== 'pre')
      throw new ArgumentError(`${fn}: norm must be 'post' or 'pre', got ${String(norm)}`);
    this.norm = norm;
    this.dim = dim;
    const activation = checkActivation(fn, options.activation ?? 'gelu');
    const eps = options.layerNormEps;
    [this.attention, this.ffn, this.norm1, this.norm2, this.dropout1, this.dropout2] = building(() => {
      const att = new MultiHeadAttention(dim, heads, {
        dropout: pa,
        bias: options.bias,
        causal: options.causal,
        rotary: options.rotary,
      });
      const n1 = att.output.addModule('LayerNorm', new LayerNorm(dim, { eps }));
      const d1 = att.output.addModule('dropout', new Dropout(p));
      const ffn = new FeedForward(dim, ffnDim, { activation, bias: options.bias });
      const n2 = ffn.output.addModule('LayerNorm', new LayerNorm(dim, { eps }));
      const d2 = ffn.output.addModule('dropout', new Dropout(p));
      return [att, ffn, n1, n2, d1, d2] as const;
    });
    this.addModule('attention', this.attention);
    this.addModule('intermediate', this.ffn.intermediate);
    this.addModule('output', this.ffn.output);
    initOutermost(this, options.seed ?? 0);
  }

  /** x [B, S, D] → [B, S, D]; `mask` [B, S] marks real tokens (1) and padding (0). */
  forward(x: Input, options: AttentionCallOptions = {}): Variable {
    const X = asVariable('TransformerEncoderLayer.forward', 'x', x);
    expectBSD('TransformerEncoderLayer.forward', X, this.dim);
    if (this.norm === 'post') {
      const h = this.norm1.forward(F.add(X, this.dropout1.forward(this.attention.forward(X, options))));
      return this.norm2.forward(F.add(h, this.dropout2.forward(this.ffn.forward(h))));
    }
    const h = F.add(X, this.dropout1.forward(this.attention.forward(this.norm1.forward(X), options)));
    return F.add(h, this.dropout2.forward(this.ffn.forward(this.norm2.forward(h))));
  }
}

/** Options of TransformerEncoder: a layer's options, the number of layers, the final LayerNorm. */
export interface TransformerEncoderOptions extends TransformerLayerOptions {
  layers: number;
  /** A LayerNorm after the last layer (named `LayerNorm`); default true for pre-norm, false for post-norm. */
  finalNorm?: boolean;
}

/** N encoder layers (`layer.{i}`), and for pre-norm a final `LayerNorm`. */
export class TransformerEncoder extends Module {
  readonly layer: ModuleList<TransformerEncoderLayer>;
  readonly finalNorm: LayerNorm | null;
  readonly dim: number;

  constructor(options: TransformerEncoderOptions) {
    super();
    const fn = 'TransformerEncoder';
    checkObject(fn, 'options', options, 'an object with layers, dim and heads');
    const n = options.layers;
    if (!Number.isSafeInteger(n) || n < 0)
      throw new ArgumentError(`${fn}: layers must be a non-negative integer, got ${String(n)}`);
    this.dim = options.dim;
    const wantFinal = options.finalNorm ?? options.norm === 'pre';
    [this.layer, this.finalNorm] = building(() => {
      const list = new ModuleList<TransformerEncoderLayer>();
      for (let i = 0; i < n; i++) list.push(new TransformerEncoderLayer(options));
      return [list, wantFinal ? new LayerNorm(options.dim, { eps: options.layerNormEps }) : null] as const;
    });
    this.addModule('layer', this.layer);
    if (this.finalNorm !== null) this.addModule('LayerNorm', this.finalNorm);
    initOutermost(this, options.seed ?? 0);
  }

  /** x [B, S, D] → [B, S, D]. */
  forward(x: Input, options: AttentionCallOptions = {}): Variable {
    let h = asVariable('TransformerEncoder.forward', 'x', x);
    for (const l of this.layer) h = l.forward(h, options);
    return this.finalNorm === null ? h : this.finalNorm.forward(h);
  }
}

/** Options of TransformerEmbeddings: positions, padding, token types, LayerNorm and dropout. */
export interface TransformerEmbeddingsOptions {
  /** 'learned' (a table `position_embeddings` [maxPositions, D]), 'sinusoidal' (fixed, added: `sinusoidalPositions` of src/ops, computed once), or 'none' (use rotary attention instead); default 'learned'. */
  positions?: 'learned' | 'sinusoidal' | 'none';
  /** Longest sequence; default 512. */
  maxPositions?: number;
  /** Token id whose row stays zero and untrained. */
  paddingIdx?: number;
  /** Number of token types (BERT's segment A/B: 2); default 0 = none. Adds `token_type_embeddings` [typeVocabSize, D]. */
  typeVocabSize?: number;
  /** A LayerNorm after the sum (as BERT); default false. */
  layerNorm?: boolean;
  layerNormEps?: number;
  /** Dropout on the result; default 0.1. */
  dropout?: number;
  seed?: number;
}

/**
 * Token embeddings plus positions, then optional LayerNorm and dropout. Names
 * as Hugging Face BERT's embeddings: `word_embeddings.weight`,
 * `position_embeddings.weight`, `token_type_embeddings.weight`, `LayerNorm.weight|bias`.
 */
export class TransformerEmbeddings extends Module {
  readonly wordEmbeddings: Embedding;
  readonly positionEmbeddings: Embedding | null;
  readonly tokenTypeEmbeddings: Embedding | null;
  readonly layerNorm: LayerNorm | null;
  readonly dropout: Dropout;
  readonly positions: 'learned' | 'sinusoidal' | 'none';
  readonly maxPositions: number;
  private table: Float32Array | null = null;

  constructor(
    readonly vocabSize: number,
    readonly dim: number,
    options: TransformerEmbeddingsOptions = {},
  ) {
    super();
    const fn = 'TransformerEmbeddings';
    const positions = options.positions ?? 'learned';
    if (positions !== 'learned' && positions !== 'sinusoidal' && positions !== 'none') {
      throw new ArgumentError(`${fn}: positions must be 'learned', 'sinusoidal' or 'none', got ${String(positions)}`);
    }
    this.positions = positions;
    const maxPositions = options.maxPositions ?? 512;
    if (!Number.isSafeInteger(maxPositions) || maxPositions < 1)
      throw new ArgumentError(`${fn}: maxPositions must be a positive integer, got ${String(maxPositions)}`);
    this.maxPositions = maxPositions;
    const p = checkNumber(fn, 'dropout', options.dropout ?? 0.1, inRate, 'a number in [0, 1)');
    const types = options.typeVocabSize ?? 0;
    if (!Number.isSafeInteger(types) || types < 0)
      throw new ArgumentError(`${fn}: typeVocabSize must be a non-negative integer, got ${String(types)}`);
    [this.wordEmbeddings, this.positionEmbeddings, this.tokenTypeEmbeddings, this.layerNorm, this.dropout] = building(
      () =>
        [
          new Embedding(vocabSize, dim, { paddingIdx: options.paddingIdx }),
          positions === 'learned' ? new Embedding(maxPositions, dim) : null,
          types > 0 ? new Embedding(types, dim) : null,
          options.layerNorm === true ? new LayerNorm(dim, { eps: options.layerNormEps }) : null,
          new Dropout(p),
        ] as const,
    );
    this.addModule('word_embeddings', this.wordEmbeddings);
    if (this.positionEmbeddings !== null) this.addModule('position_embeddings', this.positionEmbeddings);
    if (this.tokenTypeEmbeddings !== null) this.addModule('token_type_embeddings', this.tokenTypeEmbeddings);
    if (this.layerNorm !== null) this.addModule('LayerNorm', this.layerNorm);
    this.addModule('dropout', this.dropout);
    initOutermost(this, options.seed ?? 0);
  }

  /**
   * ids int32 [B, S] (alive until backward) → [B, S, D]. `tokenTypes` int32
   * [B, S] (alive until backward) selects rows of `token_type_embeddings`;
   * without it every position has type 0 (as Hugging Face).
   */
  forward(ids: Tensor, options: { tokenTypes?: Tensor } = {}): Variable {
    const fn = 'TransformerEmbeddings.forward';
    if (!(ids instanceof Tensor) || ids.rank !== 2)
      throw new ArgumentError(
        `${fn}: ids must be an int32 Tensor [batch, seq], got ${ids instanceof Tensor ? ids.toString() : typeof ids}`,
      );
    const [B, S] = ids.shape as [number, number];
    if (S > this.maxPositions && this.positions !== 'none')
      throw new ArgumentError(`${fn}: ids must have at most maxPositions (${this.maxPositions}) columns, got ${S}`);
    let h = this.wordEmbeddings.forward(ids);
    if (this.positions === 'learned') {
      const pos = tape.own(Tensor.empty([B, S], 'int32'));
      const pv = pos.view();
      for (let i = 0; i < B * S; i++) pv[i] = i % S;
      h = F.add(h, this.positionEmbeddings!.forward(pos));
    } else if (this.positions === 'sinusoidal') {
      if (this.table === null) {
        const t = sinusoidalPositions(this.maxPositions, this.dim);
        this.table = t.toArray() as Float32Array;
        t.dispose();
      }
      const pe = tape.own(Tensor.empty([B, S, this.dim]));
      const v = pe.view();
      const row = this.table.subarray(0, S * this.dim);
      for (let b = 0; b < B; b++) v.set(row, b * S * this.dim);
      h = F.add(h, pe);
    }
    if (this.tokenTypeEmbeddings !== null) {
      let types = options.tokenTypes;
      if (types === undefined) types = tape.own(Tensor.zeros([B, S], 'int32'));
      else if (!(types instanceof Tensor) || types.shape.length !== 2 || types.shape[0] !== B || types.shape[1] !== S) {
        throw new ArgumentError(
          `${fn}: tokenTypes must be an int32 Tensor [${B}, ${S}], got ${types instanceof Tensor ? types.toString() : typeof types}`,
        );
      }
      h = F.add(h, this.tokenTypeEmbeddings.forward(types));
    } else if (options.tokenTypes !== undefined) {
      throw new ArgumentError(`${fn}: tokenTypes must be omitted without typeVocabSize, got a Tensor`);
    }
    if (this.layerNorm !== null) h = this.layerNorm.forward(h);
    return this.dropout.forward(h);
  }
}
