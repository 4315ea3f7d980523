/**
 * The training loop TextClassifier, SequenceTagger and the BERT heads share:
 * deterministic shuffling (Philox, per epoch, keyed by the target's seed) with length bucketing,
 * padded batches with key-padding masks, AdamW with `defaultParamGroups`, linear
 * warm-up then linear decay, global-norm clipping, progress reports, per-epoch
 * validation, checkpoints (weights, AdamW state, scheduler, dropout RNG counters,
 * shuffling position, epoch/step, config) and bit-identical resumption.
 * Every step runs inside autograd `step()`, so memory in use is flat.
 */
import { checkAbortSignal, HostYield } from './abort.js';
import { ArgumentError } from '../core/errors.js';
import { getThreads, setThreads } from '../core/threads.js';
import { Philox } from '../core/rng.js';
import { step, type Variable } from '../autograd/tape.js';
import { AdamW } from '../optim/optimizer.js';
import { defaultParamGroups } from '../optim/groups.js';
import { LRScheduler, linearWarmupDecay, type LRSchedulerState } from '../optim/schedule.js';
import { clipGradients } from '../optim/clip.js';
import { encodeCheckpoint, decodeCheckpoint } from '../io/checkpoint.js';
import type { DropoutRngState, Module } from '../nn/module.js';
import type { SequenceInput, Unit } from '../models/encoder/model.js';

export interface FitOptions<E = unknown> {
  /** Passes over the training data; default 3. */
  epochs?: number;
  /** Examples (classifier, BERT) or chunks (tagger) per step; default 32. Batches are padded to their longest sequence. */
  batchSize?: number;
  /** Peak learning rate; default 1e-3. */
  lr?: number;
  /** AdamW decoupled weight decay (not on biases / LayerNorm: defaultParamGroups); default 0.01. */
  weightDecay?: number;
  /** Fraction of all steps of linear warm-up, then linear decay to 0; default 0.1. */
  warmup?: number;
  /** Global-norm gradient clipping; 0 = off; default 1.0. */
  clip?: number;
  /** Threads for GEMM / attention (setThreads for the run, restored after); > 1 needs `init({ threads: n })` first. Default 1. Results are bit-identical to 1 thread. */
  threads?: number;
  /** Evaluated after each epoch (in eval mode, no dropout): reported in progress and in the result. */
  valid?: readonly E[];
  /** Called about every 0.25 s and at each epoch end. */
  onProgress?: (p: FitProgress) => void;
  /** Called with checkpoint bytes (src/io/checkpoint.ts format) every `checkpointEvery` steps and at each epoch end; awaited. */
  onCheckpoint?: (bytes: Uint8Array, info: { step: number; epoch: number; epochEnd: boolean }) => void | Promise<void>;
  /** 0 = at epoch ends only (default). */
  checkpointEvery?: number;
  /** Resume from checkpoint bytes: the run continues bit-identically to one that never stopped. The other options must be the ones of the interrupted run. */
  resumeFrom?: Uint8Array;
  /** Length bucketing: each window of `sortWindow` batches (after shuffling) is sorted by length before it is cut into batches, whose order is then shuffled. 1 = plain shuffling. Default 50. */
  sortWindow?: number;
  /**
   * Stops training early: checked before every step (batch). Once it is aborted, training ends at
   * that step boundary, the model keeps the weights trained so far (in eval mode, as after any
   * fit), a last progress report is made and the result has `aborted: true`; no checkpoint is
   * written at the stop and `valid` is not evaluated for the unfinished epoch. Already aborted:
   * nothing is trained. With a signal, training yields a macrotask to the event loop about every
   * 50 ms (else every 0.25 s with onProgress) so an abort from a message or a timer gets through.
   * A signal that never aborts changes nothing (bit-identical weights). See docs/models.md
   * "Stopping training".
   */
  signal?: AbortSignal;
}

export interface FitProgress {
  /** 1-based epoch of the last step. */
  epoch: number;
  epochs: number;
  /** Steps done (over the whole run, resumed ones included). */
  step: number;
  steps: number;
  /** Mean training loss since the last report. */
  loss: number;
  /** Learning rate of the next step (first group). */
  lr: number;
  /** Real (non-padding) tokens per second in this call. */
  tokensPerSec: number;
  /** Seconds left, estimated from this call's speed. */
  eta: number;
  /** At epoch ends when `valid` is given. */
  validAccuracy?: number;
}

export interface FitResult {
  steps: number;
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** Mean training loss of the last epoch (when `signal` stopped training within an epoch: of that epoch's steps, if any). */
  trainLoss: number;
  /** True when `signal` ended training before all epochs. */
  aborted: boolean;
  validAccuracy?: number;
  history: { epoch: number; loss: number; validAccuracy?: number }[];
}

/** The model a loop trains: a Module that names its class and config in checkpoints. */
export interface FitModel extends Module {
  readonly kind: string;
  configJson(): string;
}

/** What a model gives the loop. */
export interface FitTarget<E extends SequenceInput> {
  model: FitModel;
  /** Key of the shuffling generator (the model's config seed). */
  seed: number;
  /** State of the target's own generators (for example the masking counter), saved in checkpoints and restored on resume. */
  state?: { save(): unknown; load(state: unknown): void };
  /** Validates every example (typed errors naming `arg`[i]) and returns the batch units. */
  units(fn: string, arg: string, data: readonly E[]): Unit[];
  /** The mean loss of a batch (inside step(); tensors tape-owned). */
  batchLoss(data: readonly E[], units: readonly Unit[]): Variable;
  /** Accuracy on `data` (eval mode, noGrad). */
  accuracy(data: readonly E[], batchSize: number): number;
}

/** Stream of the shuffling generator ("shuffle" in ASCII); its key is the config seed. */
const SHUFFLE_STREAM = 0x73687566;
/** The keys FitOptions may have. */
export const FIT_OPTION_KEYS: readonly string[] = ['epochs', 'batchSize', 'lr', 'weightDecay', 'warmup', 'clip', 'threads', 'valid', 'onProgress', 'onCheckpoint', 'checkpointEvery', 'resumeFrom', 'sortWindow', 'signal'];

interface Resolved {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmup: number;
  clip: number;
  threads: number;
  checkpointEvery: number;
  sortWindow: number;
}

interface Position {
  step: number;
  epoch: number;
  batch: number;
  shuffleCounter: number;
}

interface Progress {
  lossSum: number;
  lossCount: number;
  history: FitResult['history'];
}

function num(fn: string, name: string, v: unknown, ok: (x: number) => boolean, expect: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new ArgumentError(`${fn}: options.${name} must be ${expect}, got ${typeof v === 'number' ? v : typeof v}`);
  return v;
}

function resolveOptions(fn: string, o: FitOptions<unknown>): Resolved {
  if (o === null || typeof o !== 'object') throw new ArgumentError(`${fn}: options must be an object, got ${String(o)}`);
  for (const k of Object.keys(o)) if (!FIT_OPTION_KEYS.includes(k)) throw new ArgumentError(`${fn}: options must have only the keys ${FIT_OPTION_KEYS.join(', ')}, got '${k}'`);
  const posInt = (x: number) => Number.isSafeInteger(x) && x >= 1;
  const r: Resolved = {
    epochs: num(fn, 'epochs', o.epochs ?? 3, posInt, 'a positive integer'),
    batchSize: num(fn, 'batchSize', o.batchSize ?? 32, posInt, 'a positive integer'),
    lr: num(fn, 'lr', o.lr ?? 1e-3, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0'),
    weightDecay: num(fn, 'weightDecay', o.weightDecay ?? 0.01, (x) => Number.isFinite(x) && x >= 0, 'a finite number >= 0'),
    warmup: num(fn, 'warmup', o.warmup ?? 0.1, (x) => x >= 0 && x <= 1, 'a number in [0, 1]'),
    clip: num(fn, 'clip', o.clip ?? 1.0, (x) => Number.isFinite(x) && x >= 0, 'a finite number >= 0 (0 = off)'),
    threads: num(fn, 'threads', o.threads ?? 1, (x) => Number.isInteger(x) && x >= 1 && x <= 64, 'an integer in [1, 64]'),
    checkpointEvery: num(fn, 'checkpointEvery', o.checkpointEvery ?? 0, (x) => Number.isSafeInteger(x) && x >= 0, 'an integer >= 0 (0 = epoch ends only)'),
    sortWindow: num(fn, 'sortWindow', o.sortWindow ?? 50, posInt, 'a positive integer'),
  };
  for (const k of ['onProgress', 'onCheckpoint'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new ArgumentError(`${fn}: options.${k} must be a function, got ${typeof o[k]}`);
  }
  if (o.valid !== undefined && !Array.isArray(o.valid)) throw new ArgumentError(`${fn}: options.valid must be an array of examples, got ${typeof o.valid}`);
  if (o.resumeFrom !== undefined && !(o.resumeFrom instanceof Uint8Array)) throw new ArgumentError(`${fn}: options.resumeFrom must be a Uint8Array (checkpoint bytes), got ${typeof o.resumeFrom}`);
  checkAbortSignal(fn, 'options.signal', o.signal);
  return r;
}

/**
 * The batches of one epoch (lists of unit indices): a Fisher–Yates shuffle of all
 * units, windows of `sortWindow · batchSize` sorted by length (stable, longest
 * first), cut into batches, and the batch order shuffled. Draws from a fresh
 * Philox at `counter`; returns the counter after the last block used.
 */
export function epochBatches(units: readonly Unit[], batchSize: number, sortWindow: number, seed: number, counter: number): { batches: number[][]; counter: number } {
  const rng = new Philox(seed, SHUFFLE_STREAM, counter);
  const n = units.length;
  const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const batches: number[][] = [];
  const w = batchSize * sortWindow;
  for (let s = 0; s < n; s += w) {
    const win = perm.slice(s, Math.min(n, s + w));
    if (sortWindow > 1) win.sort((a, b) => units[b]!.len - units[a]!.len);
    for (let i = 0; i < win.length; i += batchSize) batches.push(win.slice(i, i + batchSize));
  }
  if (sortWindow > 1) rng.shuffle(batches);
  return { batches, counter: rng.counter };
}

/** FNV-1a (32 bits) over every example's length and token ids: resuming checks that the data are the same. */
export function idsHash(data: readonly SequenceInput[]): number {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h = Math.imul(h ^ (x & 0xffff), 0x01000193);
    h = Math.imul(h ^ (x >>> 16), 0x01000193);
  };
  for (const e of data) {
    mix(e.ids.length);
    for (let i = 0; i < e.ids.length; i++) mix(e.ids[i]!);
  }
  return h >>> 0;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The shared loop behind `fit`: `fn` names the caller in errors; `target` supplies validation, the batch loss and accuracy. */
export async function fitModel<E extends SequenceInput>(fn: string, target: FitTarget<E>, train: readonly E[], options: FitOptions<E> = {}): Promise<FitResult> {
  const o = resolveOptions(fn, options as FitOptions<unknown>);
  const model = target.model;
  if (!Array.isArray(train)) throw new ArgumentError(`${fn}: train must be an array of examples, got ${train === null ? 'null' : typeof train}`);
  if (train.length === 0) throw new ArgumentError(`${fn}: train must hold at least one example, got 0`);
  const units = target.units(fn, 'train', train);
  if (units.length === 0) throw new ArgumentError(`${fn}: train must hold at least one token, got only empty sequences`);
  const valid = options.valid;
  if (valid !== undefined) {
    if (valid.length === 0) throw new ArgumentError(`${fn}: options.valid must hold at least one example, got 0`);
    target.units(fn, 'options.valid', valid);
  }
  const perEpoch = Math.ceil(units.length / o.batchSize);
  const totalSteps = o.epochs * perEpoch;
  const seed = target.seed;
  const fitMeta = {
    epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, weightDecay: o.weightDecay, warmup: o.warmup, clip: o.clip, sortWindow: o.sortWindow, units: units.length,
    tokens: idsHash(train), seed,
  };

  // threads > 1: GEMM and attention split over the worker pool (bit-identical to 1 thread); the setting is restored after.
  const prevThreads = getThreads();
  if (o.threads !== prevThreads) setThreads(o.threads);
  const opt = new AdamW(defaultParamGroups(model.namedParameters()), { lr: o.lr, weightDecay: o.weightDecay });
  const sched = new LRScheduler(opt, linearWarmupDecay({ warmupSteps: Math.round(o.warmup * totalSteps), totalSteps }));
  let pos: Position = { step: 0, epoch: 0, batch: 0, shuffleCounter: 0 };
  let prog: Progress = { lossSum: 0, lossCount: 0, history: [] };
  const signal = options.signal;
  const host = HostYield.forTraining(signal, options.onProgress !== undefined, 250);

  try {
    if (options.resumeFrom !== undefined) {
      const ck = decodeCheckpoint(options.resumeFrom);
      const m = ck.meta;
      if (m.model !== model.kind) throw new ArgumentError(`${fn}: options.resumeFrom must be a ${model.kind} checkpoint, got ${JSON.stringify(m.model)}`);
      if (JSON.stringify(m.config) !== model.configJson()) {
        throw new ArgumentError(`${fn}: options.resumeFrom must have this model's config ${model.configJson()}, got ${JSON.stringify(m.config)}`);
      }
      const f = m.fit as Record<string, unknown>;
      for (const [k, v] of Object.entries(fitMeta)) {
        if (k === 'seed' && f?.seed === undefined) continue; // checkpoints written before the seed was recorded
        if (f?.[k] !== v) {
          const what = k === 'units' ? 'train (its number of batch units)' : k === 'tokens' ? 'train (the hash of its token ids)' : k === 'seed' ? 'the model seed (shuffling, masking)' : `options.${k}`;
          throw new ArgumentError(`${fn}: ${what} must equal the checkpoint's ${JSON.stringify(f?.[k])}, got ${v}`);
        }
      }
      if (ck.optimizer === null) throw new ArgumentError(`${fn}: options.resumeFrom must hold the optimizer state, got none`);
      model.loadStateDict(ck.weights);
      opt.loadStateDict(ck.optimizer);
      sched.loadStateDict(m.scheduler as LRSchedulerState);
      model.loadRngState(m.rng as Record<string, DropoutRngState>);
      if (target.state !== undefined) target.state.load(m.target);
      pos = { ...(m.position as Position) };
      prog = JSON.parse(JSON.stringify(m.progress)) as Progress;
    }

    const checkpoint = async (p: Position, info: { step: number; epoch: number; epochEnd: boolean }) => {
      if (options.onCheckpoint === undefined) return;
      const bytes = encodeCheckpoint({
        weights: model.stateDict(),
        optimizer: opt.stateDict(),
        meta: {
          model: model.kind, config: JSON.parse(model.configJson()), fit: fitMeta, scheduler: sched.stateDict(), rng: model.rngState(),
          position: p, progress: prog, ...(target.state !== undefined ? { target: target.state.save() } : {}),
        },
      });
      await options.onCheckpoint(bytes, info);
    };

    const t0 = now();
    let lastReport = t0, tokens = 0, stepsHere = 0, repLoss = 0, repCount = 0, lastLoss = NaN;
    // loss: the mean since the previous report; at an epoch end (epochLoss given) the epoch's mean.
    const report = (epoch: number, validAccuracy?: number, epochLoss?: number) => {
      const el = (now() - t0) / 1000;
      const p: FitProgress = {
        epoch: epoch + 1, epochs: o.epochs, step: pos.step, steps: totalSteps,
        loss: epochLoss ?? (repCount > 0 ? repLoss / repCount : prog.lossCount > 0 ? prog.lossSum / prog.lossCount : lastLoss),
        lr: opt.paramGroups[0]!.lr, tokensPerSec: el > 0 ? tokens / el : 0,
        eta: stepsHere > 0 ? (el / stepsHere) * (totalSteps - pos.step) : NaN,
      };
      if (validAccuracy !== undefined) p.validAccuracy = validAccuracy;
      if (Number.isFinite(p.loss)) lastLoss = p.loss;
      repLoss = 0;
      repCount = 0;
      options.onProgress?.(p);
    };

    model.train();
    const params = opt.parameters();
    let trainLoss = prog.history.length > 0 ? prog.history[prog.history.length - 1]!.loss : NaN;
    let validAccuracy: number | undefined = prog.history.length > 0 ? prog.history[prog.history.length - 1]!.validAccuracy : undefined;
    let aborted = false;
    while (pos.epoch < o.epochs) {
      const epoch = pos.epoch;
      const { batches, counter: nextCounter } = epochBatches(units, o.batchSize, o.sortWindow, seed, pos.shuffleCounter);
      for (let b = pos.batch; b < batches.length; b++) {
        if (signal !== undefined && signal.aborted) {
          aborted = true;
          break;
        }
        const bu = batches[b]!.map((i) => units[i]!);
        const loss = step(() => {
          const l = target.batchLoss(train, bu);
          l.backward();
          const norm = o.clip > 0 ? clipGradients(params, o.clip) : 0;
          if (Number.isFinite(norm)) opt.step(); // a non-finite gradient skips the update (the schedule still advances)
          sched.step();
          opt.zeroGrad();
          return l.item();
        });
        for (const u of bu) tokens += u.len;
        stepsHere++;
        pos.step++;
        pos.batch = b + 1;
        prog.lossSum += loss;
        prog.lossCount++;
        repLoss += loss;
        repCount++;
        const t = now();
        if (options.onProgress !== undefined && t - lastReport >= 250) {
          lastReport = t;
          report(epoch);
        }
        await host.maybe(); // let the host breathe (rendering, I/O, a Stop message)
        if (o.checkpointEvery > 0 && pos.step % o.checkpointEvery === 0 && pos.batch < batches.length) {
          await checkpoint({ ...pos }, { step: pos.step, epoch: epoch + 1, epochEnd: false });
        }
      }
      if (aborted) {
        if (prog.lossCount > 0) trainLoss = prog.lossSum / prog.lossCount;
        report(epoch);
        break;
      }
      trainLoss = prog.lossCount > 0 ? prog.lossSum / prog.lossCount : NaN;
      validAccuracy = undefined;
      if (valid !== undefined) {
        validAccuracy = target.accuracy(valid, o.batchSize);
        model.train();
      }
      prog.history.push(validAccuracy === undefined ? { epoch: epoch + 1, loss: trainLoss } : { epoch: epoch + 1, loss: trainLoss, validAccuracy });
      prog.lossSum = 0;
      prog.lossCount = 0;
      pos = { step: pos.step, epoch: epoch + 1, batch: 0, shuffleCounter: nextCounter };
      report(epoch, validAccuracy, trainLoss);
      await checkpoint({ ...pos }, { step: pos.step, epoch: epoch + 1, epochEnd: true });
    }
    const result: FitResult = { steps: pos.step, seconds: (now() - t0) / 1000, trainLoss, aborted, history: prog.history };
    if (validAccuracy !== undefined) result.validAccuracy = validAccuracy;
    return result;
  } finally {
    host.close();
    model.eval();
    opt.dispose();
    if (getThreads() !== prevThreads) setThreads(prevThreads);
  }
}
