/**
 * Gradient-flow diagnostics: the L2 norm of the gradients per parameter group after a
 * backward pass (`gradientNorms`), and statistics of what chosen modules output during a
 * forward pass (`recordActivations`, and `observe` for values of a user's own forward).
 * Both read the model through Wasm reductions (`sumOfSquares`, `tensorStats`: one pass
 * each, float64 sums), never by copying tensors into JavaScript, and change nothing they
 * measure: a run with diagnostics trains the same weights, bit for bit, as one without.
 * runLoop uses them every `diagnostics.every` steps (FitOptions.diagnostics).
 */
import { checkFunction, checkInt, checkOptions, describe } from '../core/check.js';
import { ArgumentError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { Variable } from '../autograd/tape.js';
import { Module, ModuleList } from '../nn/module.js';
import { sumOfSquares, tensorStats, type TensorStats } from '../ops/stats.js';

export type { TensorStats } from '../ops/stats.js';

/** Maps a dotted parameter name to the name of its group. */
export type GroupBy = (name: string) => string;

/** RNN parameter names: `weight_ih_l0`, `bias_hh_l1_reverse` (PyTorch's). */
const RNN_PARAM = /^(?:weight|bias)_[a-z]+_(l\d+(?:_reverse)?)$/;
const NUMERIC = /^\d+$/;

/**
 * The default group of a parameter: its name up to and including the first numeric path
 * segment (`encoder.layer.3.attention.self.query.weight` → `encoder.layer.3`), else the
 * layer of an RNN parameter (`lstm.weight_ih_l0` → `lstm.l0`, `lstm.bias_hh_l1_reverse` →
 * `lstm.l1_reverse`), else the first segment (`embeddings.word_embeddings.weight` →
 * `embeddings`, `classifier.weight` → `classifier`).
 */
export function parameterGroup(name: string): string {
  const parts = name.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (NUMERIC.test(parts[i]!)) return parts.slice(0, i + 1).join('.');
  }
  const m = RNN_PARAM.exec(parts[parts.length - 1]!);
  if (m !== null) return [...parts.slice(0, -1), m[1]!].join('.');
  return parts[0]!;
}

/** What `gradientNorms` returns. */
export interface GradientNorms {
  /** Group → ‖gradient‖₂ over the group's parameters, groups in the order of their first parameter. */
  groups: Record<string, number>;
  /** ‖gradient‖₂ over all parameters (the global norm that clipping compares with its threshold). */
  total: number;
}

/**
 * The L2 norm of the accumulated gradients (`param.grad`) of `module`'s trainable
 * parameters, per group (`groupBy`, default `parameterGroup`) and in total. Frozen
 * parameters are left out; a trainable one without a gradient yet counts as zeros.
 * Call it after `backward()` and before the optimizer step (and before clipping, to see
 * the norms clipping acts on).
 */
export function gradientNorms(module: Module, options: { groupBy?: GroupBy } = {}): GradientNorms {
  const fn = 'gradientNorms';
  if (!(module instanceof Module)) throw new ArgumentError(`${fn}: module must be a Module, got ${describe(module)}`);
  checkOptions(fn, 'options', options, ['groupBy']);
  const groupBy =
    options.groupBy === undefined ? parameterGroup : checkFunction<GroupBy>(fn, 'options.groupBy', options.groupBy);
  const sums = new Map<string, number>();
  let all = 0;
  for (const [name, p] of module.namedParameters()) {
    if (!p.requiresGrad) continue;
    const g = groupBy(name);
    if (typeof g !== 'string' || g === '')
      throw new ArgumentError(
        `${fn}: options.groupBy must return a non-empty string, got ${describe(g)} for "${name}"`,
      );
    const ss = p.grad === null ? 0 : sumOfSquares(p.grad);
    sums.set(g, (sums.get(g) ?? 0) + ss);
    all += ss;
  }
  const groups: Record<string, number> = {};
  for (const [g, s] of sums) groups[g] = Math.sqrt(s);
  return { groups, total: Math.sqrt(all) };
}

// ---- Activation statistics

/** Statistics being collected: label → stats, in the order the values were produced. */
type Recording = Map<string, TensorStats>;

/** The open recordings, innermost last (observe writes into the innermost). */
const recordings: Recording[] = [];

/** Pooled statistics of two sets of values (population variance). */
function merge(a: TensorStats, b: TensorStats): TensorStats {
  const count = a.count + b.count;
  if (count === 0) return a;
  const mean = (a.mean * a.count + b.mean * b.count) / count;
  const sq = (s: TensorStats) => s.count * (s.std * s.std + s.mean * s.mean);
  const variance = Math.max(0, (sq(a) + sq(b)) / count - mean * mean);
  return {
    mean,
    std: Math.sqrt(variance),
    zeroFraction: (a.zeroFraction * a.count + b.zeroFraction * b.count) / count,
    absMax: Math.max(a.absMax, b.absMax),
    count,
  };
}

/** The float32 Tensor a forward returned: a Variable's value, a Tensor, or the `output` of `{ output, ... }` (recurrent modules). */
function outputTensor(out: unknown): Tensor | null {
  let t: unknown = out;
  if (t !== null && typeof t === 'object' && !(t instanceof Variable) && !(t instanceof Tensor) && 'output' in t)
    t = (t as { output: unknown }).output;
  if (t instanceof Variable) t = t.value;
  if (!(t instanceof Tensor) || t.disposed || t.dtype !== 'float32' || t.size === 0) return null;
  return t;
}

/** Adds the statistics of `t` under `label` to `rec` (pooled with earlier values under that label). */
function addStats(rec: Recording, label: string, t: Tensor): void {
  const s = tensorStats(t);
  const prev = rec.get(label);
  rec.set(label, prev === undefined ? s : merge(prev, s));
}

/**
 * Records the statistics of `x` (a float32 Variable or Tensor) under `label` while a
 * `recordActivations` call runs (the innermost one); outside one it does nothing and
 * costs nothing. Values observed twice under one label are pooled. Returns `x`, so it
 * can wrap an expression: `h = observe('block.3', F.relu(layer.forward(h)))`.
 */
export function observe<X extends Variable | Tensor>(label: string, x: X): X {
  const rec = recordings[recordings.length - 1];
  if (rec === undefined) return x;
  if (typeof label !== 'string' || label === '')
    throw new ArgumentError(`observe: label must be a non-empty string, got ${describe(label)}`);
  if (!(x instanceof Variable) && !(x instanceof Tensor))
    throw new ArgumentError(`observe: x must be a Variable or Tensor, got ${describe(x)}`);
  const t = outputTensor(x);
  if (t !== null) addStats(rec, label, t);
  return x;
}

/** Options of `recordActivations`. */
export interface RecordActivationsOptions {
  /** The model whose modules' outputs are measured; without it only `observe` records. */
  model?: Module;
  /**
   * Dotted paths of the modules to measure (`'encoder.layer.0'`); default: every child of
   * a ModuleList (each encoder layer or block) and every direct child of `model`.
   */
  modules?: readonly string[];
}

/** What `recordActivations` returns. */
export interface RecordedActivations<T> {
  /** What `fn` returned. */
  result: T;
  /**
   * Label (module path, or `observe`'s label) → statistics of the values, in the order they
   * were produced; a module that ran twice pools both outputs. A module whose forward
   * returned no float32 value (nor `{ output }`) has no entry.
   */
  activations: Record<string, TensorStats>;
}

/** The modules `recordActivations` measures by default: each child of a ModuleList and each direct child of `model`, in tree order. */
export function defaultActivationModules(model: Module): string[] {
  const mods = model.namedModules();
  const byPath = new Map(mods);
  const out: string[] = [];
  for (const [path, m] of mods) {
    if (path === '' || typeof (m as unknown as { forward?: unknown }).forward !== 'function') continue;
    const dot = path.lastIndexOf('.');
    if (dot < 0 || byPath.get(path.slice(0, dot)) instanceof ModuleList) out.push(path);
  }
  return out;
}

/**
 * Checks module paths for `recordActivations`: each must name a module of `model` that has
 * a `forward` method, else `<fn>: <name>[i] must be a module path of the model, got "..."`.
 * Returns the modules by path.
 */
export function checkActivationModules(
  fn: string,
  name: string,
  model: Module,
  paths: readonly string[],
): [string, Module][] {
  if (!Array.isArray(paths))
    throw new ArgumentError(`${fn}: ${name} must be an array of module paths, got ${describe(paths)}`);
  const byPath = new Map(model.namedModules());
  return paths.map((p, i): [string, Module] => {
    const m = typeof p === 'string' && p !== '' ? byPath.get(p) : undefined;
    if (m === undefined || typeof (m as unknown as { forward?: unknown }).forward !== 'function') {
      const known = [...byPath.keys()].filter((k) => k !== '').slice(0, 12);
      throw new ArgumentError(
        `${fn}: ${name}[${i}] must be the path of a module of the model with a forward method, got ${describe(p)}` +
          `. Hint: the model's modules include ${known.map((k) => `'${k}'`).join(', ')}${byPath.size > 13 ? ', ...' : ''}`,
      );
    }
    return [p, m];
  });
}

type Forward = (...args: unknown[]) => unknown;

/**
 * Runs `fn` (a forward pass, synchronous) and returns its result with the statistics
 * (mean, std, zero fraction — the dead fraction of a ReLU output —, absMax; `tensorStats`)
 * of the outputs of `model`'s chosen modules and of what `observe` saw. The modules are
 * measured by wrapping the `forward` of those module instances for the duration of the
 * call; the wrappers are removed when it returns or throws, so nothing of the model changes
 * and other forward passes pay nothing. Recordings nest (observe writes into the innermost).
 */
export function recordActivations<T>(fn: () => T, options: RecordActivationsOptions = {}): RecordedActivations<T> {
  const name = 'recordActivations';
  checkFunction(name, 'fn', fn);
  checkOptions(name, 'options', options, ['model', 'modules']);
  const model = options.model;
  if (model !== undefined && !(model instanceof Module))
    throw new ArgumentError(`${name}: options.model must be a Module, got ${describe(model)}`);
  if (model === undefined && options.modules !== undefined)
    throw new ArgumentError(`${name}: options.modules needs options.model, got modules without a model`);
  const chosen =
    model === undefined
      ? []
      : checkActivationModules(name, 'options.modules', model, options.modules ?? defaultActivationModules(model));
  const rec: Recording = new Map();
  // Own-property wrappers over the instances' (prototype) forward; an own forward already there (an outer recording's) is kept and restored.
  const restore: (() => void)[] = [];
  recordings.push(rec);
  try {
    for (const [path, m] of chosen) {
      const target = m as unknown as { forward: Forward };
      const had = Object.getOwnPropertyDescriptor(target, 'forward');
      const inner = target.forward;
      const wrapped: Forward = function (this: unknown, ...args: unknown[]) {
        const out = inner.apply(this, args);
        const t = outputTensor(out);
        if (t !== null) addStats(rec, path, t);
        return out;
      };
      Object.defineProperty(target, 'forward', { value: wrapped, writable: true, configurable: true });
      restore.push(() => {
        if (had === undefined) delete (target as { forward?: Forward }).forward;
        else Object.defineProperty(target, 'forward', had);
      });
    }
    const result = fn();
    if (result instanceof Promise)
      throw new ArgumentError(`${name}: fn must be synchronous, got a function returning a Promise`);
    return { result, activations: Object.fromEntries(rec) };
  } finally {
    for (let i = restore.length - 1; i >= 0; i--) restore[i]!();
    recordings.splice(recordings.lastIndexOf(rec), 1);
  }
}

// ---- The training loop's diagnostics option

/** The `diagnostics` option of `fit` (FitOptions) and runLoop. */
export interface DiagnosticsOptions {
  /** Measure every `every` steps (global step numbers divisible by it; 1 = every step). */
  every: number;
  /** Parameter name → group name; default `parameterGroup`. */
  groupBy?: GroupBy;
  /** Module output statistics too: true (default) = `defaultActivationModules`, a list = those module paths, false = none. */
  activations?: boolean | readonly string[];
}

/** What a diagnostics step adds to its progress report (`Progress.diagnostics`). */
export interface TrainingDiagnostics {
  /** The step measured (global, 1-based: the report's `step`). */
  step: number;
  /** Group → ‖gradient‖₂ of the step's batch, before clipping (`gradientNorms`). */
  gradNorms: Record<string, number>;
  /** ‖gradient‖₂ over all trainable parameters, before clipping. */
  totalGradNorm: number;
  /** Module path → statistics of its output in the step's forward pass (`recordActivations`); absent with `activations: false`. */
  activations?: Record<string, TensorStats>;
}

/** The checked `diagnostics` option of a loop. */
export interface DiagnosticsSettings {
  every: number;
  groupBy: GroupBy;
  /** undefined: no activation statistics; else the module paths to measure. */
  modules: readonly string[] | undefined;
}

/**
 * Checks a `diagnostics` option against `model` (`name` is how errors call it:
 * `options.diagnostics`); undefined when it is absent.
 */
export function checkDiagnosticsOptions(
  fn: string,
  name: string,
  v: unknown,
  model: Module,
): DiagnosticsSettings | undefined {
  if (v === undefined) return undefined;
  const d = checkOptions<DiagnosticsOptions>(fn, name, v, ['every', 'groupBy', 'activations']);
  const every = checkInt(fn, `${name}.every`, d.every, 1);
  const groupBy = d.groupBy === undefined ? parameterGroup : checkFunction<GroupBy>(fn, `${name}.groupBy`, d.groupBy);
  const a = d.activations ?? true;
  let modules: readonly string[] | undefined;
  if (a === true) modules = defaultActivationModules(model);
  else if (a === false) modules = undefined;
  else if (Array.isArray(a)) modules = checkActivationModules(fn, `${name}.activations`, model, a).map(([p]) => p);
  else
    throw new ArgumentError(
      `${fn}: ${name}.activations must be a boolean or an array of module paths, got ${describe(a)}`,
    );
  return { every, groupBy, modules };
}
