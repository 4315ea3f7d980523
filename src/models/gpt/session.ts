/**
 * Incremental decoding of a GPT2Model: a session feeds tokens one call at a
 * time and returns the logits of the next token. With the KV cache (default)
 * each layer's keys and values stay in Wasm memory (ops/kvcache.ts) and a new
 * token costs O(length) attention plus one row through every projection; without
 * it every call runs the whole prefix again (the baseline the cache is measured
 * against). Both give the same logits up to float rounding.
 */
import { ArgumentError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import * as F from '../../autograd/functional.js';
import { noGrad, step, tape, type Variable } from '../../autograd/tape.js';
import { rotary } from '../../ops/attention.js';
import { KVCache } from '../../ops/kvcache.js';
import type { CausalLMSession } from './generate.js';
import type { GPT2Model } from './modeling.js';

/** Options of `startSession`. */
export interface SessionOptions {
  /** Keep keys and values of past tokens (default true); false recomputes the prefix at every feed. */
  useCache?: boolean;
  /**
   * When the next feed would pass `config.nPositions`: false (default) throws an
   * ArgumentError; true keeps the last nPositions / 2 tokens and starts again from
   * them (positions from 0, as the training windows of GptLM), so generation can go on.
   */
  slide?: boolean;
}

/** Logits [V] of the last row of `h` [1, n, D]: ln_f unless `normed` (GPT2Model.forward applied it), then the output layer tied to `wte`. */
function lastLogits(model: GPT2Model, h: Variable, n: number, normed: boolean): Float32Array {
  const D = model.config.nEmbd;
  const row = tape.own(Tensor.fromArray((h.value.view() as Float32Array).slice((n - 1) * D, n * D), [1, D]));
  return F.linear(normed ? row : model.lnF.forward(row), model.wte.weight).value.toArray() as Float32Array;
}

/**
 * The hidden states [1, n, D] (before ln_f) of `ids` after the T0 tokens the cache
 * holds, appending theirs to the cache. T0 comes from the session, not the cache: a
 * model of 0 layers appends nothing, yet its positions go on.
 */
function cachedHidden(model: GPT2Model, cache: KVCache, ids: Int32Array, T0: number): Variable {
  const c = model.config;
  const n = ids.length;
  const idsT = tape.own(Tensor.fromArray(ids, [1, n], 'int32'));
  let h = model.embed(idsT, c.positionEmbeddingType === 'rotary' ? 0 : T0);
  for (let l = 0; l < model.h.length; l++) {
    const block = model.h.at(l);
    const [q, k, v] = block.attn.qkv(block.ln1.forward(h));
    let qt = q.value,
      kt = k.value;
    if (c.positionEmbeddingType === 'rotary') {
      qt = tape.own(rotary(qt, { offset: T0 }));
      kt = tape.own(rotary(kt, { offset: T0 }));
    }
    cache.append(l, kt, v.value);
    h = F.add(h, block.attn.project(tape.own(cache.attend(l, qt))));
    h = F.add(h, block.mlp.forward(block.ln2.forward(h)));
  }
  return h;
}

/** A decoding session over `model` (batch 1, eval mode while feeding); implements generate's CausalLMSession. */
export class GPT2Session implements CausalLMSession {
  private cache: KVCache | null = null;
  private ids: number[] = [];
  private closed = false;
  readonly useCache: boolean;
  readonly slide: boolean;

  constructor(
    private readonly model: GPT2Model,
    options: SessionOptions = {},
  ) {
    this.useCache = options.useCache ?? true;
    this.slide = options.slide ?? false;
    if (typeof this.useCache !== 'boolean')
      throw new ArgumentError(`startSession: options.useCache must be a boolean, got ${String(options.useCache)}`);
    if (typeof this.slide !== 'boolean')
      throw new ArgumentError(`startSession: options.slide must be a boolean, got ${String(options.slide)}`);
  }

  /** Tokens fed so far (after a slide: the tokens the model still sees). */
  get length(): number {
    return this.ids.length;
  }

  /** Feeds `ids` (n >= 1 ids in [0, vocabSize)) and returns the logits [vocabSize] of the token after the last. */
  feed(ids: Int32Array | readonly number[]): Float32Array {
    const fn = 'GPT2Session.feed';
    if (this.closed) throw new ArgumentError(`${fn}: the session must not be disposed, got a disposed session`);
    const c = this.model.config;
    const arr = ids instanceof Int32Array ? ids : Array.isArray(ids) ? Int32Array.from(ids) : null;
    if (arr === null || arr.length === 0)
      throw new ArgumentError(`${fn}: ids must be a non-empty Int32Array or array of token ids, got ${String(ids)}`);
    for (let i = 0; i < arr.length; i++) {
      const x = ids[i]!;
      if (!Number.isInteger(x) || x < 0 || x >= c.vocabSize)
        throw new ArgumentError(`${fn}: ids[${i}] must be a token id in [0, ${c.vocabSize}), got ${x}`);
    }
    let feed = arr;
    if (this.ids.length + arr.length > c.nPositions) {
      if (!this.slide)
        throw new ArgumentError(
          `${fn}: the tokens fed must fit in config.nPositions (${c.nPositions}), got ${this.ids.length} + ${arr.length}. ` +
            'Hint: shorten the prompt or maxNewTokens, or start the session with { slide: true }.',
        );
      const all = [...this.ids, ...arr];
      const keep = all.slice(Math.max(0, all.length - Math.max(1, c.nPositions >> 1)));
      this.ids = [];
      this.cache?.reset();
      feed = Int32Array.from(keep);
    }
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      const logits = step(() =>
        noGrad(() => {
          if (this.useCache) {
            this.cache ??= new KVCache({
              layers: Math.max(1, c.nLayer),
              batch: 1,
              heads: c.nHead,
              headDim: c.nEmbd / c.nHead,
              maxLength: c.nPositions,
            });
            return lastLogits(
              this.model,
              cachedHidden(this.model, this.cache, feed, this.ids.length),
              feed.length,
              false,
            );
          }
          const all = Int32Array.from([...this.ids, ...feed]);
          const idsT = tape.own(Tensor.fromArray(all, [1, all.length], 'int32'));
          return lastLogits(this.model, this.model.forward(idsT), all.length, true);
        }),
      );
      for (const x of feed) this.ids.push(x);
      return logits;
    } finally {
      this.model.train(wasTraining);
    }
  }

  dispose(): void {
    this.cache?.dispose();
    this.cache = null;
    this.closed = true;
  }
}
