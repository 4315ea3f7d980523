/**
 * GPT2LMHeadModel: GPT-2 with its language-model head (the output layer tied to
 * `transformer.wte`), loading and saving Hugging Face model directories
 * (config.json, model.safetensors in F32 / F16 / BF16, tokenizer.json), decoding
 * sessions with a KV cache, and `generate` / `stream` over text or ids.
 */
import { checkBytes, checkObject, describe } from '../../core/check.js';
import { ArgumentError, VocabError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import * as F from '../../autograd/functional.js';
import type { Variable } from '../../autograd/tape.js';
import { Dropout, Module, type StateDictValue, building, initOutermost } from '../../nn/module.js';
import { decodeSafetensors, encodeSafetensors } from '../../io/safetensors.js';
import { ByteLevelBPE } from '../../text/bpe.js';
import { type GPT2Config, type GPT2ConfigInput, gpt2Config, gpt2ConfigJson } from './config.js';
import { type CausalLM, type GenerationOptions, generate, stream } from './generate.js';
import {
  type GPT2ForwardOptions,
  type GPT2LoadResult,
  GPT2Model,
  gpt2Init,
  hfStateDict,
  loadGPT2StateDict,
} from './modeling.js';
import { GPT2Session, type SessionOptions } from './session.js';

/** The files of a Hugging Face GPT-2 directory as `fromPretrained` takes them. */
export interface GPT2PretrainedFiles {
  /** config.json: its text or the parsed object. */
  config: string | Record<string, unknown>;
  /** model.safetensors bytes (F32, F16 or BF16 tensors): a Uint8Array (a Node Buffer too) or an ArrayBuffer. */
  weights: Uint8Array | ArrayBuffer;
  /** tokenizer.json (text or object): a byte-level BPE tokenizer. */
  tokenizer?: string | Record<string, unknown>;
  /**
   * Refuse a checkpoint with missing or unexpected weights (StateDictError); default false:
   * as Hugging Face, missing weights get GPT-2's initialisation (seed 0), and both lists are
   * in `model.loadingInfo`.
   */
  strict?: boolean;
}

/** The files `toPretrained` writes (and `fromPretrained` reads back through their contents). */
export interface GPT2PretrainedOutput {
  'config.json': string;
  'model.safetensors': Uint8Array;
  /** Present when the model has a tokenizer. */
  'tokenizer.json'?: string;
}

/** Text prompts need a tokenizer; ids are checked by the session. */
function promptIds(fn: string, m: { tokenizer: ByteLevelBPE | null }, input: unknown): Int32Array | number[] {
  if (typeof input === 'string') {
    if (m.tokenizer === null)
      throw new VocabError(
        `${fn}: the model must have a tokenizer (fromPretrained with tokenizer.json, or set .tokenizer) to take text, got none`,
      );
    return m.tokenizer.encode(input).ids;
  }
  if (input instanceof Int32Array || Array.isArray(input)) return input as Int32Array | number[];
  throw new ArgumentError(`${fn}: input must be text or an array of token ids, got ${describe(input)}`);
}

/**
 * `options` with eosTokenId defaulting to the config's `eos` (null turns stopping off).
 * A config's eos outside the vocabulary (a small model keeping GPT-2's 50256) can never
 * be generated, so it stops nothing, as in Hugging Face; only an explicit one is checked.
 */
function withEos(options: GenerationOptions, eos: number, vocabSize: number): GenerationOptions {
  if (options.eosTokenId !== undefined) return options;
  return { ...options, eosTokenId: eos < vocabSize ? eos : null };
}

/** Every Dropout of `m` from (seed, its path), as resetParameters sets them (without touching the weights). */
export function seedDropouts(m: Module, seed: number): void {
  for (const [path, d] of m.namedModules()) if (d instanceof Dropout) d.seedFrom(seed, path);
}

/**
 * GPT-2 with its language-model head: `transformer` (GPT2Model) and logits =
 * ln_f(h) · wteᵀ (Hugging Face's `lm_head`, tied: stored once, as save_pretrained does).
 */
export class GPT2LMHeadModel extends Module implements CausalLM {
  readonly config: GPT2Config;
  readonly transformer: GPT2Model;
  /** Byte-level BPE tokenizer: set by fromPretrained from tokenizer.json, or by the user; used by text input, pipelines and toPretrained. */
  tokenizer: ByteLevelBPE | null = null;
  /** What fromPretrained loaded: the weights the file lacked (initialised), its unexpected and ignored keys; null otherwise. */
  loadingInfo: GPT2LoadResult | null = null;
  /** The seed of the last resetParameters; 0 for a loaded model. */
  seed = 0;

  constructor(config: GPT2ConfigInput = {}, options: { seed?: number } = {}) {
    super();
    const c = (this.config = gpt2Config(config, 'GPT2LMHeadModel'));
    this.transformer = building(() => new GPT2Model(c));
    this.addModule('transformer', this.transformer);
    initOutermost(this, options.seed ?? 0);
  }

  override resetParameters(seed: number): this {
    super.resetParameters(seed);
    gpt2Init(this, seed, this.config);
    this.seed = seed;
    return this;
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  get maxLength(): number {
    return this.config.nPositions;
  }

  /** ids int32 [B, S] → logits [B, S, vocabSize] (and the last hidden state [B, S, D]). */
  forward(inputIds: Tensor, options: GPT2ForwardOptions = {}): { logits: Variable; lastHiddenState: Variable } {
    const h = this.transformer.forward(inputIds, options);
    return { logits: F.linear(h, this.transformer.wte.weight), lastHiddenState: h };
  }

  /** A decoding session (batch 1): `feed(ids)` returns the logits of the next token; KV-cached unless `useCache: false`. */
  startSession(options: SessionOptions = {}): GPT2Session {
    return new GPT2Session(this.transformer, options);
  }

  /** The new token ids after `input` (text, with the tokenizer, or ids); greedy unless `doSample` (see GenerationOptions). eosTokenId defaults to config.eosTokenId. */
  generate(input: string | Int32Array | readonly number[], options: GenerationOptions = {}): Int32Array {
    const ids = promptIds('GPT2LMHeadModel.generate', this, input);
    return generate(this, ids, withEos(options, this.config.eosTokenId, this.config.vocabSize));
  }

  /** `generate` as an async iterator of token ids, yielding to the host between tokens. */
  stream(
    input: string | Int32Array | readonly number[],
    options: GenerationOptions = {},
  ): AsyncGenerator<number, void, undefined> {
    const ids = promptIds('GPT2LMHeadModel.stream', this, input);
    return stream(this, ids, withEos(options, this.config.eosTokenId, this.config.vocabSize));
  }

  /**
   * Load Hugging Face weights by name (keys with or without `transformer.`;
   * Conv1D weights [in, out] transposed; the attention-mask buffers and the tied
   * `lm_head.weight` listed as `ignored`). Strict by default.
   */
  override loadStateDict(
    dict: Record<string, StateDictValue> | Iterable<readonly [string, StateDictValue]>,
    options: { strict?: boolean } = {},
  ): GPT2LoadResult {
    return loadGPT2StateDict(this, 'transformer', 'GPT2LMHeadModel.loadStateDict', dict, options, (d, o) =>
      super.loadStateDict(d, o),
    );
  }

  /** config.json, model.safetensors (Hugging Face's names and Conv1D layout, F32) and, with a tokenizer, tokenizer.json. */
  toPretrained(): GPT2PretrainedOutput {
    const out: GPT2PretrainedOutput = {
      'config.json': gpt2ConfigJson(this.config, 'GPT2LMHeadModel'),
      'model.safetensors': encodeSafetensors(hfStateDict(this), { format: 'pt' }),
    };
    if (this.tokenizer !== null) out['tokenizer.json'] = this.tokenizer.toTokenizerJson();
    return out;
  }

  /** A GPT2LMHeadModel (eval mode) from the contents of a Hugging Face directory. */
  static fromPretrained(files: GPT2PretrainedFiles): GPT2LMHeadModel {
    const fn = 'GPT2LMHeadModel.fromPretrained';
    checkObject(fn, 'files', files, '{ config, weights, tokenizer? }');
    const weights = checkBytes(fn, 'files.weights', files.weights);
    const c = gpt2Config(files.config, fn);
    let tokenizer: ByteLevelBPE | null = null;
    if (files.tokenizer !== undefined) {
      tokenizer = ByteLevelBPE.fromTokenizerJson(files.tokenizer);
      if (tokenizer.size > c.vocabSize)
        throw new ArgumentError(
          `${fn}: files.tokenizer must have at most config.vocab_size (${c.vocabSize}) tokens, got ${tokenizer.size}`,
        );
    }
    const st = decodeSafetensors(weights);
    // built as a child (no random initialisation: the checkpoint overwrites every weight), dropouts seeded from 0
    const m = building(() => new GPT2LMHeadModel(c));
    seedDropouts(m, 0);
    try {
      // As Hugging Face: weights the file lacks get GPT-2's initialisation (seed 0) and are listed; strict refuses them.
      const info = m.loadStateDict(st.tensors, { strict: files.strict ?? false });
      if (info.missing.length > 0) gpt2Init(m, 0, c, new Set(info.missing));
      m.loadingInfo = info;
    } catch (e) {
      m.dispose();
      throw e;
    }
    m.tokenizer = tokenizer;
    m.seed = 0;
    return m.eval();
  }
}
