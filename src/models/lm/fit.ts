/**
 * What `NeuralLM.fit` and `LstmLM.fit` share, written once: the options both take and
 * their checks, the loop's settings (AdamW, clipping, the plateau hooks on validation
 * perplexity, checkpoints, progress in tokens, the signal, gradient-flow diagnostics),
 * the hashes of the streams a resume compares, and the result. Each model adds its
 * batching (the TrainTask) and its own options.
 */
import { ArgumentError } from '../../core/errors.js';
import type { Module } from '../../nn/module.js';
import { idsHash } from '../../train/batches.js';
import { checkDiagnosticsOptions, type DiagnosticsOptions } from '../../train/diagnostics.js';
import { earlyStopping, reduceLrOnPlateau, restoreBest } from '../../train/hooks.js';
import type { CheckpointInfo, LoopResult, LoopSettings } from '../../train/loop.js';
import { checkCheckpointOptions, checkLr, checkOptionKeys, checkShellOptions } from '../../train/options.js';
import type { Progress } from '../../train/progress.js';
import { bool, checkStream, intIn } from './words.js';

/** The options of `NeuralLM.fit` and `LstmLM.fit` (each documents its batch, learning-rate and clipping defaults). */
export interface LMFitOptions {
  /** Maximum passes over the training stream; default 10. */
  epochs?: number;
  /** The batch: what a step trains on. */
  batchSize?: number;
  /** AdamW learning rate. */
  lr?: number;
  /** AdamW decoupled weight decay (not on biases); default 0. */
  weightDecay?: number;
  /** Global-norm gradient clipping; 0 = off. */
  clip?: number;
  /** Threads for the GEMMs (needs `init({ threads: n })`); bit-identical to 1; default 1. */
  threads?: number;
  /** Validation stream: perplexity after each epoch drives learning-rate decay, early stopping and the best weights. */
  valid?: Int32Array;
  /** Stop after this many epochs in a row without a better validation perplexity; default 2. */
  patience?: number;
  /** Multiply the learning rate by this after an epoch without a better validation perplexity; default 0.5 (1 = never). */
  lrDecay?: number;
  /** With `valid`: end with the weights of the best validation epoch; default true. */
  restoreBest?: boolean;
  /** Stop after this many steps of this call (benchmarks, tests); default none. */
  maxSteps?: number;
  /** Called about every 0.25 s during an epoch and at each epoch end (with the validation figures); items are tokens. */
  onProgress?: (p: Progress) => void;
  /**
   * Called with checkpoint bytes at each epoch end (`epoch` = epochs done, `epochEnd` true) and every
   * `checkpointEvery` steps within an epoch (`epoch` = the 1-based epoch under way); awaited.
   */
  onCheckpoint?: (bytes: Uint8Array, info: CheckpointInfo) => void | Promise<void>;
  /** 0 = epoch ends only (default). */
  checkpointEvery?: number;
  /** Resume from checkpoint bytes: the run continues bit-identically to one that never stopped (the other options must be the same). */
  resumeFrom?: Uint8Array;
  /**
   * Stops training early: checked before every step. Once it is aborted, training ends at that step
   * boundary with the weights trained so far (`restoreBest` is not applied, as with `maxSteps`), a
   * last progress report is made and the result has `aborted: true` (and `stopped: true`); no
   * checkpoint is written at the stop. Already aborted: nothing is trained. With a signal,
   * training yields a macrotask to the event loop about every 50 ms (else every 0.25 s with
   * onProgress) so an abort from a message or a timer gets through. A signal that never aborts
   * changes nothing (bit-identical weights). See docs/models.md "Stopping training".
   */
  signal?: AbortSignal;
  /**
   * Gradient-flow diagnostics: every `every` steps, that step's progress report (forced, not
   * throttled) carries `diagnostics` with the L2 norm of the gradients per parameter group
   * (`groupBy`, default `parameterGroup`: `embeddings`, `hidden`, `output`, `direct` for NeuralLM;
   * `embedding`, `lstm.l0`, `lstm.l1`, …, `decoder` for LstmLM), measured after backward and
   * before clipping, their total norm, and (`activations`, default true) the statistics of the
   * outputs of the model's top-level modules (or of the module paths listed). Measured only with
   * onProgress; training is bit-identical with or without it. See docs/models.md
   * "Gradient-flow diagnostics".
   */
  diagnostics?: DiagnosticsOptions;
}

/** The keys LMFitOptions may have. */
export const LM_FIT_KEYS: readonly string[] = [
  'epochs',
  'batchSize',
  'lr',
  'weightDecay',
  'clip',
  'threads',
  'valid',
  'patience',
  'lrDecay',
  'restoreBest',
  'maxSteps',
  'onProgress',
  'onCheckpoint',
  'checkpointEvery',
  'resumeFrom',
  'signal',
  'diagnostics',
];

/** One epoch of a language model's fit: training loss, learning rate, validation perplexity, time. */
export interface LMEpoch {
  epoch: number;
  /** Mean training cross-entropy of the epoch (nats, dropout on). */
  loss: number;
  lr: number;
  validPerplexity?: number;
  seconds: number;
}

/** What a language model's fit returns: steps, epochs, time, whether training stopped early, the best validation perplexity, the epochs' history. */
export interface LMFitResult {
  steps: number;
  epochs: number;
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** True when training ended before all epochs: patience ran out, maxSteps, or the signal. */
  stopped: boolean;
  /** True when `signal` ended training (then `stopped` is true too). */
  aborted: boolean;
  /** Best validation perplexity and its epoch (with `valid`). */
  bestValidPerplexity?: number;
  bestEpoch?: number;
  history: LMEpoch[];
}

/** The checked LMFitOptions a checkpoint records (in this order), besides the streams' hashes. */
export interface LMFitChecked {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  clip: number;
  patience: number;
  lrDecay: number;
}

/**
 * Checks `options` of `fn` (its keys `keys`; the defaults of batchSize, lr and clip are the
 * model's), the `train` stream and `options.valid` (ids in [0, model.config.vocabSize),
 * valid not empty), and returns the loop's settings (the plateau hooks with `valid`).
 */
export function lmFitSettings(
  fn: string,
  model: Module & { config: { vocabSize: number } },
  train: Int32Array,
  options: LMFitOptions,
  keys: readonly string[],
  defaults: { batchSize: number; lr: number; clip: number },
): { settings: LoopSettings; valid: Int32Array | undefined; fit: LMFitChecked } {
  checkOptionKeys(fn, options, keys);
  const V = model.config.vocabSize;
  checkStream(fn, 'train', train, V);
  const valid = options.valid === undefined ? undefined : checkStream(fn, 'options.valid', options.valid, V);
  if (valid !== undefined && valid.length === 0)
    throw new ArgumentError(`${fn}: options.valid must hold at least one token, got 0`);
  const num = (name: string, v: unknown, ok: (x: number) => boolean, expect: string): number => {
    if (typeof v !== 'number' || !ok(v))
      throw new ArgumentError(`${fn}: options.${name} must be ${expect}, got ${String(v)}`);
    return v;
  };
  const finiteNonNeg = (x: number) => Number.isFinite(x) && x >= 0;
  const epochs = intIn(fn, 'options.epochs', options.epochs ?? 10, 1);
  const batchSize = intIn(fn, 'options.batchSize', options.batchSize ?? defaults.batchSize, 1);
  const lr = checkLr(fn, 'options.lr', options.lr ?? defaults.lr);
  const weightDecay = num('weightDecay', options.weightDecay ?? 0, finiteNonNeg, 'a finite number >= 0');
  const clip = num('clip', options.clip ?? defaults.clip, finiteNonNeg, 'a finite number >= 0 (0 = off)');
  const threads = checkShellOptions(fn, options, 'options.');
  const patience = intIn(fn, 'options.patience', options.patience ?? 2, 1);
  const lrDecay = num('lrDecay', options.lrDecay ?? 0.5, (x) => x > 0 && x <= 1, 'a number in (0, 1]');
  const best = bool(fn, 'options.restoreBest', options.restoreBest ?? true);
  const maxSteps = options.maxSteps === undefined ? Infinity : intIn(fn, 'options.maxSteps', options.maxSteps, 1);
  const checkpointEvery = intIn(fn, 'options.checkpointEvery', options.checkpointEvery ?? 0, 0);
  checkCheckpointOptions(fn, options);
  const diagnostics = checkDiagnosticsOptions(fn, 'options.diagnostics', options.diagnostics, model);
  const hooks =
    valid === undefined
      ? []
      : [reduceLrOnPlateau({ factor: lrDecay }), earlyStopping({ patience }), ...(best ? [restoreBest()] : [])];
  const settings: LoopSettings = {
    epochs,
    lr,
    weightDecay,
    clip,
    threads,
    checkpointEvery,
    maxSteps,
    hooks,
    monitor: { metric: 'validPerplexity', mode: 'min' },
    timedHistory: true,
    unit: 'tokens',
    onProgress: options.onProgress,
    onCheckpoint: options.onCheckpoint,
    resumeFrom: options.resumeFrom,
    signal: options.signal,
    diagnostics,
  };
  return { settings, valid, fit: { epochs, batchSize, lr, weightDecay, clip, patience, lrDecay } };
}

/** The hashes of the training and validation streams a checkpoint records (a resume compares them). */
export function streamHashes(
  train: Int32Array,
  valid: Int32Array | undefined,
): { tokens: number; valid: number | null } {
  return { tokens: idsHash([{ ids: train }]), valid: valid === undefined ? null : idsHash([{ ids: valid }]) };
}

/** How a resume's mismatch of `streamHashes` names them (TrainTask.metaNames). */
export const STREAM_META_NAMES: Readonly<Record<string, string>> = {
  tokens: 'train (the hash of its ids)',
  valid: 'options.valid (the hash of its ids)',
};

/** The loop's result as a language model's fit returns it, with the model's `extra` figures. */
export function lmFitResult<X extends object>(r: LoopResult, extra: X): LMFitResult & X {
  const result: LMFitResult & X = {
    steps: r.steps,
    epochs: r.epochs,
    seconds: r.seconds,
    stopped: r.stopped,
    aborted: r.aborted,
    ...extra,
    history: r.history as LMEpoch[],
  };
  if (r.best !== undefined) {
    result.bestValidPerplexity = r.best;
    result.bestEpoch = r.bestEpoch!;
  }
  return result;
}
