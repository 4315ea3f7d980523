/**
 * The base of the nn modules, PyTorch-shaped: a Module holds Parameters and
 * child Modules under names, and everything that walks the tree (parameters,
 * state dicts, train/eval, RNG state, initialisation) follows the dotted paths
 * those names make (`layer.0.attention.self.query.weight`).
 *
 * Initialisation is deterministic and name-keyed: `resetParameters(seed)` fills
 * each parameter from the Philox stream `fnv1a32(fullName)` under `seed`, so a
 * parameter's initial bits depend only on (seed, its dotted name, its shape) and
 * adding or removing another module shifts nothing else. Dropout modules get
 * the same treatment: seed `seed`, stream `fnv1a32(modulePath)`, counter 0.
 */
import { checkInt, checkObject, describe } from '../core/check.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { Parameter, disposeOnThrow } from '../autograd/parameter.js';
import { dropoutCounterSpan } from '../autograd/functional.js';
import * as F from '../autograd/functional.js';
import { type Input, type Variable, asVariable } from '../autograd/tape.js';

/** A value `loadStateDict` accepts for one key: a Tensor, a Parameter, `{ shape, data }` (what decodeSafetensors returns), or a bare Float32Array (size checked only). */
export type StateDictValue =
  Tensor | Parameter | { shape: readonly number[]; data: Float32Array | Int32Array } | Float32Array;

/** Keys that did not match in `loadStateDict`. */
export interface LoadStateDictResult {
  /** Parameters of the module with no entry in the dict. */
  missing: string[];
  /** Entries of the dict that name no parameter. */
  unexpected: string[];
}

/** Thrown by a strict `loadStateDict` when keys are missing or unexpected (nothing was loaded). */
export class StateDictError extends ArgumentError {
  constructor(
    message: string,
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
  ) {
    super(message);
  }
}

/** RNG state of one Dropout module (JSON-safe, for checkpoints). */
export interface DropoutRngState {
  seed: number;
  stream: number;
  counter: number;
}

/** FNV-1a over the UTF-8 bytes of `s`: the Philox stream of a parameter or dropout module named `s`. */
export function fnv1a32(s: string): number {
  const bytes = new TextEncoder().encode(s);
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Fills parameters from Philox streams keyed by name (see the file comment).
 * Uniform values are `(2u - 1) * bound` with u from `Tensor.rand`, computed in
 * float64 and rounded once to float32; normal values come from `Tensor.randn`.
 */
export class Initializer {
  constructor(readonly seed: number) {
    checkInt('Initializer', 'seed', seed, 0, Number.MAX_SAFE_INTEGER);
  }

  /** U(-bound, bound) from stream fnv1a32(name). */
  uniform(p: Parameter, name: string, bound: number): void {
    const u = Tensor.rand(p.shape, { seed: this.seed, stream: fnv1a32(name) });
    try {
      const src = u.view();
      const dst = p.value.view();
      for (let i = 0; i < dst.length; i++) dst[i] = (2 * src[i]! - 1) * bound;
    } finally {
      u.dispose();
    }
  }

  /** N(0, std²) from stream fnv1a32(name). */
  normal(p: Parameter, name: string, std: number): void {
    const n = Tensor.randn(p.shape, { seed: this.seed, stream: fnv1a32(name), std });
    try {
      p.value.view().set(n.view());
    } finally {
      n.dispose();
    }
  }

  fill(p: Parameter, value: number): void {
    p.value.view().fill(value);
  }
}

/** Constructors of composite modules build their children inside `building`; only the outermost constructor initialises. */
let buildDepth = 0;

/**
 * @internal Run `fn` (constructing child modules and Parameters) without the
 * children's own initialisation; the caller's resetParameters covers them. If
 * `fn` throws, every Parameter made inside it is freed (disposeOnThrow), so a
 * constructor failing half-way (a bad option of a later layer, out of memory)
 * leaves the heap as it was.
 */
export function building<T>(fn: () => T): T {
  buildDepth++;
  try {
    return disposeOnThrow(fn);
  } finally {
    buildDepth--;
  }
}

/** @internal True when a constructor should initialise its module (it is not being built as a child). */
export function isOutermost(): boolean {
  return buildDepth === 0;
}

/**
 * @internal The end of a module constructor: the outermost one initialises the
 * tree from `seed` (a child's is left to its parent). If that throws (a bad seed,
 * out of memory for a temporary), the module's parameters are freed first.
 */
export function initOutermost(m: Module, seed: number): void {
  if (buildDepth > 0) return;
  try {
    m.resetParameters(seed);
  } catch (e) {
    m.dispose();
    throw e;
  }
}

/**
 * A node of the module tree: named Parameters and named child Modules. On its
 * own it is a container (as `addModule` is public, a container groups modules
 * under a name, as Hugging Face's `attention.output` does).
 */
export class Module {
  /** True in training mode (dropout active); `train()` / `eval()` set it on the whole tree. */
  training = true;
  private readonly _params = new Map<string, Parameter>();
  private readonly _children = new Map<string, Module>();

  /** Register `p` under `name` (no dots); returns p. */
  addParameter(name: string, p: Parameter): Parameter {
    checkName('Module.addParameter', name);
    if (!(p instanceof Parameter))
      throw new ArgumentError(`Module.addParameter: p must be a Parameter, got ${describe(p)}`);
    this._params.set(name, p);
    return p;
  }

  /** Register `m` as a child under `name` (no dots); returns m. */
  addModule<M extends Module>(name: string, m: M): M {
    checkName('Module.addModule', name);
    if (!(m instanceof Module)) throw new ArgumentError(`Module.addModule: m must be a Module, got ${describe(m)}`);
    this._children.set(name, m);
    return m;
  }

  /** Direct children, [name, module] in registration order. */
  namedChildren(): [string, Module][] {
    return [...this._children];
  }

  children(): Module[] {
    return [...this._children.values()];
  }

  /** This module (path "") and every descendant with its dotted path, depth first, each module once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const walk = (m: Module, path: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [n, c] of m._children) walk(c, path === '' ? n : `${path}.${n}`);
    };
    walk(this, prefix);
    return out;
  }

  /** Every Parameter with its dotted name, in registration order (own parameters before children's); a shared Parameter appears once, under its first name. */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [n, p] of m._params) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path === '' ? n : `${path}.${n}`, p]);
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Number of parameter elements (trainable only when `trainableOnly`). */
  parameterCount(trainableOnly = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /** Set `requiresGrad` on every parameter (false freezes the module). */
  setRequiresGrad(requiresGrad: boolean): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Training mode (dropout on) for the whole tree, or eval mode when `mode` is false. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Eval mode: dropout is the identity. */
  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Free every parameter's value and gradient. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }

  /**
   * The parameter values by dotted name: the live Tensors (no copy, as PyTorch's
   * state_dict), valid until `dispose()`. `encodeSafetensors(m.stateDict())` and
   * `encodeCheckpoint({ weights: m.stateDict() })` take it as is.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, p] of this.namedParameters()) out[n] = p.value;
    return out;
  }

  /**
   * Copy values into the parameters by name. Strict (default): every parameter
   * must have an entry and every entry a parameter, else StateDictError listing
   * both (nothing is loaded). Not strict: matching keys load, the rest are
   * returned. Always: a value of the wrong shape throws ShapeError naming the key
   * (before anything is loaded), a non-float32 value DTypeError.
   */
  loadStateDict(
    dict: Record<string, StateDictValue> | Iterable<readonly [string, StateDictValue]>,
    options: { strict?: boolean } = {},
  ): LoadStateDictResult {
    const fn = 'Module.loadStateDict';
    checkObject(fn, 'dict', dict, 'a record or [name, value] pairs');
    const strict = options.strict ?? true;
    const entries: [string, StateDictValue][] =
      Symbol.iterator in dict
        ? [...(dict as Iterable<readonly [string, StateDictValue]>)].map(([k, v]) => [k, v])
        : Object.entries(dict as Record<string, StateDictValue>);
    const byName = new Map(entries);
    const params = new Map(this.namedParameters());
    const missing = [...params.keys()].filter((k) => !byName.has(k));
    const unexpected = [...byName.keys()].filter((k) => !params.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`missing keys ${missing.map((k) => `"${k}"`).join(', ')}`);
      if (unexpected.length > 0) parts.push(`unexpected keys ${unexpected.map((k) => `"${k}"`).join(', ')}`);
      throw new StateDictError(
        `${fn}: dict must have exactly the module's parameter names, got ${parts.join('; ')}`,
        missing,
        unexpected,
      );
    }
    const plan: [Parameter, Float32Array | Tensor][] = [];
    for (const [k, val] of byName) {
      const p = params.get(k);
      if (p === undefined) continue;
      plan.push([p, valueOf(fn, k, val, p.shape)]);
    }
    for (const [p, src] of plan) {
      if (src === p.value) continue;
      if (src instanceof Tensor) p.value.view().set(src.view());
      else p.value.view().set(src);
    }
    return { missing, unexpected };
  }

  /**
   * Fill every parameter of the tree from `seed` (name-keyed streams, see the
   * file comment) and reset every Dropout to (seed, fnv1a32(path), counter 0).
   */
  resetParameters(seed: number): this {
    const init = new Initializer(checkInt('Module.resetParameters', 'seed', seed, 0, Number.MAX_SAFE_INTEGER));
    for (const [path, m] of this.namedModules()) {
      m.initParameters(init, path === '' ? '' : `${path}.`);
      if (m instanceof Dropout) m.seedFrom(seed, path);
    }
    return this;
  }

  /** @internal Initialise this module's own parameters; `prefix` is its path plus "." (or ""). Containers have none. */
  protected initParameters(_init: Initializer, _prefix: string): void {}

  /** The RNG state of every Dropout of the tree (including attention-probability dropout) by module path. */
  rngState(): Record<string, DropoutRngState> {
    const out: Record<string, DropoutRngState> = {};
    for (const [path, m] of this.namedModules()) {
      if (m instanceof Dropout) out[path] = { seed: m.seed, stream: m.stream, counter: m.counter };
    }
    return out;
  }

  /** Restore what `rngState()` returned: every Dropout of the tree must have an entry and every entry a Dropout (StateDictError otherwise). */
  loadRngState(state: Record<string, DropoutRngState>): void {
    const fn = 'Module.loadRngState';
    checkObject(fn, 'state', state, 'a record of { seed, stream, counter }');
    const drops = new Map(this.namedModules().filter((e): e is [string, Dropout] => e[1] instanceof Dropout));
    const missing = [...drops.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !drops.has(k));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new StateDictError(
        `${fn}: state must have exactly the module's dropout paths, got missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`,
        missing,
        unexpected,
      );
    }
    for (const k of drops.keys()) {
      const s = state[k]!;
      const ok =
        s !== null &&
        typeof s === 'object' &&
        Number.isSafeInteger(s.seed) &&
        s.seed >= 0 &&
        Number.isInteger(s.stream) &&
        s.stream >= 0 &&
        s.stream <= 0xffffffff &&
        Number.isSafeInteger(s.counter) &&
        s.counter >= 0;
      if (!ok)
        throw new ArgumentError(
          `${fn}: state["${k}"] must be { seed, stream, counter } of non-negative integers, got ${JSON.stringify(s)}`,
        );
    }
    for (const [k, d] of drops) {
      const s = state[k]!;
      d.seed = s.seed;
      d.stream = s.stream;
      d.counter = s.counter;
    }
  }
}

function checkName(fn: string, name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.'))
    throw new ArgumentError(`${fn}: name must be a non-empty string without dots, got ${JSON.stringify(name)}`);
}

function valueOf(fn: string, key: string, v: StateDictValue, shape: readonly number[]): Float32Array | Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (v instanceof Float32Array) {
    if (v.length !== size)
      throw new ShapeError(`${fn}: "${key}" must have ${size} elements (shape ${formatShape(shape)}), got ${v.length}`);
    return v;
  }
  let got: readonly number[];
  let data: Float32Array | Int32Array | Tensor;
  if (v instanceof Parameter) {
    got = v.shape;
    data = v.value;
  } else if (v instanceof Tensor) {
    if (v.dtype !== 'float32') throw new DTypeError(`${fn}: "${key}" must be float32, got ${v.dtype}`);
    got = v.shape;
    data = v;
  } else if (
    v !== null &&
    typeof v === 'object' &&
    Array.isArray(v.shape) &&
    (v.data instanceof Float32Array || v.data instanceof Int32Array)
  ) {
    if (!(v.data instanceof Float32Array)) throw new DTypeError(`${fn}: "${key}" must be float32, got int32 data`);
    got = v.shape;
    data = v.data;
    if (data.length !== got.reduce((a, b) => a * b, 1))
      throw new ShapeError(
        `${fn}: "${key}" must have data of its shape ${formatShape(got)}, got ${data.length} elements`,
      );
  } else {
    throw new ArgumentError(
      `${fn}: "${key}" must be a Tensor, Parameter, { shape, data } or Float32Array, got ${describe(v)}`,
    );
  }
  if (formatShape(got) !== formatShape(shape))
    throw new ShapeError(`${fn}: "${key}" must have shape ${formatShape(shape)}, got ${formatShape(got)}`);
  return data as Float32Array | Tensor;
}

/** A list of modules named "0", "1", ... (Hugging Face's `layer.{i}`). */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(modules: readonly M[] = []) {
    super();
    for (const m of modules) this.push(m);
  }

  push(m: M): void {
    this.addModule(String(this.items.length), m);
    this.items.push(m);
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (m === undefined) throw new ArgumentError(`ModuleList.at: i must be in [0, ${this.items.length}), got ${i}`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** Seed and stream of a Dropout module's masks. */
export interface DropoutOptions {
  /** Seed of the Philox key; default 0 (`resetParameters(seed)` of an enclosing module sets it). */
  seed?: number;
  /** Philox stream; default fnv1a32("") = the stream of path "". */
  stream?: number;
}

/**
 * Dropout with a counter-based mask: each call in training mode uses
 * (seed, stream, counter) and advances `counter` by `dropoutCounterSpan(size)`,
 * so the masks of a run depend only on the seed and how many elements went
 * through before; `rngState()` / `loadRngState()` save and restore the counter.
 * Identity in eval mode and for p = 0 (no counter advance then).
 */
export class Dropout extends Module {
  seed: number;
  stream: number;
  counter = 0;

  constructor(
    readonly p = 0.1,
    options: DropoutOptions = {},
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1))
      throw new ArgumentError(`Dropout: p must be a number in [0, 1), got ${String(p)}`);
    this.seed = checkInt('Dropout', 'seed', options.seed ?? 0, 0, Number.MAX_SAFE_INTEGER);
    this.stream = options.stream ?? fnv1a32('');
  }

  /** @internal Set by resetParameters. */
  seedFrom(seed: number, path: string): void {
    this.seed = seed;
    this.stream = fnv1a32(path);
    this.counter = 0;
  }

  /** True when a call would drop (training and p > 0). */
  get active(): boolean {
    return this.training && this.p > 0;
  }

  /** The options of the next mask over `size` elements, advancing the counter; undefined when inactive. */
  take(size: number): { p: number; seed: number; stream: number; counter: number } | undefined {
    if (!this.active) return undefined;
    const o = { p: this.p, seed: this.seed, stream: this.stream, counter: this.counter };
    this.counter += dropoutCounterSpan(size);
    return o;
  }

  forward(x: Input): Variable {
    const X = asVariable('Dropout.forward', 'x', x);
    const o = this.take(X.size);
    return o === undefined ? X : F.dropout(X, o);
  }
}
