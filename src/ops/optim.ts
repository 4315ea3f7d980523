import { checkFinite, checkInt, checkObject, describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { Tensor } from '../core/tensor.js';

/** Throws unless `t` is a float32 Tensor (any rank). */
function expectF32(fn: string, arg: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${fn}: ${arg} must be a Tensor, got ${describe(t)}`);
  if (t.dtype !== 'float32') throw new DTypeError(`${fn}: ${arg} must have dtype float32, got ${t.dtype}`);
  return t;
}

/** Buffers of an update are flat: they must hold as many elements as `param`, and be distinct. */
function expectLike(fn: string, arg: string, t: unknown, param: Tensor, others: Tensor[]): Tensor {
  const x = expectF32(fn, arg, t);
  if (x.size !== param.size) {
    throw new ShapeError(
      `${fn}: ${arg} must have ${param.size} elements (param is ${formatShape(param.shape)}), got ${formatShape(x.shape)}`,
    );
  }
  if (others.includes(x))
    throw new ArgumentError(`${fn}: ${arg} must be its own buffer, got the same Tensor as another argument`);
  return x;
}

/** Options of `sgdStep`: learning rate, momentum, weight decay, Nesterov. */
export interface SgdOptions {
  /** Learning rate, >= 0. */
  lr: number;
  /** Momentum factor mu >= 0; default 0 (no buffer). */
  momentum?: number;
  /** Coupled L2 weight decay lambda >= 0 (added to the gradient); default 0. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0); default false. */
  nesterov?: boolean;
}

/**
 * One SGD step in place, PyTorch semantics (torch.optim.SGD, dampening 0):
 * g' = g + lambda p; with momentum v = mu v + g' and p -= lr v (Nesterov:
 * p -= lr (g' + mu v)); without, p -= lr g'. `state.momentum` (the velocity,
 * as many elements as `param`) is created as zeros on first use when momentum
 * > 0 and updated in place. One fused kernel pass.
 */
export function sgdStep(param: Tensor, grad: Tensor, state: { momentum?: Tensor }, options: SgdOptions): void {
  const fn = 'sgdStep';
  const r = rt(fn);
  expectF32(fn, 'param', param);
  expectLike(fn, 'grad', grad, param, [param]);
  checkObject(fn, 'state', state);
  checkObject(fn, 'options', options, 'an object with lr');
  if (options.lr === undefined) throw new ArgumentError(`${fn}: lr must be a finite number >= 0, got undefined`);
  const lr = checkFinite(fn, 'lr', options.lr, 0);
  const mu = checkFinite(fn, 'momentum', options.momentum ?? 0, 0);
  const wd = checkFinite(fn, 'weightDecay', options.weightDecay ?? 0, 0);
  const nesterov = options.nesterov === true;
  if (nesterov && mu === 0) throw new ArgumentError(`${fn}: momentum must be > 0 with nesterov, got ${mu}`);
  let mom = 0;
  if (mu !== 0) {
    if (state.momentum === undefined) state.momentum = Tensor.zeros(param.shape);
    mom = expectLike(fn, 'state.momentum', state.momentum, param, [param, grad]).offset;
  }
  if (param.size > 0) r.kernels.sgd_step_f32(grad.offset, param.offset, mom, param.size, lr, mu, wd, nesterov ? 1 : 0);
}

/** Options of `adamStep`: learning rate, step number, betas, eps, weight decay (coupled or decoupled). */
export interface AdamOptions {
  /** Learning rate, >= 0. */
  lr: number;
  /** Step number t >= 1 of this update (1 on the first step), for the bias corrections. */
  step: number;
  /** Default 0.9, in [0, 1). */
  beta1?: number;
  /** Default 0.999, in [0, 1). */
  beta2?: number;
  /** Default 1e-8, >= 0. */
  eps?: number;
  /** Weight decay lambda >= 0; default 0. Coupled L2 (Adam) unless `decoupled`. */
  weightDecay?: number;
  /** true = AdamW: p -= lr lambda p before the Adam update instead of adding lambda p to g. */
  decoupled?: boolean;
}

/**
 * One Adam / AdamW step in place, PyTorch semantics. With t = step,
 * bc1 = 1 - beta1^t, bc2 = 1 - beta2^t:
 *   g' = g + lambda p (Adam with weightDecay; AdamW instead p <- (1 - lr lambda) p first)
 *   m <- beta1 m + (1 - beta1) g',  v <- beta2 v + (1 - beta2) g'^2
 *   p <- p - lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
 * The kernel computes the last line as p - stepSize * m / (sqrt(v) + epsHat) with
 * stepSize = lr sqrt(bc2) / bc1 and epsHat = eps sqrt(bc2) from float64 here (the
 * same value in real arithmetic), and 1 - beta1, 1 - beta2 also from float64.
 * `state.m` and `state.v` start as zeros; one
 * fused pass over p, g, m, v.
 */
export function adamStep(param: Tensor, grad: Tensor, state: { m: Tensor; v: Tensor }, options: AdamOptions): void {
  const fn = 'adamStep';
  const r = rt(fn);
  expectF32(fn, 'param', param);
  expectLike(fn, 'grad', grad, param, [param]);
  checkObject(fn, 'state', state, 'an object with m and v');
  const m = expectLike(fn, 'state.m', state.m, param, [param, grad]);
  const v = expectLike(fn, 'state.v', state.v, param, [param, grad, m]);
  checkObject(fn, 'options', options, 'an object with lr and step');
  if (options.lr === undefined) throw new ArgumentError(`${fn}: lr must be a finite number >= 0, got undefined`);
  const lr = checkFinite(fn, 'lr', options.lr, 0);
  const t = checkInt(fn, 'step', options.step, 1);
  const beta1 = checkFinite(fn, 'beta1', options.beta1 ?? 0.9, 0, 1);
  const beta2 = checkFinite(fn, 'beta2', options.beta2 ?? 0.999, 0, 1);
  const eps = checkFinite(fn, 'eps', options.eps ?? 1e-8, 0);
  const wd = checkFinite(fn, 'weightDecay', options.weightDecay ?? 0, 0);
  const decoupled = options.decoupled === true;
  const bc1 = 1 - beta1 ** t;
  const sqrtBc2 = Math.sqrt(1 - beta2 ** t);
  const stepSize = (lr * sqrtBc2) / bc1;
  const epsHat = eps * sqrtBc2;
  if (param.size === 0) return;
  r.kernels.adam_step_f32(
    grad.offset,
    param.offset,
    m.offset,
    v.offset,
    param.size,
    stepSize,
    beta1,
    beta2,
    1 - beta1,
    1 - beta2,
    epsHat,
    decoupled ? 0 : wd,
    decoupled ? 1 - lr * wd : 1,
  );
}

/**
 * Global-norm gradient clipping in place (torch.nn.utils.clip_grad_norm_):
 * norm = sqrt(sum over all grads of g^2); when norm > maxNorm every gradient is
 * scaled by maxNorm / (norm + 1e-6). Returns the norm before clipping. A
 * non-finite norm (an inf or NaN gradient) leaves the gradients unchanged and is
 * returned, so the caller can skip the step. A Tensor listed twice counts
 * once. One pass per buffer for the sum
 * of squares (fixed order in the kernel, f64 across buffers), one to scale.
 */
export function clipGradNorm(grads: Tensor[], maxNorm: number): number {
  const fn = 'clipGradNorm';
  const r = rt(fn);
  if (!Array.isArray(grads))
    throw new ArgumentError(`${fn}: grads must be an array of Tensors, got ${describe(grads)}`);
  grads.forEach((g, i) => expectF32(fn, `grads[${i}]`, g));
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm < 0) {
    throw new ArgumentError(`${fn}: maxNorm must be a finite number >= 0, got ${String(maxNorm)}`);
  }
  // A Tensor listed twice is one buffer: counted and scaled once.
  const unique = [...new Set(grads)].filter((g) => g.size > 0);
  let total = 0;
  for (const g of unique) total += r.kernels.sum_squares_f32(g.offset, g.size);
  const norm = Math.sqrt(total);
  if (!Number.isFinite(norm)) return norm;
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of unique) r.kernels.scale_f32(g.offset, g.offset, g.size, coef);
  return norm;
}
