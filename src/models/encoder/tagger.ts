/**
 * SequenceTagger: embeddings (+ sub-word means) → encoder (Transformer, LSTM, GRU or CNN) → per-token
 * linear → tag logits; the loss counts real tokens only (padding targets are
 * ignoreIndex). Sequences longer than `maxLen` are cut into consecutive chunks
 * of maxLen tokens, each encoded on its own (in training, evaluation and prediction).
 */
import { ArgumentError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { tape, type Variable } from '../../autograd/tape.js';
import * as F from '../../autograd/functional.js';
import { loadSaved } from '../../io/saved-model.js';
import {
  EncoderModel,
  chunkUnits,
  resolveEncoderConfig,
  type EncoderModelConfig,
  type ResolvedEncoderConfig,
  type SequenceInput,
  type Unit,
  type PaddedBatch,
} from './model.js';
import { fitModel, type FitOptions, type FitResult } from '../../train/loop.js';
import { batchSizeArg, scoreRows, softmaxRow } from './scores.js';

/** SequenceTagger's configuration: the encoder's and the number of tags. */
export interface TaggerConfig extends EncoderModelConfig {
  numTags: number;
}

/** One example for SequenceTagger: token ids, one tag per token, optional sub-word bucket ids. */
export interface TaggingExample {
  ids: ArrayLike<number>;
  /** One tag per token, in [0, numTags). */
  tags: ArrayLike<number>;
  /** subwords[i] = the n-gram bucket ids of token i (in [0, subwordBuckets); may be empty). */
  subwords?: ArrayLike<number>[];
}

/** A TaggerConfig with every default filled in. */
export type ResolvedTaggerConfig = ResolvedEncoderConfig & { numTags: number };

const IGNORE = -100;

/** A sequence tagger: EncoderModel (any encoder), then a linear layer to tag logits at every token. */
export class SequenceTagger extends EncoderModel {
  readonly config: ResolvedTaggerConfig;
  readonly kind = 'SequenceTagger';

  constructor(config: TaggerConfig) {
    const fn = 'SequenceTagger';
    const base = resolveEncoderConfig(fn, config, ['numTags']);
    const numTags = config.numTags;
    if (!Number.isInteger(numTags) || numTags < 1 || numTags > 2 ** 31 - 1)
      throw new ArgumentError(`${fn}: config.numTags must be a positive integer, got ${String(numTags)}`);
    super(base, numTags);
    this.config = { ...base, numTags };
  }

  /** Tag logits [B, S, numTags] of a padded batch. */
  logits(batch: PaddedBatch): Variable {
    return this.classifier.forward(this.encode(batch));
  }

  private units(
    fn: string,
    arg: string,
    data: readonly (SequenceInput & { tags?: ArrayLike<number> })[],
    tags: boolean,
  ): Unit[] {
    if (!Array.isArray(data))
      throw new ArgumentError(
        `${fn}: ${arg} must be an array of examples, got ${data === null ? 'null' : typeof data}`,
      );
    const T = this.config.numTags;
    const out: Unit[] = [];
    data.forEach((e, i) => {
      this.checkInput(fn, `${arg}[${i}]`, e);
      if (tags) {
        const t = e.tags;
        if (t === null || t === undefined || typeof t !== 'object' || typeof t.length !== 'number')
          throw new ArgumentError(
            `${fn}: ${arg}[${i}].tags must be an array of tag ids, got ${t === null ? 'null' : typeof t}`,
          );
        if (t.length !== e.ids.length)
          throw new ArgumentError(
            `${fn}: ${arg}[${i}].tags must have one tag per token (${e.ids.length}), got length ${t.length}`,
          );
        for (let j = 0; j < t.length; j++) {
          const v = t[j]!;
          if (!Number.isInteger(v) || v < 0 || v >= T)
            throw new ArgumentError(
              `${fn}: ${arg}[${i}].tags[${j}] must be an integer in [0, ${T}) (numTags), got ${v}`,
            );
        }
      }
      for (const u of chunkUnits(i, e.ids.length, this.config.maxLen)) out.push(u);
    });
    return out;
  }

  /** Trains with AdamW (see FitOptions); the loss is the mean cross-entropy over the real tokens of a batch. */
  fit(train: readonly TaggingExample[], options: FitOptions<TaggingExample> = {}): Promise<FitResult> {
    return fitModel(
      'SequenceTagger.fit',
      {
        model: this,
        seed: this.config.seed,
        units: (f, arg, data) => this.units(f, arg, data, true),
        batchLoss: (data, units) => {
          const batch = this.makeBatch(data, units, true);
          const t = new Int32Array(batch.B * batch.S).fill(IGNORE);
          units.forEach((u, b) => {
            const tags = data[u.ex]!.tags;
            for (let i = 0; i < u.len; i++) t[b * batch.S + i] = tags[u.start + i]!;
          });
          const targets = tape.own(Tensor.fromArray(t, [batch.B * batch.S], 'int32'));
          return F.crossEntropy(F.reshape(this.logits(batch), [batch.B * batch.S, this.config.numTags]), targets, {
            ignoreIndex: IGNORE,
          });
        },
        accuracy: (data, bs) => this.evaluate(data, { batchSize: bs }).accuracy,
      },
      train,
      options,
    );
  }

  /** Logits [len · numTags] of every input (eval mode, no gradients), chunks reassembled. */
  private logitsOf(data: readonly SequenceInput[], units: readonly Unit[], batchSize: number): Float32Array[] {
    const T = this.config.numTags;
    const out = data.map((e) => new Float32Array(e.ids.length * T));
    this.evalBatches(
      data,
      units,
      batchSize,
      (batch) => this.logits(batch),
      (bu, batch, l) => {
        bu.forEach((u, b) => out[u.ex]!.set(l.subarray(b * batch.S * T, (b * batch.S + u.len) * T), u.start * T));
      },
    );
    return out;
  }

  /** Token accuracy and mean per-token cross-entropy over `data` (eval mode); n = tokens. */
  evaluate(
    data: readonly TaggingExample[],
    options: { batchSize?: number } = {},
  ): { accuracy: number; loss: number; n: number } {
    const fn = 'SequenceTagger.evaluate';
    const bs = batchSizeArg(fn, options);
    const units = this.units(fn, 'data', data, true);
    if (units.length === 0)
      throw new ArgumentError(
        `${fn}: data must hold at least one token, got ${data.length === 0 ? 'no examples' : 'only empty sequences'}`,
      );
    const logits = this.logitsOf(data, units, bs);
    let loss = 0,
      correct = 0,
      n = 0;
    data.forEach((e, i) => {
      const r = scoreRows(logits[i]!, this.config.numTags, e.ids.length, (k) => e.tags[k]!);
      loss += r.loss;
      correct += r.correct;
      n += e.ids.length;
    });
    return { accuracy: correct / n, loss: loss / n, n };
  }

  /** The most probable tag of each token of one sequence (eval mode). */
  predict(ids: ArrayLike<number>, subwords?: ArrayLike<number>[]): Int32Array {
    return this.predictBatch([subwords === undefined ? { ids } : { ids, subwords }])[0]!;
  }

  /** Tags of each input, computed in padded batches of `batchSize` (default 32). */
  predictBatch(inputs: readonly SequenceInput[], options: { batchSize?: number } = {}): Int32Array[] {
    const T = this.config.numTags;
    return this.predictProbaBatch(inputs, options).map((p) => {
      const n = p.length / T;
      const tags = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < T; c++) if (p[i * T + c]! > p[i * T + best]!) best = c;
        tags[i] = best;
      }
      return tags;
    });
  }

  /** Tag probabilities of each input: [len · numTags] row-major per input. */
  predictProbaBatch(inputs: readonly SequenceInput[], options: { batchSize?: number } = {}): Float32Array[] {
    const fn = 'SequenceTagger.predict';
    const bs = batchSizeArg(fn, options);
    const units = this.units(fn, 'inputs', inputs, false);
    const T = this.config.numTags;
    const logits = this.logitsOf(inputs, units, bs);
    return logits.map((l) => {
      const p = new Float32Array(l.length);
      for (let i = 0; i < l.length; i += T) p.set(softmaxRow(l, i, T), i);
      return p;
    });
  }

  /** A model saved by `toSafetensors` (the config from its metadata), in eval mode. */
  static fromSafetensors(bytes: Uint8Array): SequenceTagger {
    return loadSaved(
      'SequenceTagger.fromSafetensors',
      bytes,
      'SequenceTagger',
      (c) => new SequenceTagger(c as unknown as TaggerConfig),
    );
  }
}
