import { ArgumentError } from '../core/errors.js';
import { Tensor, keep } from '../core/tensor.js';
import { rt } from '../core/runtime.js';
import { ScopeStack } from '../core/scope.js';

/** Scopes opened by disposeOnThrow: the Parameters made while each was innermost. */
const made = new ScopeStack<Parameter>('disposeOnThrow');

/**
 * @internal Run `fn` (which builds Parameters, as a module constructor does);
 * if it throws, every Parameter made inside it, in nested scopes included, is
 * disposed before the error propagates. On success they move to the enclosing
 * scope, so a constructor that fails after its children were built frees them too.
 */
export function disposeOnThrow<T>(fn: () => T): T {
  return made.run(fn, () => () => true);
}

/**
 * A trainable tensor: its value, its accumulated gradient and whether it
 * trains. Values and gradients live on the heap for the model's lifetime (not
 * in a step's arena, not in a tidy() scope); `dispose()` frees both.
 * Gradients accumulate (backward kernels add into `grad`) until `zeroGrad()`.
 */
export class Parameter {
  readonly value: Tensor<'float32'>;
  /** The accumulated gradient, same shape as `value`; null until first needed. */
  grad: Tensor<'float32'> | null = null;
  /** False freezes the parameter: backward skips it and optimisers leave it alone. */
  requiresGrad: boolean;

  constructor(value: Tensor, options: { requiresGrad?: boolean } = {}) {
    if (!(value instanceof Tensor) || value.dtype !== 'float32') {
      throw new ArgumentError(
        `Parameter: value must be a float32 Tensor, got ${value instanceof Tensor ? value.dtype : typeof value}`,
      );
    }
    this.value = keep(value as Tensor<'float32'>);
    this.requiresGrad = options.requiresGrad ?? true;
    made.add(this);
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }

  get size(): number {
    return this.value.size;
  }

  /** The gradient tensor, allocated as zeros on first use. */
  ensureGrad(): Tensor<'float32'> {
    if (this.grad === null) this.grad = keep(Tensor.zeros(this.value.shape) as Tensor<'float32'>);
    return this.grad;
  }

  /** Set the gradient to zero (PyTorch's zero_grad with set_to_none = false). */
  zeroGrad(): void {
    if (this.grad !== null) {
      rt('Parameter.zeroGrad');
      this.grad.view().fill(0);
    }
  }

  dispose(): void {
    made.delete(this);
    this.value.dispose();
    this.grad?.dispose();
    this.grad = null;
  }
}
