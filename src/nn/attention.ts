/** Multi-head self-attention with Hugging Face BERT's parameter names. */
import { ArgumentError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import * as F from '../autograd/functional.js';
import { type Input, type Variable, asVariable } from '../autograd/tape.js';
import { Dropout, Module, building, initOutermost } from './module.js';
import { Linear, expectBSD } from './layers.js';

/** Options of MultiHeadAttention: dropout, biases, causal masking, rotary positions. */
export interface MultiHeadAttentionOptions {
  /** Dropout on the attention probabilities; default 0. */
  dropout?: number;
  /** Projection biases; default true. */
  bias?: boolean;
  /** Queries see keys at positions <= their own only; default false (can also be set per call). */
  causal?: boolean;
  /** Rotary position embedding on q and k (GPT-NeoX pairing); `{ base }` sets the frequency base (default 10000). */
  rotary?: boolean | { base?: number };
  seed?: number;
}

/** Per-call options of MultiHeadAttention: the key-padding mask and a causal override. */
export interface AttentionCallOptions {
  /** [B, S] key-padding mask, int32 or float32 0/1 (1 = a real token), the caller's Tensor, alive until backward(). */
  mask?: Tensor;
  /** Overrides the module's causal option for this call. */
  causal?: boolean;
}

/**
 * Self-attention over x [B, S, D] with `heads` heads of D / heads:
 * q, k, v = x Wq^T + bq, ... split into heads; softmax(q k^T / sqrt(d)) (masked,
 * dropped out) v; heads merged; output projection. Names: `self.query`,
 * `self.key`, `self.value` (Linear D → D), `self.dropout` (probabilities),
 * `output.dense` (Linear D → D) — Hugging Face's BertAttention without its
 * LayerNorm (the encoder layer adds `output.LayerNorm` and `output.dropout`).
 */
export class MultiHeadAttention extends Module {
  readonly self: Module;
  readonly output: Module;
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly dense: Linear;
  readonly dropout: Dropout;
  readonly causal: boolean;
  readonly rotary: false | { base?: number };

  constructor(
    readonly dim: number,
    readonly heads: number,
    options: MultiHeadAttentionOptions = {},
  ) {
    super();
    const fn = 'MultiHeadAttention';
    if (!Number.isSafeInteger(heads) || heads < 1)
      throw new ArgumentError(`${fn}: heads must be a positive integer, got ${String(heads)}`);
    if (!Number.isSafeInteger(dim) || dim < 1 || dim % heads !== 0)
      throw new ArgumentError(`${fn}: dim must be a positive multiple of heads (${heads}), got ${String(dim)}`);
    const ro = options.rotary ?? false;
    if (ro !== false && (dim / heads) % 2 !== 0)
      throw new ArgumentError(`${fn}: dim / heads must be even for rotary positions, got ${dim / heads}`);
    this.rotary = ro === true ? {} : ro;
    this.causal = options.causal ?? false;
    const bias = options.bias;
    [this.self, this.output, this.query, this.key, this.value, this.dense, this.dropout] = building(() => {
      const s = new Module();
      const q = s.addModule('query', new Linear(dim, dim, { bias }));
      const k = s.addModule('key', new Linear(dim, dim, { bias }));
      const v = s.addModule('value', new Linear(dim, dim, { bias }));
      const d = s.addModule('dropout', new Dropout(options.dropout ?? 0));
      const o = new Module();
      const dense = o.addModule('dense', new Linear(dim, dim, { bias }));
      return [s, o, q, k, v, dense, d] as const;
    });
    this.addModule('self', this.self);
    this.addModule('output', this.output);
    initOutermost(this, options.seed ?? 0);
  }

  /** x [B, S, D] → [B, S, D]. */
  forward(x: Input, options: AttentionCallOptions = {}): Variable {
    const fn = 'MultiHeadAttention.forward';
    const X = asVariable(fn, 'x', x);
    const [B, S] = expectBSD(fn, X, this.dim);
    const H = this.heads;
    const q = F.splitHeads(this.query.forward(X), H);
    const k = F.splitHeads(this.key.forward(X), H);
    const v = F.splitHeads(this.value.forward(X), H);
    const drop = this.dropout.take(B * H * S * S);
    const y = F.attention(q, k, v, {
      keyMask: options.mask,
      causal: options.causal ?? this.causal,
      dropout: drop,
      rotary: this.rotary === false ? undefined : this.rotary,
    });
    return this.dense.forward(F.mergeHeads(y));
  }
}
