/**
 * GPT-2 (Radford et al. 2019) with Hugging Face's parameter names: GPT2Block,
 * GPT2Model (`wte`, `wpe`, `h.{i}`, `ln_f`) and GPT2LMHeadModel (`transformer`
 * plus the output layer tied to `wte`), the GPT-2 initialisation, and the
 * mapping of Hugging Face checkpoints, whose projections are `Conv1D` modules
 * storing weights as [in, out]: we keep PyTorch's Linear layout [out, in] and
 * transpose at the boundary (loadStateDict, toPretrained).
 */
import { checkObject, describe } from '../../core/check.js';
import { ArgumentError, ShapeError, formatShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import * as F from '../../autograd/functional.js';
import { type Input, type Variable, tape } from '../../autograd/tape.js';
import {
  Dropout,
  Initializer,
  type LoadStateDictResult,
  Module,
  ModuleList,
  type StateDictValue,
  building,
  initOutermost,
} from '../../nn/module.js';
import { Embedding, LayerNorm, Linear } from '../../nn/layers.js';
import { type GPT2Config, type GPT2ConfigInput, gpt2Config } from './config.js';

/** Per-call options of the GPT-2 modules: a key-padding mask and the first position. */
export interface GPT2ForwardOptions {
  /** [B, S] int32 or float32 0/1 (1 = a real token), alive until backward: padding keys are never attended to. */
  attentionMask?: Tensor;
  /** Position of the first column (learned positions: rows offset .. offset + S − 1 of `wpe`); default 0. */
  positionOffset?: number;
}

/** The feed-forward activation of a config. */
function activate(c: GPT2Config, x: Variable): Variable {
  if (c.activationFunction === 'relu') return F.relu(x);
  return F.gelu(x, { approximate: c.activationFunction === 'gelu' ? 'none' : 'tanh' });
}

/**
 * Causal self-attention with GPT-2's names: `c_attn` (D → 3D, the fused q, k, v
 * projection), `c_proj` (D → D), dropout on the probabilities (`attn_dropout`)
 * and after the projection (`resid_dropout`).
 */
export class GPT2Attention extends Module {
  readonly cAttn: Linear;
  readonly cProj: Linear;
  readonly attnDropout: Dropout;
  readonly residDropout: Dropout;

  constructor(readonly config: GPT2Config) {
    super();
    const D = config.nEmbd;
    [this.cAttn, this.cProj, this.attnDropout, this.residDropout] = building(
      () =>
        [
          new Linear(D, 3 * D),
          new Linear(D, D),
          new Dropout(config.attnPdrop),
          new Dropout(config.residPdrop),
        ] as const,
    );
    this.addModule('c_attn', this.cAttn);
    this.addModule('c_proj', this.cProj);
    this.addModule('attn_dropout', this.attnDropout);
    this.addModule('resid_dropout', this.residDropout);
  }

  /** q, k, v [B, H, S, D/H] of x [B, S, D]. */
  qkv(x: Variable): [Variable, Variable, Variable] {
    const D = this.config.nEmbd,
      H = this.config.nHead;
    const [q, k, v] = F.split(this.cAttn.forward(x), [D, D, D]);
    return [F.splitHeads(q!, H), F.splitHeads(k!, H), F.splitHeads(v!, H)];
  }

  /** The output projection (and its dropout) of merged heads [B, H, S, D/H]. */
  project(y: Input): Variable {
    return this.residDropout.forward(this.cProj.forward(F.mergeHeads(y)));
  }

  /** x [B, S, D] → [B, S, D]: each position attends to itself and the positions before it. */
  forward(x: Variable, options: GPT2ForwardOptions = {}): Variable {
    const [B, S] = x.shape as [number, number, number];
    const [q, k, v] = this.qkv(x);
    const y = F.attention(q, k, v, {
      causal: true,
      keyMask: options.attentionMask,
      dropout: this.attnDropout.take(B * this.config.nHead * S * S),
      rotary: this.config.positionEmbeddingType === 'rotary' ? {} : undefined,
    });
    return this.project(y);
  }
}

/** GPT-2's MLP: `c_fc` (D → nInner), the activation, `c_proj` (nInner → D), `dropout`. */
export class GPT2MLP extends Module {
  readonly cFc: Linear;
  readonly cProj: Linear;
  readonly dropout: Dropout;

  constructor(readonly config: GPT2Config) {
    super();
    [this.cFc, this.cProj, this.dropout] = building(
      () =>
        [
          new Linear(config.nEmbd, config.nInner),
          new Linear(config.nInner, config.nEmbd),
          new Dropout(config.residPdrop),
        ] as const,
    );
    this.addModule('c_fc', this.cFc);
    this.addModule('c_proj', this.cProj);
    this.addModule('dropout', this.dropout);
  }

  forward(x: Variable): Variable {
    return this.dropout.forward(this.cProj.forward(activate(this.config, this.cFc.forward(x))));
  }
}

/** A pre-norm block: h = x + attn(ln_1(x)); y = h + mlp(ln_2(h)). Names `ln_1`, `attn`, `ln_2`, `mlp`. */
export class GPT2Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln2: LayerNorm;
  readonly mlp: GPT2MLP;

  constructor(readonly config: GPT2Config) {
    super();
    const eps = config.layerNormEpsilon;
    [this.ln1, this.attn, this.ln2, this.mlp] = building(
      () =>
        [
          new LayerNorm(config.nEmbd, { eps }),
          new GPT2Attention(config),
          new LayerNorm(config.nEmbd, { eps }),
          new GPT2MLP(config),
        ] as const,
    );
    this.addModule('ln_1', this.ln1);
    this.addModule('attn', this.attn);
    this.addModule('ln_2', this.ln2);
    this.addModule('mlp', this.mlp);
  }

  forward(x: Variable, options: GPT2ForwardOptions = {}): Variable {
    const h = F.add(x, this.attn.forward(this.ln1.forward(x), options));
    return F.add(h, this.mlp.forward(this.ln2.forward(h)));
  }
}

/**
 * GPT-2's initialisation (Hugging Face `_init_weights` with GPT-2's scaled
 * residual projections) over a module tree: LayerNorm 1 / 0, biases 0, every
 * other weight N(0, initializerRange²) from the name-keyed Philox stream of its
 * dotted name, the `c_proj` weights N(0, (initializerRange / sqrt(2 nLayer))²).
 */
export function gpt2Init(root: Module, seed: number, c: GPT2Config, only?: ReadonlySet<string>): void {
  const init = new Initializer(seed);
  const projStd = c.initializerRange / Math.sqrt(2 * Math.max(c.nLayer, 1));
  for (const [name, p] of root.namedParameters()) {
    if (only !== undefined && !only.has(name)) continue;
    if (/(^|\.)ln_(1|2|f)\.weight$/.test(name)) init.fill(p, 1);
    else if (name.endsWith('bias')) init.fill(p, 0);
    else init.normal(p, name, name.endsWith('c_proj.weight') ? projStd : c.initializerRange);
  }
}

/** ids: an int32 Tensor [B, S] (typed error naming `fn`'s `name` otherwise). */
export function expectIds(fn: string, name: string, t: unknown): [number, number] {
  if (!(t instanceof Tensor) || t.rank !== 2 || t.dtype !== 'int32')
    throw new ArgumentError(`${fn}: ${name} must be an int32 Tensor [batch, seq], got ${describe(t)}`);
  return t.shape as [number, number];
}

/**
 * The GPT-2 decoder stack: `wte` (token embeddings, [vocabSize, D]), `wpe`
 * (learned positions [nPositions, D]; absent with rotary positions), `drop`,
 * `h.{i}` (GPT2Block), `ln_f`. Parameter names are Hugging Face GPT2Model's.
 */
export class GPT2Model extends Module {
  readonly config: GPT2Config;
  readonly wte: Embedding;
  readonly wpe: Embedding | null;
  readonly drop: Dropout;
  readonly h: ModuleList<GPT2Block>;
  readonly lnF: LayerNorm;

  constructor(config: GPT2ConfigInput = {}) {
    super();
    const c = (this.config = gpt2Config(config, 'GPT2Model'));
    [this.wte, this.wpe, this.drop, this.h, this.lnF] = building(() => {
      const blocks = new ModuleList<GPT2Block>();
      for (let i = 0; i < c.nLayer; i++) blocks.push(new GPT2Block(c));
      return [
        new Embedding(c.vocabSize, c.nEmbd),
        c.positionEmbeddingType === 'absolute' ? new Embedding(c.nPositions, c.nEmbd) : null,
        new Dropout(c.embdPdrop),
        blocks,
        new LayerNorm(c.nEmbd, { eps: c.layerNormEpsilon }),
      ] as const;
    });
    this.addModule('wte', this.wte);
    if (this.wpe !== null) this.addModule('wpe', this.wpe);
    this.addModule('drop', this.drop);
    this.addModule('h', this.h);
    this.addModule('ln_f', this.lnF);
    initOutermost(this, 0);
  }

  override resetParameters(seed: number): this {
    super.resetParameters(seed);
    gpt2Init(this, seed, this.config);
    return this;
  }

  /**
   * Load Hugging Face GPT2Model weights by name (keys with or without `transformer.`;
   * Conv1D weights [in, out] transposed; mask buffers and a tied `lm_head.weight`
   * listed as `ignored`). Strict by default.
   */
  override loadStateDict(
    dict: Record<string, StateDictValue> | Iterable<readonly [string, StateDictValue]>,
    options: { strict?: boolean } = {},
  ): GPT2LoadResult {
    return loadGPT2StateDict(this, '', 'GPT2Model.loadStateDict', dict, options, (d, o) => super.loadStateDict(d, o));
  }

  /** Token plus position embeddings of ids [B, S] (positions offset .. offset + S − 1), with dropout: [B, S, D]. */
  embed(ids: Tensor, offset = 0): Variable {
    const fn = 'GPT2Model.forward';
    const [B, S] = expectIds(fn, 'inputIds', ids);
    const c = this.config;
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new ArgumentError(`${fn}: options.positionOffset must be a non-negative integer, got ${String(offset)}`);
    if (offset + S > c.nPositions)
      throw new ArgumentError(
        `${fn}: inputIds must fit in config.nPositions (${c.nPositions}) positions from offset ${offset}, got ${S} columns`,
      );
    let h = this.wte.forward(ids);
    if (this.wpe !== null) {
      const pos = tape.own(Tensor.empty([B, S], 'int32'));
      const pv = pos.view();
      for (let i = 0; i < B * S; i++) pv[i] = offset + (i % S);
      h = F.add(h, this.wpe.forward(pos));
    }
    return this.drop.forward(h);
  }

  /**
   * ids int32 [B, S] (alive until backward; ids checked by the caller, as the
   * embedding kernel checks bounds) → the last hidden state [B, S, D] (after `ln_f`).
   */
  forward(inputIds: Tensor, options: GPT2ForwardOptions = {}): Variable {
    if (options.positionOffset !== undefined && this.wpe === null && options.positionOffset !== 0)
      throw new ArgumentError(
        `GPT2Model.forward: options.positionOffset must be 0 with rotary positions (the full sequence is attended), got ${options.positionOffset}`,
      );
    let h = this.embed(inputIds, options.positionOffset ?? 0);
    const [B, S] = inputIds.shape as [number, number];
    const m = options.attentionMask;
    if (m !== undefined && (!(m instanceof Tensor) || formatShape(m.shape) !== formatShape([B, S])))
      throw new ShapeError(
        `GPT2Model.forward: options.attentionMask must be a Tensor [${B}, ${S}], got ${describe(m)}`,
      );
    for (const block of this.h) h = block.forward(h, options);
    return this.lnF.forward(h);
  }
}

/** Keys of Hugging Face GPT-2 projections stored by Conv1D as [in, out]. */
const CONV1D = /(^|\.)(c_attn|c_proj|c_fc)\.weight$/;

/** A state-dict value as shape and float32 data (any accepted form). */
function asData(fn: string, k: string, v: StateDictValue): { shape: readonly number[]; data: Float32Array } {
  if (v instanceof Float32Array) return { shape: [v.length], data: v };
  const t = v as { shape?: unknown; data?: unknown; value?: unknown; view?: unknown };
  if (v instanceof Tensor) return { shape: v.shape, data: v.toArray() as Float32Array };
  if (t.value instanceof Tensor) return { shape: t.value.shape, data: t.value.toArray() as Float32Array };
  if (Array.isArray(t.shape) && t.data instanceof Float32Array) return { shape: t.shape as number[], data: t.data };
  throw new ArgumentError(
    `${fn}: dict["${k}"] must be a float32 Tensor, Parameter or { shape, data }, got ${describe(v)}`,
  );
}

/** [r, c] row-major → [c, r]. */
function transpose2(data: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = data[i * c + j]!;
  return out;
}

/** The keys of a Hugging Face checkpoint that hold no parameter: causal-mask buffers and the tied output copy. */
const BUFFER = /(^|\.)attn\.(bias|masked_bias)$/;

/**
 * Hugging Face GPT-2 keys onto a module's names: `base` is the path of the
 * GPT2Model inside it ('' for GPT2Model, 'transformer' for the heads); keys with
 * or without `transformer.` land; Conv1D weights [in, out] are transposed to
 * [out, in]; the attention-mask buffers and the tied `lm_head.weight` are set
 * aside as `ignored` (lm_head.weight fills `wte` when a file holds only it).
 */
function mapCheckpoint(
  fn: string,
  dict: unknown,
  base: '' | 'transformer',
): { mapped: [string, StateDictValue][]; ignored: string[] } {
  const d = checkObject<object>(fn, 'dict', dict, 'a record or [name, value] pairs');
  const entries: [string, StateDictValue][] =
    Symbol.iterator in d
      ? [...(d as Iterable<readonly [string, StateDictValue]>)].map(([k, v]) => [k, v])
      : Object.entries(d as Record<string, StateDictValue>);
  const mapped = new Map<string, StateDictValue>();
  const ignored: string[] = [];
  let head: StateDictValue | undefined;
  const pre = base === '' ? '' : 'transformer.';
  for (const [k0, v] of entries) {
    let k = k0.startsWith('transformer.') ? k0.slice('transformer.'.length) : k0;
    if (BUFFER.test(k)) {
      ignored.push(k0);
      continue;
    }
    if (k === 'lm_head.weight') {
      head = v;
      ignored.push(k0);
      continue;
    }
    k = pre + k;
    if (CONV1D.test(k)) {
      const { shape, data } = asData(fn, k0, v);
      if (shape.length !== 2)
        throw new ShapeError(`${fn}: dict["${k0}"] must be a Conv1D weight [in, out], got shape ${formatShape(shape)}`);
      mapped.set(k, { shape: [shape[1]!, shape[0]!], data: transpose2(data, shape[0]!, shape[1]!) });
    } else mapped.set(k, v);
  }
  if (head !== undefined && !mapped.has(`${pre}wte.weight`)) mapped.set(`${pre}wte.weight`, head);
  return { mapped: [...mapped], ignored };
}

/** `loadStateDict`'s result plus the checkpoint keys deliberately skipped (mask buffers, the tied lm_head copy). */
export interface GPT2LoadResult extends LoadStateDictResult {
  ignored: string[];
}

/** Our state dict in Hugging Face's layout: Conv1D weights back to [in, out]. */
export function hfStateDict(m: Module): [string, { shape: number[]; data: Float32Array }][] {
  return m.namedParameters().map(([k, p]) => {
    const data = p.value.toArray() as Float32Array;
    const shape = [...p.shape];
    if (CONV1D.test(k) && shape.length === 2)
      return [k, { shape: [shape[1]!, shape[0]!], data: transpose2(data, shape[0]!, shape[1]!) }];
    return [k, { shape, data }];
  });
}

/** Load Hugging Face GPT-2 weights into `m` (the GPT2Model at `base`); strict by default. */
export function loadGPT2StateDict(
  m: Module,
  base: '' | 'transformer',
  fn: string,
  dict: Record<string, StateDictValue> | Iterable<readonly [string, StateDictValue]>,
  options: { strict?: boolean },
  load: (mapped: [string, StateDictValue][], options: { strict?: boolean }) => LoadStateDictResult,
): GPT2LoadResult {
  const { mapped, ignored } = mapCheckpoint(fn, dict, base);
  return { ...load(mapped, options), ignored };
}
