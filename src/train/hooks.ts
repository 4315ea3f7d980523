/**
 * Epoch-end hooks of the training loop, driven by a monitored validation metric
 * (the loop's `monitor`, e.g. validation perplexity, lower is better): learning-rate
 * decay on a plateau, early stopping and best-weight restore. Each hook's state goes
 * into checkpoints, so a resumed run decides exactly as one that never stopped.
 */
import { checkInt, checkNumber, checkObject, checkOptions } from '../core/check.js';
import type { Module } from '../nn/module.js';
import { MAX_LR, type Optimizer } from '../optim/optimizer.js';

/** A saved learning rate: a finite number in [0, MAX_LR] (decay may underflow to 0). */
function checkLrState(fn: string, name: string, v: unknown): number {
  return checkNumber(
    fn,
    name,
    v,
    (x) => Number.isFinite(x) && x >= 0 && x <= MAX_LR,
    `a finite number in [0, ${MAX_LR}]`,
  );
}

/** What a hook sees at an epoch end. */
export interface EpochEndContext {
  /** 1-based epoch just finished. */
  epoch: number;
  /** The validation metrics of the epoch (none without validation data). */
  metrics: { validAccuracy?: number; validPerplexity?: number };
  /** True when the monitored metric reached its best value this epoch; undefined when it was not measured. */
  improved: boolean | undefined;
  model: Module;
  optimizer: Optimizer;
}

/** A training-loop hook. `name` keys its state (and `name/` its weights) in checkpoints. */
export interface TrainHook {
  readonly name: string;
  /** At an epoch end, after validation. Returning `{ stop: true }` ends training after this epoch. */
  onEpochEnd(ctx: EpochEndContext): { stop?: boolean } | void;
  /** When training ends; `interrupted` when a signal or `maxSteps` cut it short. */
  onTrainEnd?(ctx: { interrupted: boolean; model: Module }): void;
  /** State saved in checkpoints (JSON). */
  state(): unknown;
  /** Restores `state()` on resume; `optimizer` is the run's. */
  loadState(state: unknown, optimizer: Optimizer): void;
  /** Tensors saved in checkpoints, under `name/` + key. */
  weights?(): [string, { shape: readonly number[]; data: Float32Array }][];
  loadWeights?(weights: Map<string, { shape: readonly number[]; data: Float32Array }>): void;
}

/**
 * Multiply every group's learning rate by `factor` after each epoch without improvement
 * beyond `patience` such epochs in a row (PyTorch's ReduceLROnPlateau with cooldown 0 and
 * no reset of the count). `patience` 0: after every epoch that is not the best so far.
 */
export function reduceLrOnPlateau(options: { factor: number; patience?: number }): TrainHook {
  const fn = 'reduceLrOnPlateau';
  checkOptions(fn, 'options', options, ['factor', 'patience']);
  checkNumber(fn, 'options.factor', options.factor, (x) => x > 0 && x <= 1, 'a number in (0, 1]');
  const patience = checkInt(fn, 'options.patience', options.patience ?? 0, 0);
  let lr: number | null = null;
  let bad = 0;
  return {
    name: 'reduceLrOnPlateau',
    onEpochEnd(ctx) {
      if (ctx.improved === undefined) return;
      if (lr === null) lr = ctx.optimizer.paramGroups[0]!.lr;
      if (ctx.improved) {
        bad = 0;
        return;
      }
      bad++;
      if (bad > patience) {
        lr *= options.factor;
        for (const g of ctx.optimizer.paramGroups) g.lr = lr;
      }
    },
    state: () => ({ lr, bad }),
    loadState(s, optimizer) {
      const st = checkObject(`${fn}.loadState`, 'state', s, '{ lr, bad }');
      const savedLr = st.lr === null ? null : checkLrState(`${fn}.loadState`, 'state.lr', st.lr);
      bad = checkInt(`${fn}.loadState`, 'state.bad', st.bad, 0);
      lr = savedLr;
      if (lr !== null) for (const g of optimizer.paramGroups) g.lr = lr;
    },
  };
}

/** Stop after `patience` epochs in a row without improvement of the monitored metric. */
export function earlyStopping(options: { patience: number }): TrainHook {
  const fn = 'earlyStopping';
  checkOptions(fn, 'options', options, ['patience']);
  const patience = checkInt(fn, 'options.patience', options.patience, 1);
  let bad = 0;
  return {
    name: 'earlyStopping',
    onEpochEnd(ctx) {
      if (ctx.improved === undefined) return;
      bad = ctx.improved ? 0 : bad + 1;
      return bad >= patience ? { stop: true } : undefined;
    },
    state: () => ({ bad }),
    loadState(s) {
      const st = checkObject(`${fn}.loadState`, 'state', s, '{ bad }');
      bad = checkInt(`${fn}.loadState`, 'state.bad', st.bad, 0, patience);
    },
  };
}

/** Keep a copy of the weights of the best epoch and load them when training ends (not when a signal or maxSteps cut it short). */
export function restoreBest(): TrainHook {
  let best: Map<string, { shape: readonly number[]; data: Float32Array }> | null = null;
  return {
    name: 'best',
    onEpochEnd(ctx) {
      if (ctx.improved !== true) return;
      best = new Map(
        ctx.model
          .namedParameters()
          .map(([n, p]) => [n, { shape: p.shape, data: (p.value.view() as Float32Array).slice() }]),
      );
    },
    onTrainEnd({ interrupted, model }) {
      if (!interrupted && best !== null) model.loadStateDict(new Map([...best].map(([n, t]) => [n, t.data])));
    },
    state: () => null,
    loadState() {},
    weights: () => (best === null ? [] : [...best]),
    loadWeights(w) {
      best = w.size > 0 ? w : null;
    },
  };
}
