import { ArgumentError, ShapeError, WasmNlpError, formatShape } from '../core/errors.js';
import { describe } from '../core/check.js';
import { rt } from '../core/runtime.js';
import { ScopeStack } from '../core/scope.js';
import { Tensor, keep } from '../core/tensor.js';
import { Parameter } from './parameter.js';

/**
 * A value of one training step: a Tensor, its gradient once backward() has
 * reached it, and the tape node that made it. Values, saved activations and
 * gradients of a step belong to the tape and are freed by `tape.release()`
 * (or at the end of `step(fn)`); a Variable is unusable afterwards.
 * Parameters enter the graph as leaves: their gradients go to `param.grad`.
 */
export class Variable {
  /** The gradient (same shape), for leaves made with requiresGrad; null until backward() reaches it. Intermediate gradients are freed as soon as they have been used. */
  grad: Tensor | null = null;
  /** @internal The node that computed this value; null for leaves. */
  node: Node | null = null;

  /** @internal Use `variable(tensor)`, `param(p)` or the ops of functional.ts. */
  constructor(
    /** The value. */
    readonly value: Tensor,
    /** True when a gradient flows to this value (some input requires one and grad mode is on). */
    readonly requiresGrad: boolean,
    /** The Parameter this leaf stands for, or null. */
    readonly param: Parameter | null = null,
  ) {}

  get shape(): readonly number[] {
    return this.value.shape;
  }

  get size(): number {
    return this.value.size;
  }

  get dtype(): Tensor['dtype'] {
    return this.value.dtype;
  }

  /** True for values not computed by a recorded op (inputs, parameters). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** A copy of the value. */
  toArray(): Float32Array | Int32Array {
    return this.value.toArray();
  }

  /** The value of a one-element Variable (a loss). */
  item(): number {
    if (this.value.size !== 1)
      throw new ShapeError(`Variable.item: the value must have 1 element, got shape ${formatShape(this.shape)}`);
    return this.value.view()[0]!;
  }

  /** The same value as a constant: no gradient flows back through the result (PyTorch's detach; no copy). */
  detach(): Variable {
    return new Variable(this.value, false);
  }

  /** Back-propagate from this value: see `backward`. */
  backward(grad?: Tensor): void {
    backward(this, grad);
  }

  toString(): string {
    return `Variable(${this.dtype}, ${formatShape(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** @internal One recorded op: its output and how to send the output's gradient to its inputs. */
export interface Node {
  readonly out: Variable;
  /** Adds d loss / d input into gradOf(input) for each input that requires a gradient. */
  readonly backward: (grad: Tensor) => void;
  /** Position in the tape. */
  readonly index: number;
}

/** What ops accept as an input: a step value, a Parameter (a leaf), or a plain Tensor (a constant). */
export type Input = Variable | Parameter | Tensor;

/**
 * The record of one step: the ops run since the last release (in order) and
 * every Tensor they made. One tape serves the whole library (`tape`); ops
 * record on it unless inside `noGrad`.
 */
export class Tape {
  private nodes: Node[] = [];
  /** Tensors owned by the step, freed by release(): the root scope, and one scope per open noGrad (the innermost last). */
  private readonly scopes = new ScopeStack<Tensor>('noGrad', true);
  private leafGrads: Variable[] = [];

  /** True when ops record (outside noGrad). */
  get gradEnabled(): boolean {
    return this.scopes.depth === 1;
  }

  /** Recorded ops since the last release. */
  get length(): number {
    return this.nodes.length;
  }

  /** Live Tensors the step owns (values, saved activations, gradients). */
  get tensorCount(): number {
    let n = 0;
    for (const t of this.scopes.items()) if (!t.disposed) n++;
    return n;
  }

  /**
   * @internal Take ownership of a Tensor made by an op: release() frees it. It is
   * also exempt from tidy(), which cannot see Tensors inside a returned Variable.
   */
  own<T extends Tensor>(t: T): T {
    this.scopes.add(keep(t));
    return t;
  }

  /** @internal Record an op. Returns the output Variable (requiresGrad when an input does and grad mode is on). */
  record(value: Tensor, inputs: readonly Variable[], backward: (grad: Tensor) => void): Variable {
    this.own(value);
    const needs = this.gradEnabled && inputs.some((v) => v.requiresGrad);
    const out = new Variable(value, needs);
    if (needs) {
      const node: Node = { out, backward, index: this.nodes.length };
      out.node = node;
      this.nodes.push(node);
    }
    return out;
  }

  /** @internal The gradient buffer of `v` (param.grad for a Parameter leaf), zeros on first use. */
  gradOf(v: Variable): Tensor {
    if (v.param !== null) return v.param.ensureGrad();
    if (v.grad === null) {
      v.grad = this.own(Tensor.zeros(v.shape));
      if (v.node === null) this.leafGrads.push(v);
    }
    return v.grad;
  }

  /** @internal Run the backward pass from `loss`. */
  backward(loss: Variable, seed?: Tensor): void {
    const fn = 'backward';
    if (!(loss instanceof Variable)) throw new ArgumentError(`${fn}: loss must be a Variable, got ${describe(loss)}`);
    if (!loss.requiresGrad) {
      throw new ArgumentError(
        `${fn}: loss must depend on a Parameter or Variable that requires a gradient, got one that does not. Hint: was it computed inside noGrad(), or are all parameters frozen?`,
      );
    }
    if (seed === undefined && loss.size !== 1) {
      throw new ShapeError(
        `${fn}: loss must have one element when no gradient is given, got shape ${formatShape(loss.shape)}`,
      );
    }
    if (seed !== undefined && (!(seed instanceof Tensor) || seed.dtype !== 'float32' || seed.size !== loss.size)) {
      throw new ShapeError(
        `${fn}: grad must be a float32 Tensor of ${loss.size} elements, got ${seed instanceof Tensor ? `${seed.dtype} ${formatShape(seed.shape)}` : describe(seed)}`,
      );
    }
    const node = loss.node;
    if (node === null) {
      // A leaf: its gradient is the seed.
      const g = this.gradOf(loss);
      addSeed(g, seed);
      return;
    }
    if (this.nodes[node.index] !== node)
      throw new WasmNlpError(`${fn}: loss must belong to the current step, got a Variable from a released tape`);
    // Intermediate gradients left by an earlier backward() would count twice.
    for (let i = 0; i <= node.index; i++) this.clearGrad(this.nodes[i]!.out);
    addSeed(this.gradOf(loss), seed);
    for (let i = node.index; i >= 0; i--) {
      const n = this.nodes[i]!;
      const g = n.out.grad;
      if (g === null) continue;
      n.backward(g);
      this.clearGrad(n.out);
    }
  }

  private clearGrad(v: Variable): void {
    if (v.grad !== null) {
      v.grad.dispose();
      v.grad = null;
    }
  }

  /** @internal Run fn without recording; dispose what it made except what it returns. */
  noGrad<T>(fn: () => T): T {
    return this.scopes.run(fn, (result) => {
      const survivors = new Set<Tensor>();
      collect(result, survivors);
      return (t) => survivors.has(t);
    });
  }

  /**
   * Free everything the step made: values, saved activations and gradients of
   * Variables (Parameters and their `grad` are not touched). Call it after the
   * optimizer step; every Variable of the step is unusable afterwards.
   */
  release(): void {
    if (this.scopes.depth !== 1)
      throw new WasmNlpError('release: must not be called inside noGrad(), got a call from inside one');
    const owned = this.scopes.takeRoot();
    for (const n of this.nodes) n.out.grad = null;
    for (const v of this.leafGrads) v.grad = null;
    this.nodes = [];
    this.leafGrads = [];
    for (let i = owned.length - 1; i >= 0; i--) owned[i]!.dispose();
  }
}

/** g += seed (the caller's gradient of the loss, any shape of the same size), or g[0] += 1. */
function addSeed(g: Tensor, seed: Tensor | undefined): void {
  if (seed === undefined) (g.view() as Float32Array)[0]! += 1;
  else if (g.size > 0) rt('backward').kernels.add_f32(g.offset, seed.offset, g.offset, g.size);
}

function collect(x: unknown, into: Set<Tensor>): void {
  if (x instanceof Tensor) into.add(x);
  else if (x instanceof Variable) {
    into.add(x.value);
  } else if (Array.isArray(x)) for (const y of x) collect(y, into);
  else if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const y of Object.values(x)) collect(y, into);
  }
}

/** The tape every op records on. */
export const tape = new Tape();

/**
 * Back-propagate from `loss` (one element; seed 1, or `grad` of the loss's size):
 * every Parameter it depends on with requiresGrad gets d loss / d param ADDED to
 * `param.grad` (zeroGrad() clears), every leaf Variable made with requiresGrad
 * gets its `grad`. Branches that need no gradient do no work. Calling it twice
 * adds the gradients twice.
 */
export function backward(loss: Variable, grad?: Tensor): void {
  tape.backward(loss, grad);
}

/**
 * Run `fn` with recording off (inference): ops record nothing and keep no saved
 * activations; every Tensor made inside is freed at the end except those in
 * the result (a Variable, a Tensor, or arrays / plain objects of them), which
 * stay until `tape.release()`.
 */
export function noGrad<T>(fn: () => T): T {
  return tape.noGrad(fn);
}

/** True outside noGrad(). */
export function isGradEnabled(): boolean {
  return tape.gradEnabled;
}

let stepDepth = 0;

/**
 * One step: run `fn` (forward, backward, optimizer update), then free every
 * temporary of the step (`tape.release()`), also when fn throws. Return plain
 * numbers (`loss.item()`), not Variables: those are freed. Steps do not nest.
 */
export function step<T>(fn: () => T): T {
  if (stepDepth > 0)
    throw new WasmNlpError(
      'step: calls must not nest, got step() inside step() (the inner release would free the outer step)',
    );
  stepDepth++;
  try {
    const r = fn();
    if (r instanceof Promise)
      throw new WasmNlpError('step: fn must be synchronous, got a function returning a Promise');
    return r;
  } finally {
    stepDepth--;
    tape.release();
  }
}

/**
 * A leaf Variable over a Tensor the caller owns (inputs, or values to
 * differentiate with respect to when requiresGrad is true; then `grad` holds
 * d loss / d value after backward()). The tensor is not freed by release().
 */
export function variable(value: Tensor, options: { requiresGrad?: boolean } = {}): Variable {
  if (!(value instanceof Tensor)) throw new ArgumentError(`variable: value must be a Tensor, got ${describe(value)}`);
  const rg = options.requiresGrad === true;
  if (rg && value.dtype !== 'float32')
    throw new ArgumentError(`variable: value must be float32 to require a gradient, got ${value.dtype}`);
  return new Variable(value, rg && tape.gradEnabled);
}

/** The leaf Variable of a Parameter (requiresGrad follows the parameter's, and is off inside noGrad). */
export function param(p: Parameter): Variable {
  if (!(p instanceof Parameter)) throw new ArgumentError(`param: p must be a Parameter, got ${describe(p)}`);
  return new Variable(p.value, p.requiresGrad && tape.gradEnabled, p);
}

/** Any op input as a Variable: Parameters become leaves, Tensors constant leaves. */
export function asVariable(fn: string, name: string, x: Input): Variable {
  if (x instanceof Variable) {
    if (x.value.disposed)
      throw new ArgumentError(`${fn}: ${name} must be a live Variable, got one whose step was released`);
    return x;
  }
  if (x instanceof Parameter) return param(x);
  if (x instanceof Tensor) return new Variable(x, false);
  throw new ArgumentError(`${fn}: ${name} must be a Variable, Parameter or Tensor, got ${describe(x)}`);
}
