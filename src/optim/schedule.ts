/**
 * Learning-rate schedules. A `Schedule` is a pure function from the number of
 * optimizer steps already taken (0 for the first update) to a multiplier of
 * each group's base learning rate, so `lrAt(step) = baseLr * schedule(step)`.
 * `LRScheduler` applies one to an optimizer's groups (PyTorch's LambdaLR).
 */
import { checkInt, checkObject, describe } from '../core/check.js';
import { ArgumentError } from '../core/errors.js';
import { MAX_LR, type Optimizer } from './optimizer.js';

/** Multiplier of the base learning rate for the update after `step` updates. */
export type Schedule = (step: number) => number;

/** Always 1: the base learning rate. */
export function constantSchedule(): Schedule {
  return (step) => {
    checkInt('constantSchedule', 'step', step, 0);
    return 1;
  };
}

/**
 * Linear warm-up from 0 to 1 over `warmupSteps`, then linear decay to 0 at
 * `totalSteps` (Hugging Face's get_linear_schedule_with_warmup):
 *   step < warmupSteps:  step / warmupSteps            (0 at step 0)
 *   otherwise:           max(0, (totalSteps - step) / (totalSteps - warmupSteps))
 * `warmupSteps` 0 starts at 1; steps at or past `totalSteps` give 0.
 */
export function linearWarmupDecay(options: { warmupSteps: number; totalSteps: number }): Schedule {
  const fn = 'linearWarmupDecay';
  checkObject(fn, 'options', options, '{ warmupSteps, totalSteps }');
  const warmup = checkInt(fn, 'warmupSteps', options.warmupSteps, 0);
  const total = checkInt(fn, 'totalSteps', options.totalSteps, 1);
  if (warmup > total) throw new ArgumentError(`${fn}: warmupSteps must be <= totalSteps (${total}), got ${warmup}`);
  return (step) => {
    checkInt(fn, 'step', step, 0);
    if (step < warmup) return step / warmup;
    if (total === warmup) return 0;
    return Math.max(0, (total - step) / (total - warmup));
  };
}

/** Inverse-time decay: 1 / (1 + decay * step), so lr = lr0 / (1 + decay * step). */
export function inverseTimeDecay(options: { decay: number }): Schedule {
  const fn = 'inverseTimeDecay';
  checkObject(fn, 'options', options, '{ decay }');
  const decay = options.decay;
  if (typeof decay !== 'number' || !Number.isFinite(decay) || decay < 0) {
    throw new ArgumentError(`${fn}: decay must be a finite number >= 0, got ${String(decay)}`);
  }
  return (step) => {
    checkInt(fn, 'step', step, 0);
    return 1 / (1 + decay * step);
  };
}

/** What `LRScheduler.stateDict()` returns and `loadStateDict()` restores. */
export interface LRSchedulerState {
  /** Updates taken so far: the learning rate in use is baseLr * schedule(stepCount). */
  stepCount: number;
  /** The groups' base learning rates. */
  baseLrs: number[];
}

/**
 * Sets each group's `lr` to `baseLr * schedule(stepCount)`, where the base
 * rates are the groups' `lr` when the scheduler is made. Construction applies
 * step 0; call `step()` after each `optimizer.step()`.
 */
export class LRScheduler {
  readonly baseLrs: number[];
  stepCount = 0;

  constructor(
    readonly optimizer: Optimizer,
    readonly schedule: Schedule,
  ) {
    if (typeof schedule !== 'function')
      throw new ArgumentError(`LRScheduler: schedule must be a function of the step, got ${describe(schedule)}`);
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  /** Advance one update and set the learning rates for the next one. */
  step(): void {
    this.stepCount++;
    this.apply();
  }

  /** The groups' learning rates at `step` (default: the current one), without changing anything. */
  lrsAt(step = this.stepCount): number[] {
    const f = this.schedule(step);
    if (typeof f !== 'number' || !Number.isFinite(f) || f < 0) {
      throw new ArgumentError(`LRScheduler: schedule(${step}) must be a finite number >= 0, got ${String(f)}`);
    }
    return this.baseLrs.map((lr) => lr * f);
  }

  private apply(): void {
    const lrs = this.lrsAt();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i]!;
    });
  }

  stateDict(): LRSchedulerState {
    return { stepCount: this.stepCount, baseLrs: [...this.baseLrs] };
  }

  /** Restore the step count and base rates, and set the groups' learning rates from them. */
  loadStateDict(state: LRSchedulerState): void {
    const fn = 'LRScheduler.loadStateDict';
    checkObject(fn, 'state', state, '{ stepCount, baseLrs }');
    checkInt(fn, 'state.stepCount', state.stepCount, 0);
    if (
      !Array.isArray(state.baseLrs) ||
      state.baseLrs.length !== this.baseLrs.length ||
      state.baseLrs.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > MAX_LR)
    ) {
      throw new ArgumentError(
        `${fn}: state.baseLrs must be ${this.baseLrs.length} finite numbers in [0, ${MAX_LR}], got ${JSON.stringify(state.baseLrs)}`,
      );
    }
    this.stepCount = state.stepCount;
    this.baseLrs.splice(0, this.baseLrs.length, ...state.baseLrs);
    this.apply();
  }
}
