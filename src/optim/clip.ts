/**
 * Gradient clipping over Parameters, and gradient accumulation over
 * micro-batches.
 */
import { checkObject, describe } from '../core/check.js';
import { ArgumentError } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import type { Tensor } from '../core/tensor.js';
import { Parameter } from '../autograd/parameter.js';
import { clipGradNorm } from '../ops/optim.js';
import type { Optimizer } from './optimizer.js';
import type { LRScheduler } from './schedule.js';

/** The gradients an optimizer would read: of parameters that train and have one. */
function gradsOf(fn: string, params: Iterable<Parameter>): Tensor[] {
  if (
    params === null ||
    typeof params !== 'object' ||
    typeof (params as Iterable<Parameter>)[Symbol.iterator] !== 'function'
  ) {
    throw new ArgumentError(`${fn}: params must be an iterable of Parameters, got ${describe(params)}`);
  }
  const grads: Tensor[] = [];
  let i = 0;
  for (const p of params) {
    if (!(p instanceof Parameter))
      throw new ArgumentError(`${fn}: params[${i}] must be a Parameter, got ${describe(p)}`);
    if (p.requiresGrad && p.grad !== null) grads.push(p.grad);
    i++;
  }
  return grads;
}

/**
 * Clip by global norm (torch.nn.utils.clip_grad_norm_): norm = sqrt of the sum
 * of squares of every gradient; when norm > maxNorm each gradient is scaled by
 * maxNorm / (norm + 1e-6). Parameters with requiresGrad false or no gradient
 * are left out. Returns the norm before clipping; a non-finite norm leaves the
 * gradients unchanged (the caller may skip the step).
 */
export function clipGradients(params: Iterable<Parameter>, maxNorm: number): number {
  return clipGradNorm(gradsOf('clipGradients', params), maxNorm);
}

/** Options of GradAccumulator: micro-batches per update, clipping, the scheduler. */
export interface GradAccumulatorOptions {
  /** Micro-batches per optimizer update, an integer >= 1. */
  microBatches: number;
  /** Clip the averaged gradients to this global norm before each update; default: no clipping. */
  maxNorm?: number;
  /** Stepped after each update. */
  scheduler?: LRScheduler;
}

/**
 * Gradient accumulation. Run forward and backward on each micro-batch (the
 * gradients add up, as backward kernels accumulate), then call `step()`. Every
 * `microBatches`-th call divides the summed gradients by the number of
 * micro-batches, clips them if `maxNorm` is set, runs `optimizer.step()`, steps
 * the scheduler and zeroes the gradients. With each micro-batch's loss a mean
 * over its examples and equal micro-batch sizes, the update equals that of one
 * batch of all the examples (up to float rounding of the sums).
 */
export class GradAccumulator {
  readonly microBatches: number;
  readonly maxNorm: number | undefined;
  readonly scheduler: LRScheduler | undefined;
  /** Micro-batches accumulated since the last update. */
  pending = 0;
  /** Gradient norm before clipping at the last update (NaN before the first, or without maxNorm). */
  lastNorm = NaN;

  constructor(
    readonly optimizer: Optimizer,
    options: GradAccumulatorOptions,
  ) {
    const fn = 'GradAccumulator';
    checkObject(fn, 'options', options, '{ microBatches }');
    if (!Number.isSafeInteger(options.microBatches) || options.microBatches < 1) {
      throw new ArgumentError(`${fn}: microBatches must be an integer >= 1, got ${String(options.microBatches)}`);
    }
    if (
      options.maxNorm !== undefined &&
      !(typeof options.maxNorm === 'number' && Number.isFinite(options.maxNorm) && options.maxNorm >= 0)
    ) {
      throw new ArgumentError(`${fn}: maxNorm must be a finite number >= 0, got ${String(options.maxNorm)}`);
    }
    this.microBatches = options.microBatches;
    this.maxNorm = options.maxNorm;
    this.scheduler = options.scheduler;
  }

  /** Count one micro-batch whose gradients were just accumulated; returns true when it updated. */
  step(): boolean {
    this.pending++;
    if (this.pending < this.microBatches) return false;
    this.update();
    return true;
  }

  /**
   * Update now with the micro-batches pending (for example at the end of an
   * epoch), averaging over their number; false (and nothing done) when none is pending.
   */
  flush(): boolean {
    if (this.pending === 0) return false;
    this.update();
    return true;
  }

  private update(): void {
    const fn = 'GradAccumulator.step';
    const params = this.optimizer.parameters();
    const grads = gradsOf(fn, params);
    if (this.pending > 1) {
      const k = rt(fn).kernels;
      const s = 1 / this.pending;
      for (const g of new Set(grads)) if (g.size > 0) k.scale_f32(g.offset, g.offset, g.size, s);
    }
    if (this.maxNorm !== undefined) this.lastNorm = clipGradNorm(grads, this.maxNorm);
    this.optimizer.step();
    this.scheduler?.step();
    this.optimizer.zeroGrad();
    this.pending = 0;
  }
}
