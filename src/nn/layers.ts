/**
 * The basic layers: Linear, Embedding, LayerNorm and FeedForward. Each takes
 * and returns autograd Variables (any `Input`), batch-first.
 */
import { checkPositiveInt } from '../core/check.js';
import { ArgumentError, formatShape, ShapeError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { Parameter } from '../autograd/parameter.js';
import * as F from '../autograd/functional.js';
import * as emb from '../ops/embedding.js';
import { type Input, type Variable, asVariable, tape } from '../autograd/tape.js';
import { Initializer, Module, building, initOutermost } from './module.js';

/** Options of the Linear module: bias and seed. */
export interface LinearOptions {
  /** Add a bias [out]; default true. */
  bias?: boolean;
  /** Initialisation seed when built on its own; default 0. */
  seed?: number;
}

/**
 * y = x W^T + b over the last dimension: weight [out, in] (PyTorch layout), bias
 * [out]. Initialisation as PyTorch's default: weight and bias U(-1/sqrt(in), 1/sqrt(in)).
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    checkPositiveInt('Linear', 'inFeatures', inFeatures);
    checkPositiveInt('Linear', 'outFeatures', outFeatures);
    [this.weight, this.bias] = building(
      () =>
        [
          new Parameter(Tensor.zeros([outFeatures, inFeatures])),
          options.bias === false ? null : new Parameter(Tensor.zeros([outFeatures])),
        ] as const,
    );
    this.addParameter('weight', this.weight);
    if (this.bias !== null) this.addParameter('bias', this.bias);
    initOutermost(this, options.seed ?? 0);
  }

  protected override initParameters(init: Initializer, prefix: string): void {
    const bound = 1 / Math.sqrt(this.inFeatures);
    init.uniform(this.weight, `${prefix}weight`, bound);
    if (this.bias !== null) init.uniform(this.bias, `${prefix}bias`, bound);
  }

  /** x [..., in] → [..., out]; `activation: 'relu'` fuses a ReLU into the GEMM epilogue. */
  forward(x: Input, options: { activation?: 'none' | 'relu' } = {}): Variable {
    return F.linear(x, this.weight, this.bias, options);
  }
}

/** Options of the Embedding module: the padding row and seed. */
export interface EmbeddingOptions {
  /** Row kept at zero and never updated (its gradient is left untouched), as PyTorch's padding_idx. */
  paddingIdx?: number;
  seed?: number;
}

/** A table [num, dim] looked up by int32 ids; initialised N(0, 1) (PyTorch's default), the padding row zero. */
export class Embedding extends Module {
  readonly weight: Parameter;
  readonly paddingIdx: number | undefined;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    checkPositiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    checkPositiveInt('Embedding', 'embeddingDim', embeddingDim);
    const pad = options.paddingIdx;
    if (pad !== undefined && (!Number.isInteger(pad) || pad < 0 || pad >= numEmbeddings)) {
      throw new ArgumentError(`Embedding: paddingIdx must be an integer in [0, ${numEmbeddings}), got ${String(pad)}`);
    }
    this.paddingIdx = pad;
    this.weight = this.addParameter('weight', new Parameter(Tensor.zeros([numEmbeddings, embeddingDim])));
    initOutermost(this, options.seed ?? 0);
  }

  protected override initParameters(init: Initializer, prefix: string): void {
    init.normal(this.weight, `${prefix}weight`, 1);
    if (this.paddingIdx !== undefined)
      this.weight.value.view().fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim);
  }

  /** ids int32 [...] (alive until backward) → [..., dim]. */
  forward(ids: Tensor): Variable {
    const pad = this.paddingIdx;
    if (pad === undefined) return F.embedding(this.weight, ids);
    const W = asVariable('Embedding.forward', 'weight', this.weight);
    const y = emb.embedding(W.value, ids);
    const D = this.embeddingDim;
    return tape.record(y, [W], (g) => {
      // Scatter-add everything, then put the padding row back as it was.
      const grad = tape.gradOf(W);
      const before = grad.view().slice(pad * D, (pad + 1) * D);
      emb.embeddingBackward(ids, g, grad);
      grad.view().set(before, pad * D);
    });
  }
}

/** Options of the LayerNorm module: eps and seed. */
export interface LayerNormOptions {
  /** Added to the variance; default 1e-5 (PyTorch; Hugging Face BERT uses 1e-12). */
  eps?: number;
  seed?: number;
}

/** Layer normalisation over the last dimension: weight (gamma) ones, bias (beta) zeros — Hugging Face's LayerNorm.weight / .bias. */
export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly eps: number;

  constructor(
    readonly dim: number,
    options: LayerNormOptions = {},
  ) {
    super();
    checkPositiveInt('LayerNorm', 'dim', dim);
    const eps = options.eps ?? 1e-5;
    if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0)
      throw new ArgumentError(`LayerNorm: eps must be a finite number >= 0, got ${String(eps)}`);
    this.eps = eps;
    [this.weight, this.bias] = building(
      () => [new Parameter(Tensor.zeros([dim])), new Parameter(Tensor.zeros([dim]))] as const,
    );
    this.addParameter('weight', this.weight);
    this.addParameter('bias', this.bias);
    initOutermost(this, options.seed ?? 0);
  }

  protected override initParameters(init: Initializer): void {
    init.fill(this.weight, 1);
    init.fill(this.bias, 0);
  }

  forward(x: Input): Variable {
    return F.layerNorm(x, this.weight, this.bias, { eps: this.eps });
  }
}

/** 'gelu' is the erf form, 'gelu_tanh' the tanh approximation. */
export type Activation = 'relu' | 'gelu' | 'gelu_tanh';

export function checkActivation(fn: string, a: unknown): Activation {
  if (a !== 'relu' && a !== 'gelu' && a !== 'gelu_tanh')
    throw new ArgumentError(`${fn}: activation must be 'relu', 'gelu' or 'gelu_tanh', got ${String(a)}`);
  return a;
}

/** Options of FeedForward: activation, biases and seed. */
export interface FeedForwardOptions {
  activation?: Activation;
  bias?: boolean;
  seed?: number;
}

/**
 * Position-wise feed-forward: dense(dim → hidden), activation, dense(hidden →
 * dim). Names as Hugging Face BERT: `intermediate.dense`, `output.dense`.
 * ReLU is fused into the first GEMM.
 */
export class FeedForward extends Module {
  readonly intermediate: Module;
  readonly output: Module;
  readonly activation: Activation;
  private readonly up: Linear;
  private readonly down: Linear;

  constructor(
    readonly dim: number,
    readonly hidden: number,
    options: FeedForwardOptions = {},
  ) {
    super();
    this.activation = checkActivation('FeedForward', options.activation ?? 'gelu');
    const bias = options.bias;
    [this.intermediate, this.output, this.up, this.down] = building(() => {
      const up = new Linear(dim, hidden, { bias });
      const down = new Linear(hidden, dim, { bias });
      const i = new Module();
      i.addModule('dense', up);
      const o = new Module();
      o.addModule('dense', down);
      return [i, o, up, down] as const;
    });
    this.addModule('intermediate', this.intermediate);
    this.addModule('output', this.output);
    initOutermost(this, options.seed ?? 0);
  }

  /** x [..., dim] → [..., dim]. */
  forward(x: Input): Variable {
    let h: Variable;
    if (this.activation === 'relu') h = this.up.forward(x, { activation: 'relu' });
    else h = F.gelu(this.up.forward(x), { approximate: this.activation === 'gelu_tanh' ? 'tanh' : 'none' });
    return this.down.forward(h);
  }
}

/** @internal Checks x is [B, S, D] with the given D. */
export function expectBSD(fn: string, x: Variable, D: number): [number, number] {
  if (x.shape.length !== 3 || x.shape[2] !== D)
    throw new ShapeError(`${fn}: x must have shape [batch, seq, ${D}], got ${formatShape(x.shape)}`);
  return [x.shape[0]!, x.shape[1]!];
}
