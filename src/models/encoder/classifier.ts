/**
 * TextClassifier: embeddings (+ sub-word means) → encoder (Transformer, LSTM, GRU or
 * CNN) → mean / max / first-token / last-state pooling with the padding mask → linear
 * → class logits.
 * Inputs longer than `maxLen` keep their first maxLen tokens.
 */
import { ArgumentError } from '../../core/errors.js';
import { tape, type Variable } from '../../autograd/tape.js';
import * as F from '../../autograd/functional.js';
import { Tensor } from '../../core/tensor.js';
import { loadSaved } from '../../io/saved-model.js';
import { batchSizeArg, scoreRows, softmaxRow } from './scores.js';
import {
  EncoderModel,
  resolveEncoderConfig,
  type EncoderModelConfig,
  type ResolvedEncoderConfig,
  type SequenceInput,
  type Unit,
  type PaddedBatch,
  type Pooling,
} from './model.js';
import { fitModel, type FitOptions, type FitResult } from '../../train/loop.js';

/** TextClassifier's configuration: the encoder's, the number of classes and the pooling. */
export interface ClassifierConfig extends EncoderModelConfig {
  numClasses: number;
  /**
   * Default 'mean' for the Transformer, 'last' for recurrent encoders (the forward direction's
   * state at the last real token and the reverse direction's after reading back to the first),
   * 'max' (max over time) for the CNN.
   */
  pooling?: Pooling;
}

/** One example for TextClassifier: token ids, the class, optional sub-word bucket ids. */
export interface ClassificationExample {
  ids: ArrayLike<number>;
  label: number;
  /** subwords[i] = the n-gram bucket ids of token i (in [0, subwordBuckets); may be empty). */
  subwords?: ArrayLike<number>[];
}

/** A ClassifierConfig with every default filled in. */
export type ResolvedClassifierConfig = ResolvedEncoderConfig & {
  numClasses: number;
  pooling: Pooling;
};

/** A text classifier: EncoderModel, then mean, max, first-token or last-state pooling and a linear layer to class logits. */
export class TextClassifier extends EncoderModel {
  readonly config: ResolvedClassifierConfig;
  readonly kind = 'TextClassifier';

  constructor(config: ClassifierConfig) {
    const fn = 'TextClassifier';
    const base = resolveEncoderConfig(fn, config, ['numClasses', 'pooling']);
    const numClasses = config.numClasses;
    if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 2 ** 31 - 1) {
      throw new ArgumentError(`${fn}: config.numClasses must be a positive integer, got ${String(numClasses)}`);
    }
    const pooling =
      config.pooling ??
      (base.encoder === 'lstm' || base.encoder === 'gru' ? 'last' : base.encoder === 'cnn' ? 'max' : 'mean');
    if (pooling !== 'mean' && pooling !== 'max' && pooling !== 'first' && pooling !== 'last')
      throw new ArgumentError(
        `${fn}: config.pooling must be one of 'mean', 'max', 'first', 'last', got ${JSON.stringify(pooling)}`,
      );
    super(base, numClasses);
    this.config = { ...base, numClasses, pooling };
  }

  /** Class logits [B, numClasses] of a padded batch. */
  logits(batch: PaddedBatch): Variable {
    return this.classifier.forward(this.pool(this.encode(batch), batch, this.config.pooling));
  }

  private units(
    fn: string,
    arg: string,
    data: readonly (SequenceInput & { label?: number })[],
    labels: boolean,
  ): Unit[] {
    if (!Array.isArray(data))
      throw new ArgumentError(
        `${fn}: ${arg} must be an array of examples, got ${data === null ? 'null' : typeof data}`,
      );
    const C = this.config.numClasses,
      max = this.config.maxLen;
    return data.map((e, i) => {
      this.checkInput(fn, `${arg}[${i}]`, e);
      if (e.ids.length === 0) throw new ArgumentError(`${fn}: ${arg}[${i}].ids must hold at least one token, got 0`);
      if (labels) {
        const l = e.label;
        if (!Number.isInteger(l) || l! < 0 || l! >= C)
          throw new ArgumentError(
            `${fn}: ${arg}[${i}].label must be an integer in [0, ${C}) (numClasses), got ${String(l)}`,
          );
      }
      return { ex: i, start: 0, len: Math.min(e.ids.length, max) };
    });
  }

  /** Trains with AdamW (see FitOptions); resolves when done. */
  fit(train: readonly ClassificationExample[], options: FitOptions<ClassificationExample> = {}): Promise<FitResult> {
    const fn = 'TextClassifier.fit';
    return fitModel(
      fn,
      {
        model: this,
        seed: this.config.seed,
        units: (f, arg, data) => this.units(f, arg, data, true),
        batchLoss: (data, units) => {
          const batch = this.makeBatch(data, units, true);
          const labels = tape.own(
            Tensor.fromArray(
              Int32Array.from(units, (u) => data[u.ex]!.label),
              [units.length],
              'int32',
            ),
          );
          return F.crossEntropy(this.logits(batch), labels);
        },
        accuracy: (data, bs) => this.evaluate(data, { batchSize: bs }).accuracy,
      },
      train,
      options,
    );
  }

  /** Logits of `data` in batches (eval mode, no gradients); row i = example i. */
  private logitsOf(data: readonly SequenceInput[], units: readonly Unit[], batchSize: number): Float32Array {
    const C = this.config.numClasses;
    const out = new Float32Array(units.length * C);
    // units[r].ex = r here (one unit per example): logits row r goes to out row r
    this.evalBatches(
      data,
      units,
      batchSize,
      (batch) => this.logits(batch),
      (bu, _batch, l) => {
        bu.forEach((u, r) => out.set(l.subarray(r * C, (r + 1) * C), u.ex * C));
      },
    );
    return out;
  }

  /** Accuracy and mean cross-entropy over `data` (eval mode, no dropout). */
  evaluate(
    data: readonly ClassificationExample[],
    options: { batchSize?: number } = {},
  ): { accuracy: number; loss: number; n: number } {
    const fn = 'TextClassifier.evaluate';
    const bs = batchSizeArg(fn, options);
    const units = this.units(fn, 'data', data, true);
    if (units.length === 0) throw new ArgumentError(`${fn}: data must hold at least one example, got 0`);
    const logits = this.logitsOf(data, units, bs);
    const { loss, correct } = scoreRows(logits, this.config.numClasses, units.length, (r) => data[r]!.label);
    return { accuracy: correct / units.length, loss: loss / units.length, n: units.length };
  }

  /** Class probabilities of one sequence (eval mode). */
  predict(ids: ArrayLike<number>, subwords?: ArrayLike<number>[]): Float32Array {
    return this.predictBatch([subwords === undefined ? { ids } : { ids, subwords }])[0]!;
  }

  /** Class probabilities of each input, computed in padded batches of `batchSize` (default 32). */
  predictBatch(inputs: readonly SequenceInput[], options: { batchSize?: number } = {}): Float32Array[] {
    const fn = 'TextClassifier.predict';
    const bs = batchSizeArg(fn, options);
    const units = this.units(fn, 'inputs', inputs, false);
    const C = this.config.numClasses;
    const logits = this.logitsOf(inputs, units, bs);
    return units.map((_, i) => softmaxRow(logits, i * C, C));
  }

  /** A model saved by `toSafetensors` (the config from its metadata), in eval mode. */
  static fromSafetensors(bytes: Uint8Array): TextClassifier {
    return loadSaved(
      'TextClassifier.fromSafetensors',
      bytes,
      'TextClassifier',
      (c) => new TextClassifier(c as unknown as ClassifierConfig),
    );
  }
}
