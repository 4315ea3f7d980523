/**
 * The one training loop. Every batch trainer runs through `runLoop`: TextClassifier,
 * SequenceTagger and the BERT heads (through `fitModel`, padded-sequence batches) and
 * NeuralLM (shuffled position streams). It owns: AdamW with `defaultParamGroups`, an
 * optional per-step schedule, global-norm clipping, the threads setting, progress
 * reports, per-epoch validation and the hooks (learning-rate decay on a plateau, early
 * stopping, best-weight restore), checkpoints (weights, AdamW state, scheduler, dropout
 * RNG counters, shuffling position, hook state, config) with bit-identical resumption,
 * stopping on an AbortSignal and the host yields. Every step runs inside autograd
 * `step()`, so memory in use is flat.
 */
import { ArgumentError, DTypeError, ShapeError } from '../core/errors.js';
import { getThreads, setThreads } from '../core/threads.js';
import { step, type Variable } from '../autograd/tape.js';
import { AdamW, MAX_LR } from '../optim/optimizer.js';
import { defaultParamGroups } from '../optim/groups.js';
import { LRScheduler, linearWarmupDecay, type LRSchedulerState, type Schedule } from '../optim/schedule.js';
import { clipGradients } from '../optim/clip.js';
import { encodeCheckpoint, decodeCheckpoint } from '../io/checkpoint.js';
import type { DropoutRngState, Module } from '../nn/module.js';
import { HostYield } from './abort.js';
import { epochBatches, idsHash, type Unit } from './batches.js';
import type { TrainHook } from './hooks.js';
import { checkCheckpointOptions, checkLr, checkOptionKeys, checkShellOptions } from './options.js';
import { ProgressMeter, now, type Progress, type ProgressUnit } from './progress.js';
import {
  checkDiagnosticsOptions,
  gradientNorms,
  recordActivations,
  type DiagnosticsOptions,
  type DiagnosticsSettings,
  type TensorStats,
  type TrainingDiagnostics,
} from './diagnostics.js';

/** The model a loop trains: a Module that names its class and config in checkpoints. */
export interface FitModel extends Module {
  readonly kind: string;
  configJson(): string;
}

/** Validation metrics of an epoch. */
export interface EpochMetrics {
  validAccuracy?: number;
  validPerplexity?: number;
}

/** One epoch of the run's history. */
export interface EpochRecord extends EpochMetrics {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss of the epoch (dropout on). */
  loss: number;
  /** Learning rate at the epoch's end (before any plateau decay); with `timedHistory`. */
  lr?: number;
  /** Seconds the epoch took (resumed epochs: over all calls); with `timedHistory`. */
  seconds?: number;
}

/** What a model family gives the loop. */
export interface TrainTask {
  readonly model: FitModel;
  /** Steps (batches) of one epoch. */
  readonly stepsPerEpoch: number;
  /** Prepare an epoch: shuffle from the generator counter `counter`; returns the counter after. */
  beginEpoch(counter: number): number;
  /** The mean loss of batch `b` of the current epoch (inside step(); tensors tape-owned) and the items it counts for speed. */
  batchLoss(b: number): { loss: Variable; items: number };
  /** Validation after an epoch (in eval mode, no gradients); absent without validation data. */
  validate?(): EpochMetrics;
  /** The task's own generators (the MLM masking counter), saved in checkpoints. */
  state?: { save(): unknown; load(state: unknown): void };
  /** Settings and data hashes a resumed run must match, and how errors name each. */
  fitMeta: Record<string, unknown>;
  metaNames?: Record<string, string>;
  /** Frees what the task allocated (called once, at the end). */
  dispose?(): void;
}

/** The loop's settings (already checked). */
export interface LoopSettings {
  epochs: number;
  lr: number;
  weightDecay: number;
  clip: number;
  threads: number;
  checkpointEvery: number;
  /** Stop after this many steps of this call; Infinity = never. */
  maxSteps: number;
  /** Per-step learning-rate factor over the run's total steps; none = the hooks' (or constant). */
  schedule?: (totalSteps: number) => Schedule;
  hooks: readonly TrainHook[];
  /** The validation metric whose best value `improved` (and the hooks) follow. */
  monitor?: { metric: keyof EpochMetrics; mode: 'min' | 'max' };
  /** History records carry `lr` and `seconds`. */
  timedHistory: boolean;
  unit: ProgressUnit;
  onProgress?: (p: Progress) => void;
  onCheckpoint?: (bytes: Uint8Array, info: CheckpointInfo) => void | Promise<void>;
  resumeFrom?: Uint8Array;
  signal?: AbortSignal;
  /** Gradient norms (before clipping) and activation statistics every `every` steps, in a forced progress report; only with onProgress. */
  diagnostics?: DiagnosticsSettings;
}

/** The second argument of `onCheckpoint`: `epoch` is the 1-based epoch under way, or at an epoch end the epochs done. */
export interface CheckpointInfo {
  step: number;
  epoch: number;
  epochEnd: boolean;
}

export interface LoopResult {
  /** Steps done over the whole run (resumed ones included). */
  steps: number;
  /** Epochs completed. */
  epochs: number;
  /** Wall-clock seconds of this call. */
  seconds: number;
  /** Mean training loss of the last epoch (when training stopped within an epoch: of that epoch's steps, if any). */
  trainLoss: number;
  /** True when training ended before all epochs: a hook stopped it, maxSteps, or the signal. */
  stopped: boolean;
  /** True when `signal` ended training (then `stopped` is true too). */
  aborted: boolean;
  /** Metrics of the last validated epoch. */
  validAccuracy?: number;
  validPerplexity?: number;
  /** With a monitor: its best value and the 1-based epoch that reached it. */
  best?: number;
  bestEpoch?: number;
  history: EpochRecord[];
}

/** Where a run is, saved in checkpoints. */
interface LoopState {
  step: number;
  epoch: number;
  batch: number;
  shuffleCounter: number;
  epochSeconds: number;
  lossSum: number;
  lossCount: number;
  done: boolean;
  best: number | null;
  bestEpoch: number;
  history: EpochRecord[];
}

/** Run `task` under `o`; `fn` names the caller in errors. */
export async function runLoop(fn: string, task: TrainTask, o: LoopSettings): Promise<LoopResult> {
  checkLr(fn, 'options.lr', o.lr);
  const model = task.model;
  const perEpoch = task.stepsPerEpoch;
  const totalSteps = o.epochs * perEpoch;
  // threads > 1: GEMM and attention split over the worker pool (bit-identical to 1 thread); the setting is restored after.
  const prevThreads = getThreads();
  // Set up before the main try: whatever was made is released if a later piece throws.
  let opt: AdamW | undefined;
  let sched: LRScheduler | undefined;
  let host: HostYield;
  let meter: ProgressMeter;
  try {
    if (o.threads !== prevThreads) setThreads(o.threads);
    opt = new AdamW(defaultParamGroups(model.namedParameters()), { lr: o.lr, weightDecay: o.weightDecay });
    sched = o.schedule === undefined ? undefined : new LRScheduler(opt, o.schedule(totalSteps));
    host = HostYield.forTraining(o.signal, o.onProgress !== undefined, 250);
    meter = new ProgressMeter(o.onProgress, {
      epochs: o.epochs,
      steps: totalSteps,
      unit: o.unit,
      threads: o.threads,
    });
  } catch (e) {
    task.dispose?.();
    opt?.dispose();
    if (getThreads() !== prevThreads) setThreads(prevThreads);
    throw e;
  }
  let st: LoopState = {
    step: 0,
    epoch: 0,
    batch: 0,
    shuffleCounter: 0,
    epochSeconds: 0,
    lossSum: 0,
    lossCount: 0,
    done: false,
    best: null,
    bestEpoch: 0,
    history: [],
  };

  try {
    if (o.resumeFrom !== undefined) st = resume(fn, task, o, opt, sched);

    const checkpoint = async (info: CheckpointInfo) => {
      if (o.onCheckpoint === undefined) return;
      const weights: [string, unknown][] = Object.entries(model.stateDict());
      const hooks: Record<string, unknown> = {};
      for (const h of o.hooks) {
        hooks[h.name] = h.state();
        for (const [k, t] of h.weights?.() ?? []) weights.push([`${h.name}/${k}`, t]);
      }
      const bytes = encodeCheckpoint({
        weights: weights as never,
        optimizer: opt.stateDict(),
        meta: {
          model: model.kind,
          config: JSON.parse(model.configJson()),
          fit: task.fitMeta,
          rng: model.rngState(),
          state: st,
          hooks,
          ...(sched !== undefined ? { scheduler: sched.stateDict() } : {}),
          ...(task.state !== undefined ? { target: task.state.save() } : {}),
        },
      });
      await o.onCheckpoint(bytes, info);
    };

    let repLoss = 0,
      repCount = 0,
      lastLoss = NaN;
    // loss: the mean since the previous report; at an epoch end (epochLoss given) the epoch's mean.
    const report = (extra: Partial<Progress> = {}, epochLoss?: number) => {
      const loss =
        epochLoss ?? (repCount > 0 ? repLoss / repCount : st.lossCount > 0 ? st.lossSum / st.lossCount : lastLoss);
      if (Number.isFinite(loss)) lastLoss = loss;
      repLoss = 0;
      repCount = 0;
      meter.emit({
        epoch: Math.min(st.epoch + (extra.epochEnd === true ? 0 : 1), o.epochs),
        step: st.step,
        loss,
        lr: opt.paramGroups[0]!.lr,
        ...extra,
      });
    };

    model.train();
    const params = opt.parameters();
    const last = st.history[st.history.length - 1];
    let trainLoss = last?.loss ?? NaN;
    let metrics: EpochMetrics = last === undefined ? {} : pickMetrics(last);
    let stopped = false,
      aborted = false;
    while (!st.done && st.epoch < o.epochs) {
      const nextCounter = task.beginEpoch(st.shuffleCounter);
      const epochT0 = now() - st.epochSeconds * 1000;
      for (let b = st.batch; b < perEpoch; b++) {
        if (meter.stepsHere >= o.maxSteps) {
          stopped = true;
          break;
        }
        if (o.signal !== undefined && o.signal.aborted) {
          stopped = aborted = true;
          break;
        }
        let items = 0;
        // A diagnostics step measures while it runs; other steps do exactly what they would without the option.
        const dg = o.diagnostics !== undefined && meter.active && (st.step + 1) % o.diagnostics.every === 0;
        let diagnostics: TrainingDiagnostics | undefined;
        const loss = step(() => {
          let r: { loss: Variable; items: number };
          let activations: Record<string, TensorStats> | undefined;
          if (dg && o.diagnostics!.modules !== undefined) {
            const rec = recordActivations(() => task.batchLoss(b), { model, modules: o.diagnostics!.modules });
            r = rec.result;
            activations = rec.activations;
          } else r = task.batchLoss(b);
          items = r.items;
          r.loss.backward();
          if (dg) {
            const g = gradientNorms(model, { groupBy: o.diagnostics!.groupBy }); // before clipping
            diagnostics = { step: st.step + 1, gradNorms: g.groups, totalGradNorm: g.total };
            if (activations !== undefined) diagnostics.activations = activations;
          }
          const norm = o.clip > 0 ? clipGradients(params, o.clip) : 0;
          if (Number.isFinite(norm)) opt.step(); // a non-finite gradient skips the update (the schedule still advances)
          sched?.step();
          opt.zeroGrad();
          return r.loss.item();
        });
        meter.items += items;
        meter.stepsHere++;
        st.step++;
        st.batch = b + 1;
        st.lossSum += loss;
        st.lossCount++;
        repLoss += loss;
        repCount++;
        if (diagnostics !== undefined) report({ diagnostics });
        else if (meter.due()) report();
        await host.maybe(); // let the host breathe (rendering, I/O, a Stop message)
        if (o.checkpointEvery > 0 && st.step % o.checkpointEvery === 0 && st.batch < perEpoch) {
          st.epochSeconds = (now() - epochT0) / 1000;
          await checkpoint({ step: st.step, epoch: st.epoch + 1, epochEnd: false });
        }
      }
      if (stopped) {
        if (st.lossCount > 0) trainLoss = st.lossSum / st.lossCount;
        if (aborted) report();
        break;
      }
      trainLoss = st.lossCount > 0 ? st.lossSum / st.lossCount : NaN;
      const rec: EpochRecord = { epoch: st.epoch + 1, loss: trainLoss };
      if (o.timedHistory) rec.lr = opt.paramGroups[0]!.lr;
      metrics = {};
      if (task.validate !== undefined) {
        metrics = task.validate();
        model.train();
      }
      Object.assign(rec, metrics);
      const extra: Partial<Progress> = { epochEnd: true, ...metrics };
      let improved: boolean | undefined;
      const m = o.monitor === undefined ? undefined : metrics[o.monitor.metric];
      if (m !== undefined) {
        improved = st.best === null || (o.monitor!.mode === 'min' ? m < st.best : m > st.best);
        if (improved) {
          st.best = m;
          st.bestEpoch = st.epoch + 1;
        }
        extra.improved = improved;
      }
      for (const h of o.hooks) {
        const r = h.onEpochEnd({ epoch: st.epoch + 1, metrics, improved, model, optimizer: opt });
        if (r?.stop === true) st.done = true;
      }
      if (o.timedHistory) rec.seconds = (now() - epochT0) / 1000;
      st.history.push(rec);
      st = {
        ...st,
        epoch: st.epoch + 1,
        batch: 0,
        shuffleCounter: nextCounter,
        epochSeconds: 0,
        lossSum: 0,
        lossCount: 0,
      };
      report(extra, trainLoss);
      await checkpoint({ step: st.step, epoch: st.epoch, epochEnd: true });
    }
    for (const h of o.hooks) h.onTrainEnd?.({ interrupted: stopped, model });
    const result: LoopResult = {
      steps: st.step,
      epochs: st.epoch,
      seconds: meter.elapsedSec(),
      trainLoss,
      stopped: stopped || st.done,
      aborted,
      history: st.history,
      ...metrics,
    };
    if (st.best !== null) {
      result.best = st.best;
      result.bestEpoch = st.bestEpoch;
    }
    return result;
  } finally {
    host.close();
    task.dispose?.();
    model.eval();
    opt.dispose();
    if (getThreads() !== prevThreads) setThreads(prevThreads);
  }
}

function pickMetrics(r: EpochRecord): EpochMetrics {
  const m: EpochMetrics = {};
  if (r.validAccuracy !== undefined) m.validAccuracy = r.validAccuracy;
  if (r.validPerplexity !== undefined) m.validPerplexity = r.validPerplexity;
  return m;
}

/**
 * Runs `f`, which loads part `part` of a checkpoint; its ArgumentError, ShapeError or DTypeError
 * is thrown again naming `fn`, `options.resumeFrom` and the part: `<fn>: options.resumeFrom (<part>) <field> must ...`.
 */
function inCheckpoint<T>(fn: string, part: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof ArgumentError || e instanceof ShapeError || e instanceof DTypeError)) throw e;
    const msg = `${fn}: ${RESUME} (${part}) ${e.message.replace(/^[\w.]+: /, '')}`;
    throw e instanceof ShapeError
      ? new ShapeError(msg)
      : e instanceof DTypeError
        ? new DTypeError(msg)
        : new ArgumentError(msg);
  }
}

const RESUME = 'options.resumeFrom';

/** `<fn>: options.resumeFrom <field> must be <expected>, got <actual>`. */
function badField(fn: string, field: string, expected: string, got: unknown): ArgumentError {
  return new ArgumentError(`${fn}: ${RESUME} ${field} must be ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks the checkpoint's weights against the model's parameters before anything is loaded:
 * exactly its names, each F32 of the parameter's shape with finite values (a damaged file must
 * not give a NaN model). `field` names them in errors.
 */
function checkWeights(
  fn: string,
  field: string,
  weights: ReadonlyMap<string, { dtype: string; shape: readonly number[]; data: Float32Array | Int32Array }>,
  params: readonly (readonly [string, { shape: readonly number[] }])[],
): void {
  const names = new Set(params.map(([n]) => n));
  for (const k of weights.keys())
    if (!names.has(k))
      throw new ArgumentError(`${fn}: ${RESUME} ${field} must be the model's parameters, got an unexpected "${k}"`);
  for (const [n, p] of params) {
    const t = weights.get(n);
    if (t === undefined)
      throw new ArgumentError(`${fn}: ${RESUME} ${field} must be the model's parameters, got none named "${n}"`);
    if (t.dtype !== 'F32' || t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
      throw new ShapeError(
        `${fn}: ${RESUME} ${field} "${n}" must be F32 of shape [${p.shape.join(', ')}], got ${t.dtype} [${t.shape.join(', ')}]`,
      );
    const d = t.data;
    for (let i = 0; i < d.length; i++)
      if (!Number.isFinite(d[i]!))
        throw new ArgumentError(`${fn}: ${RESUME} ${field} "${n}"[${i}] must be a finite number, got ${d[i]}`);
  }
}

/** A metric of a history record: absent, or a finite number accepted by `ok`. */
function metricOf(
  fn: string,
  field: string,
  v: unknown,
  ok: (x: number) => boolean,
  expect: string,
): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw badField(fn, field, expect, v);
  return v;
}

/**
 * The loop state of a checkpoint, checked field by field against this run: counts are
 * non-negative safe integers with step = epoch × stepsPerEpoch + batch, epoch <= epochs,
 * batch < stepsPerEpoch, lossCount = batch; losses, seconds and metrics finite; one history
 * record per epoch done. Returns a fresh object of the known fields only.
 */
function loopStateOf(fn: string, raw: unknown, perEpoch: number, o: LoopSettings): LoopState {
  const f = (k: string) => `state.${k}`;
  if (!isObj(raw)) throw badField(fn, 'state', 'an object { step, epoch, batch, ... }', raw);
  const int = (k: string, lo: number, hi: number): number => {
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi)
      throw badField(fn, f(k), `an integer in [${lo}, ${hi}]`, v);
    return v;
  };
  const finite = (k: string, lo: number): number => {
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo)
      throw badField(fn, f(k), `a finite number${lo === -Infinity ? '' : ` >= ${lo}`}`, v);
    return v;
  };
  const epoch = int('epoch', 0, o.epochs);
  const batch = int('batch', 0, epoch === o.epochs ? 0 : perEpoch - 1);
  const step = int('step', 0, Number.MAX_SAFE_INTEGER);
  if (step !== epoch * perEpoch + batch)
    throw badField(fn, f('step'), `epoch × ${perEpoch} + batch = ${epoch * perEpoch + batch}`, step);
  const shuffleCounter = int('shuffleCounter', 0, Number.MAX_SAFE_INTEGER);
  const epochSeconds = finite('epochSeconds', 0);
  const lossCount = int('lossCount', batch, batch);
  const lossSum = finite('lossSum', -Infinity);
  if (lossCount === 0 && lossSum !== 0) throw badField(fn, f('lossSum'), '0 with lossCount 0', lossSum);
  if (typeof raw.done !== 'boolean') throw badField(fn, f('done'), 'a boolean', raw.done);
  const done = raw.done;
  let best: number | null = null;
  let bestEpoch = 0;
  if (raw.best !== null || raw.bestEpoch !== 0) {
    if (o.monitor === undefined) throw badField(fn, f('best'), 'null (this run monitors no metric)', raw.best);
    best = finite('best', -Infinity);
    bestEpoch = int('bestEpoch', 1, epoch);
  }
  const h = raw.history;
  if (!Array.isArray(h) || h.length !== epoch)
    throw badField(
      fn,
      f('history'),
      `an array of ${epoch} epoch records`,
      Array.isArray(h) ? `${h.length} records` : h,
    );
  const history = h.map((r: unknown, i): EpochRecord => {
    const at = f(`history[${i}]`);
    if (!isObj(r)) throw badField(fn, at, 'an object { epoch, loss, ... }', r);
    if (r.epoch !== i + 1) throw badField(fn, `${at}.epoch`, String(i + 1), r.epoch);
    if (typeof r.loss !== 'number' || !Number.isFinite(r.loss))
      throw badField(fn, `${at}.loss`, 'a finite number', r.loss);
    const rec: EpochRecord = { epoch: i + 1, loss: r.loss };
    const lr = metricOf(fn, `${at}.lr`, r.lr, (x) => x >= 0 && x <= MAX_LR, `a finite number in [0, ${MAX_LR}]`);
    const seconds = metricOf(fn, `${at}.seconds`, r.seconds, (x) => x >= 0, 'a finite number >= 0');
    const acc = metricOf(fn, `${at}.validAccuracy`, r.validAccuracy, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
    const ppl = metricOf(fn, `${at}.validPerplexity`, r.validPerplexity, (x) => x > 0, 'a finite number > 0');
    if (lr !== undefined) rec.lr = lr;
    if (seconds !== undefined) rec.seconds = seconds;
    if (acc !== undefined) rec.validAccuracy = acc;
    if (ppl !== undefined) rec.validPerplexity = ppl;
    return rec;
  });
  return { step, epoch, batch, shuffleCounter, epochSeconds, lossSum, lossCount, done, best, bestEpoch, history };
}

/**
 * Loads a checkpoint into the model, optimizer, scheduler, hooks and task after checking that it
 * belongs to this run and that every field it holds is sound (typed errors naming
 * `options.resumeFrom` and the field; nothing of a damaged checkpoint reaches the model).
 */
function resume(fn: string, task: TrainTask, o: LoopSettings, opt: AdamW, sched: LRScheduler | undefined): LoopState {
  const model = task.model;
  const ck = decodeCheckpoint(o.resumeFrom!);
  const m = ck.meta;
  if (m.model !== model.kind)
    throw new ArgumentError(`${fn}: ${RESUME} must be a ${model.kind} checkpoint, got ${JSON.stringify(m.model)}`);
  if (JSON.stringify(m.config) !== model.configJson()) {
    throw new ArgumentError(
      `${fn}: ${RESUME} must have this model's config ${model.configJson()}, got ${JSON.stringify(m.config)}`,
    );
  }
  const f = isObj(m.fit) ? m.fit : undefined;
  for (const [k, v] of Object.entries(task.fitMeta)) {
    const saved = f !== undefined && Object.hasOwn(f, k) ? f[k] : undefined;
    if (saved !== v) {
      const what = task.metaNames?.[k] ?? `options.${k}`;
      throw new ArgumentError(
        `${fn}: ${what} must equal the checkpoint's ${JSON.stringify(saved)}, got ${JSON.stringify(v)}`,
      );
    }
  }
  if (ck.optimizer === null) throw new ArgumentError(`${fn}: ${RESUME} must hold the optimizer state, got none`);
  const perEpoch = task.stepsPerEpoch;
  const st = loopStateOf(fn, m.state, perEpoch, o);
  // The shuffling counter of epoch e follows from epoch 0's (0) by e shuffles: replay them.
  let counter = 0;
  for (let e = 0; e < st.epoch; e++) counter = task.beginEpoch(counter);
  if (counter !== st.shuffleCounter)
    throw badField(fn, 'state.shuffleCounter', `${counter} (after ${st.epoch} epochs)`, st.shuffleCounter);

  type Stored = (typeof ck.weights)[string];
  const weights = new Map<string, Stored>();
  const hookWeights = new Map<string, Map<string, Stored>>(o.hooks.map((h) => [h.name, new Map()]));
  for (const [k, t] of Object.entries(ck.weights)) {
    const slash = k.indexOf('/');
    const hw = slash > 0 ? hookWeights.get(k.slice(0, slash)) : undefined;
    if (hw !== undefined) hw.set(k.slice(slash + 1), t);
    else weights.set(k, t);
  }
  const params = model.namedParameters();
  checkWeights(fn, 'weights', weights, params);
  for (const [name, hw] of hookWeights) {
    if (hw.size > 0) checkWeights(fn, `weights of hook ${name}`, hw, params);
  }
  const sd = ck.optimizer;
  if (sd.stepCount > st.step)
    throw badField(fn, 'optimizer stepCount', `at most state.step (${st.step})`, sd.stepCount);
  const baseLrs = sched?.baseLrs.slice();
  if (sched !== undefined) {
    const s = m.scheduler;
    if (!isObj(s) || s.stepCount !== st.step)
      throw badField(fn, 'scheduler.stepCount', `state.step (${st.step})`, isObj(s) ? s.stepCount : s);
    if (JSON.stringify(s.baseLrs) !== JSON.stringify(baseLrs))
      throw badField(fn, 'scheduler.baseLrs', JSON.stringify(baseLrs), s.baseLrs);
  }
  const hs = m.hooks ?? {};
  if (!isObj(hs)) throw badField(fn, 'hooks', 'an object of hook states', hs);

  // Everything that can be checked up front was: load.
  model.loadStateDict(new Map([...weights].map(([k, t]) => [k, t.data as Float32Array])));
  inCheckpoint(fn, 'optimizer', () => opt.loadStateDict(sd));
  if (sched !== undefined) inCheckpoint(fn, 'scheduler', () => sched.loadStateDict(m.scheduler as LRSchedulerState));
  inCheckpoint(fn, 'rng', () => model.loadRngState(m.rng as Record<string, DropoutRngState>));
  for (const h of o.hooks) {
    inCheckpoint(fn, `hook ${h.name}`, () => {
      h.loadState(Object.hasOwn(hs, h.name) ? hs[h.name] : undefined, opt);
      const w = hookWeights.get(h.name)!;
      h.loadWeights?.(new Map([...w].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])));
    });
  }
  if (task.state !== undefined) task.state.load(m.target);
  return st;
}

// ---- Sequence models (TextClassifier, SequenceTagger, the BERT heads) ----

/** Options of `fit` of the sequence models. */
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
  onProgress?: (p: Progress) => void;
  /** Called with checkpoint bytes (src/io/checkpoint.ts format) every `checkpointEvery` steps and at each epoch end; awaited. */
  onCheckpoint?: (bytes: Uint8Array, info: CheckpointInfo) => void | Promise<void>;
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
  /**
   * Gradient-flow diagnostics: every `every` steps, that step's progress report (forced, not
   * throttled) carries `diagnostics` with the L2 norm of the gradients per parameter group
   * (`groupBy`, default: up to the layer index, `encoder.layer.3`), measured after backward and
   * before clipping, their total norm, and (`activations`, default true) the statistics of the
   * outputs of each encoder layer and of the model's top-level modules (or of the module paths
   * listed). Measured only with onProgress; training is bit-identical with or without it. See
   * docs/models.md "Gradient-flow diagnostics".
   */
  diagnostics?: DiagnosticsOptions;
}

/** What `fit` of a sequence model returns. */
export type FitResult = LoopResult;

/** A sequence example: token ids (the targets are the task's). */
export interface SequenceInput {
  ids: ArrayLike<number>;
}

/** What a sequence model gives `fitModel`. */
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

/** The keys FitOptions may have. */
export const FIT_OPTION_KEYS: readonly string[] = [
  'epochs',
  'batchSize',
  'lr',
  'weightDecay',
  'warmup',
  'clip',
  'threads',
  'valid',
  'onProgress',
  'onCheckpoint',
  'checkpointEvery',
  'resumeFrom',
  'sortWindow',
  'signal',
  'diagnostics',
];

function num(fn: string, name: string, v: unknown, ok: (x: number) => boolean, expect: string): number {
  if (typeof v !== 'number' || !ok(v))
    throw new ArgumentError(`${fn}: options.${name} must be ${expect}, got ${typeof v === 'number' ? v : typeof v}`);
  return v;
}

/** The loop over padded-sequence batches behind `fit` of TextClassifier, SequenceTagger and the BERT heads. */
export async function fitModel<E extends SequenceInput>(
  fn: string,
  target: FitTarget<E>,
  train: readonly E[],
  options: FitOptions<E> = {},
): Promise<FitResult> {
  checkOptionKeys(fn, options, FIT_OPTION_KEYS);
  const posInt = (x: number) => Number.isSafeInteger(x) && x >= 1;
  const epochs = num(fn, 'epochs', options.epochs ?? 3, posInt, 'a positive integer');
  const batchSize = num(fn, 'batchSize', options.batchSize ?? 32, posInt, 'a positive integer');
  const lr = checkLr(fn, 'options.lr', options.lr ?? 1e-3);
  const weightDecay = num(
    fn,
    'weightDecay',
    options.weightDecay ?? 0.01,
    (x) => Number.isFinite(x) && x >= 0,
    'a finite number >= 0',
  );
  const warmup = num(fn, 'warmup', options.warmup ?? 0.1, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
  const clip = num(
    fn,
    'clip',
    options.clip ?? 1.0,
    (x) => Number.isFinite(x) && x >= 0,
    'a finite number >= 0 (0 = off)',
  );
  num(fn, 'threads', options.threads ?? 1, (x) => Number.isInteger(x) && x >= 1 && x <= 64, 'an integer in [1, 64]');
  const threads = checkShellOptions(fn, options, 'options.');
  const checkpointEvery = num(
    fn,
    'checkpointEvery',
    options.checkpointEvery ?? 0,
    (x) => Number.isSafeInteger(x) && x >= 0,
    'an integer >= 0 (0 = epoch ends only)',
  );
  const sortWindow = num(fn, 'sortWindow', options.sortWindow ?? 50, posInt, 'a positive integer');
  checkCheckpointOptions(fn, options);
  const diagnostics = checkDiagnosticsOptions(fn, 'options.diagnostics', options.diagnostics, target.model);
  if (options.valid !== undefined && !Array.isArray(options.valid))
    throw new ArgumentError(`${fn}: options.valid must be an array of examples, got ${typeof options.valid}`);
  if (!Array.isArray(train))
    throw new ArgumentError(`${fn}: train must be an array of examples, got ${train === null ? 'null' : typeof train}`);
  if (train.length === 0) throw new ArgumentError(`${fn}: train must hold at least one example, got 0`);
  const units = target.units(fn, 'train', train);
  if (units.length === 0)
    throw new ArgumentError(`${fn}: train must hold at least one token, got only empty sequences`);
  const valid = options.valid;
  if (valid !== undefined) {
    if (valid.length === 0) throw new ArgumentError(`${fn}: options.valid must hold at least one example, got 0`);
    target.units(fn, 'options.valid', valid);
  }
  let batches: number[][] = [];
  const task: TrainTask = {
    model: target.model,
    stepsPerEpoch: Math.ceil(units.length / batchSize),
    beginEpoch(counter) {
      const r = epochBatches(units, batchSize, sortWindow, target.seed, counter);
      batches = r.batches;
      return r.counter;
    },
    batchLoss(b) {
      const bu = batches[b]!.map((i) => units[i]!);
      let items = 0;
      for (const u of bu) items += u.len;
      return { loss: target.batchLoss(train, bu), items };
    },
    validate: valid === undefined ? undefined : () => ({ validAccuracy: target.accuracy(valid, batchSize) }),
    state: target.state,
    fitMeta: {
      epochs,
      batchSize,
      lr,
      weightDecay,
      warmup,
      clip,
      sortWindow,
      units: units.length,
      tokens: idsHash(train),
      seed: target.seed,
    },
    metaNames: {
      units: 'train (its number of batch units)',
      tokens: 'train (the hash of its token ids)',
      seed: 'the model seed (shuffling, masking)',
    },
  };
  return runLoop(fn, task, {
    epochs,
    lr,
    weightDecay,
    clip,
    threads,
    checkpointEvery,
    maxSteps: Infinity,
    hooks: [],
    timedHistory: false,
    unit: 'tokens',
    schedule: (totalSteps) => linearWarmupDecay({ warmupSteps: Math.round(warmup * totalSteps), totalSteps }),
    onProgress: options.onProgress,
    onCheckpoint: options.onCheckpoint,
    resumeFrom: options.resumeFrom,
    signal: options.signal,
    diagnostics,
  });
}
