/**
 * The one progress report of every trainer (the transformer heads, the neural LM,
 * word2vec, fastText) and the meter that throttles and fills it in.
 */

/** What `itemsPerSec` counts: non-padding input tokens (sequence models, the neural LM's predicted tokens) or raw input words (word2vec, fastText). */
export type ProgressUnit = 'tokens' | 'words';

/** A progress report: `onProgress` of every trainer receives this. */
export interface Progress {
  /** 1-based epoch under way; at an epoch end, the epoch just finished. */
  epoch: number;
  /** Epochs of the whole run. */
  epochs: number;
  /**
   * Steps done over the whole run (resumed ones included) and steps in all. A step is one
   * optimizer update (a batch); for word2vec and fastText, whose learning rate decays per
   * input word, one word processed.
   */
  step: number;
  steps: number;
  /** Fraction of the run done, step / steps, in [0, 1]. */
  progress: number;
  /** Mean training loss since the previous report (the previous value when no loss was computed since); at an epoch end of a batch trainer, the epoch's mean. */
  loss: number;
  /** Mean training loss since training started (fastText's `avg.loss`); where a trainer tracks it. */
  avgLoss?: number;
  /** Learning rate of the next step (first parameter group). */
  lr: number;
  /** Items per second (see `unit`) in this call, all threads together. */
  itemsPerSec: number;
  /** What `itemsPerSec` counts. */
  unit: ProgressUnit;
  /** Per thread: its items per second, for hogwild trainers with threads > 1 (one entry per thread). */
  threadItemsPerSec?: number[];
  /** Threads training. */
  threads: number;
  /** Seconds left, estimated from this call's speed (Infinity before the first step). */
  etaSec: number;
  /** Seconds since this call started training. */
  elapsedSec: number;
  /** True on the report that closes an epoch (batch trainers) or the run (word2vec, fastText). */
  epochEnd: boolean;
  /** At epoch ends with validation data: the validation accuracy (classifiers, taggers, BERT heads). */
  validAccuracy?: number;
  /** At epoch ends with validation data: the validation perplexity (language models). */
  validPerplexity?: number;
  /** At epoch ends with a monitored validation metric: true when this epoch set its best value. */
  improved?: boolean;
  /**
   * On the steps the `diagnostics` option picks (every `diagnostics.every` steps; batch
   * trainers): the gradient norms per parameter group and in total, measured after backward
   * and before clipping, and the statistics of chosen modules' outputs in that step's forward pass.
   */
  diagnostics?: TrainingDiagnostics;
}

/** The fields a trainer supplies for one report; the meter adds the rest. */
export type ProgressFields = Pick<Progress, 'epoch' | 'step' | 'loss' | 'lr'> &
  Partial<Omit<Progress, 'epoch' | 'step' | 'loss' | 'lr'>> & {
    /** Items per thread so far: the meter turns them into `threadItemsPerSec` over the same time as `itemsPerSec`. */
    threadItems?: number[];
  };

export { now } from '../core/clock.js';
import { now } from '../core/clock.js';
import type { TrainingDiagnostics } from './diagnostics.js';

/**
 * Builds and sends reports: time since the start of the call, items per second, the
 * estimate of the time left, and the throttle (`due()`: `intervalMs` since the last report).
 */
export class ProgressMeter {
  readonly t0 = now();
  private last = this.t0;
  /** Items counted in this call (for itemsPerSec). */
  items = 0;
  /** Steps run in this call (for the time left). */
  stepsHere = 0;

  constructor(
    private readonly onProgress: ((p: Progress) => void) | undefined,
    readonly run: { epochs: number; steps: number; unit: ProgressUnit; threads: number },
    readonly intervalMs = 250,
  ) {}

  /** Whether anyone listens. */
  get active(): boolean {
    return this.onProgress !== undefined;
  }

  /** Seconds since the start of the call. */
  elapsedSec(): number {
    return (now() - this.t0) / 1000;
  }

  /** True when a listener is set and `intervalMs` passed since the last report. */
  due(): boolean {
    if (this.onProgress === undefined) return false;
    const t = now();
    if (t - this.last < this.intervalMs) return false;
    this.last = t;
    return true;
  }

  /** Send a report (no throttle). */
  emit(f: ProgressFields): void {
    if (this.onProgress === undefined) return;
    const el = this.elapsedSec();
    const { steps, epochs, unit, threads } = this.run;
    const { threadItems, ...rest } = f;
    const p: Progress = {
      epochs,
      steps,
      progress: steps > 0 ? Math.min(1, f.step / steps) : 1,
      unit,
      threads,
      itemsPerSec: el > 0 ? this.items / el : 0,
      etaSec: this.stepsHere > 0 ? (el / this.stepsHere) * Math.max(0, steps - f.step) : Infinity,
      elapsedSec: el,
      epochEnd: false,
      ...rest,
    };
    if (threadItems !== undefined) p.threadItemsPerSec = threadItems.map((x) => (el > 0 ? x / el : 0));
    this.last = now();
    this.onProgress(p);
  }
}
