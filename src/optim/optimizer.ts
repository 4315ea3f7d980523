/**
 * Optimisers over Parameters, PyTorch-shaped: `new AdamW(params | groups, options)`,
 * `step()`, `zeroGrad()`, `paramGroups`, `stateDict()` / `loadStateDict()`.
 * Each update is one fused kernel pass per parameter (src/ops/optim.ts).
 * Parameters with `requiresGrad` false or no gradient yet (`grad === null`)
 * are skipped, and their state does not advance (as in PyTorch).
 */
import { checkBool, checkFinite, checkNumber, checkObject, describe, didYouMean } from '../core/check.js';
import { ArgumentError } from '../core/errors.js';
import { Tensor, keep } from '../core/tensor.js';
import { Parameter } from '../autograd/parameter.js';
import { adamStep, sgdStep } from '../ops/optim.js';

/** The optimizer types, as state dicts record them. */
export type OptimizerName = 'SGD' | 'Adam' | 'AdamW';

/** Names of the per-parameter state tensors, as PyTorch names them in its state_dict. */
export type StateTensorName = 'momentum_buffer' | 'exp_avg' | 'exp_avg_sq';

/** Options of SGD (torch.optim.SGD's). */
export interface SGDConfig {
  /** Learning rate >= 0; default 1e-3. */
  lr?: number;
  /** Momentum factor >= 0; default 0 (no buffer is kept). Dampening is always 0. */
  momentum?: number;
  /** Coupled L2 weight decay >= 0 (added to the gradient); default 0. */
  weightDecay?: number;
  /** Nesterov momentum; needs momentum > 0. Default false. */
  nesterov?: boolean;
}

/** Options of Adam and AdamW (torch.optim's). */
export interface AdamConfig {
  /** Learning rate >= 0; default 1e-3. */
  lr?: number;
  /** (beta1, beta2), each in [0, 1); default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to sqrt(v-hat), >= 0; default 1e-8. */
  eps?: number;
  /** Adam: coupled L2 added to the gradient, default 0. AdamW: decoupled decay p *= 1 - lr wd, default 0.01. */
  weightDecay?: number;
}

/**
 * A parameter group as given to a constructor: the parameters, optionally their
 * names (same length; used as keys in `stateDict()` and checkpoints), and
 * hyper-parameters overriding the optimizer's options for this group.
 */
export type ParamGroup<C> = { params: readonly Parameter[]; names?: readonly string[] } & C;

/**
 * What a constructor takes: Parameters (one group, keys "0", "1", ...), [name,
 * Parameter] pairs such as `module.namedParameters()` (one group keyed by name),
 * or groups.
 */
export type OptimizerParams<C> =
  Iterable<Parameter> | Iterable<readonly [string, Parameter]> | readonly ParamGroup<C>[];

/**
 * A group as the optimizer holds it: every hyper-parameter resolved. The
 * hyper-parameters may be changed between steps (schedules set `lr`); they are
 * validated again at each `step()`.
 */
export type OptimizerGroup<C> = {
  readonly params: readonly Parameter[];
  readonly keys: readonly string[];
} & Required<C>;

/** Hyper-parameters of a group in a state dict (JSON-safe), with its parameters' keys. */
export interface GroupState {
  params: string[];
  lr: number;
  weightDecay: number;
  momentum?: number;
  nesterov?: boolean;
  betas?: [number, number];
  eps?: number;
}

/** State of one parameter in a state dict: its own step count and its moment buffers (copies). */
export type ParamStateDict = { step: number } & Partial<Record<StateTensorName, Float32Array>>;

/**
 * Everything an optimizer needs to resume (PyTorch's state_dict, keyed by
 * parameter key instead of index). A parameter's key is its name when its
 * group gave `names`, else its index in the flattened group order ("0", "1", ...).
 * The Float32Arrays are copies: the dict stays valid after the optimizer is disposed.
 */
export interface OptimizerStateDict {
  type: OptimizerName;
  /** Number of `step()` calls. */
  stepCount: number;
  groups: GroupState[];
  /** Only parameters that have been updated at least once have an entry. */
  state: Record<string, ParamStateDict>;
}

interface ParamState {
  step: number;
  tensors: Partial<Record<StateTensorName, Tensor<'float32'>>>;
}

/**
 * The largest learning rate an optimizer (and every trainer) accepts. PyTorch only rejects
 * lr < 0; we also reject NaN and ±Infinity, anything above 1e4 (no model trains with it and
 * float32 updates overflow), and lr 0 as a constructor setting (a schedule may still set a
 * group's lr to 0 between steps, and a state dict may hold it).
 */
export const MAX_LR = 1e4;

/**
 * A group's lr: a finite number >= 0 (> 0 when `setting`, the constructor's) and at most MAX_LR,
 * else `<fn>: <name> must be a finite number >= 0` (or `> 0`), with `and at most 10000` past the bound.
 */
function checkGroupLr(fn: string, name: string, v: unknown, setting: boolean): void {
  if (setting) checkNumber(fn, name, v, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  else checkFinite(fn, name, v, 0);
  checkNumber(fn, name, v, (x) => x <= MAX_LR, `a finite number ${setting ? '>' : '>='} 0 and at most ${MAX_LR}`);
}

/** Throws unless every key of `o` is one of `known` (a misspelt option must not be ignored). */
function knownKeys(fn: string, o: object, known: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k))
      throw new ArgumentError(`${fn}: options must have only ${known.join(', ')}, got "${k}"${didYouMean(k, known)}`);
  }
}

/** What every optimizer's options have: the schedules and the default groups set these. */
export interface BaseConfig {
  lr?: number;
  weightDecay?: number;
}

/** The base of SGD, Adam and AdamW: groups, per-parameter state, zeroGrad, state dicts. */
export abstract class Optimizer<C extends BaseConfig = BaseConfig> {
  abstract readonly type: OptimizerName;
  /** The groups, in the order given; hyper-parameters are mutable between steps. */
  readonly paramGroups: OptimizerGroup<C>[];
  /** Number of `step()` calls so far. */
  stepCount = 0;
  private readonly state = new Map<Parameter, ParamState>();

  protected constructor(fn: string, params: OptimizerParams<C>, defaults: Required<C>) {
    if (
      params === null ||
      typeof params !== 'object' ||
      typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function'
    ) {
      throw new ArgumentError(
        `${fn}: params must be an array of Parameters or of parameter groups, got ${describe(params)}`,
      );
    }
    const list = [...(params as Iterable<Parameter | ParamGroup<C>>)];
    if (list.length === 0) throw new ArgumentError(`${fn}: params must not be empty, got an empty list`);
    const first: unknown = list[0];
    const named =
      Array.isArray(first) && first.length === 2 && typeof first[0] === 'string' && first[1] instanceof Parameter;
    const pairs = list as unknown as [string, Parameter][];
    const groups: ParamGroup<C>[] =
      first instanceof Parameter
        ? [{ params: list as Parameter[] } as unknown as ParamGroup<C>]
        : named
          ? [
              {
                params: pairs.map((e) => (Array.isArray(e) ? e[1] : e)),
                names: pairs.map((e) => (Array.isArray(e) ? e[0] : e)),
              } as unknown as ParamGroup<C>,
            ]
          : (list as ParamGroup<C>[]);
    const seen = new Set<Parameter>();
    const keys = new Set<string>();
    let index = 0;
    this.paramGroups = groups.map((g, gi) => {
      const where = `groups[${gi}]`;
      if (g === null || typeof g !== 'object' || g instanceof Parameter || !Array.isArray(g.params)) {
        throw new ArgumentError(
          `${fn}: ${where} must be a { params: Parameter[] } group (do not mix Parameters and groups), got ${g instanceof Parameter ? 'a Parameter' : String(g)}`,
        );
      }
      const {
        params: ps,
        names,
        ...hyper
      } = g as { params: readonly Parameter[]; names?: readonly string[] } & Record<string, unknown>;
      if (
        names !== undefined &&
        (!Array.isArray(names) || names.length !== ps.length || names.some((n) => typeof n !== 'string'))
      ) {
        throw new ArgumentError(
          `${fn}: ${where}.names must be ${ps.length} strings (one per parameter), got ${Array.isArray(names) ? `${names.length} entries` : typeof names}`,
        );
      }
      const groupKeys: string[] = [];
      ps.forEach((p, i) => {
        if (!(p instanceof Parameter))
          throw new ArgumentError(`${fn}: ${where}.params[${i}] must be a Parameter, got ${describe(p)}`);
        if (seen.has(p))
          throw new ArgumentError(
            `${fn}: ${where}.params[${i}] must appear in one group only, got a parameter listed twice`,
          );
        seen.add(p);
        const key = names !== undefined ? names[i]! : String(index);
        if (keys.has(key)) throw new ArgumentError(`${fn}: ${where}.names[${i}] must be unique, got "${key}" twice`);
        keys.add(key);
        groupKeys.push(key);
        index++;
      });
      for (const k of Object.keys(hyper)) {
        if (!(k in defaults))
          throw new ArgumentError(
            `${fn}: ${where} must hold only params, names and ${Object.keys(defaults).join(', ')}, got "${k}"`,
          );
      }
      const resolved = { ...defaults, ...hyper, params: [...ps], keys: groupKeys } as OptimizerGroup<C>;
      this.check(fn, resolved, where);
      checkGroupLr(fn, `${where}.lr`, resolved.lr, true);
      return resolved;
    });
  }

  /** Throws ArgumentError unless the group's hyper-parameters are valid. */
  protected abstract check(fn: string, group: OptimizerGroup<C>, where: string): void;
  /** One update of `p` with gradient `grad`; `st.step` was already incremented. */
  protected abstract update(p: Parameter, grad: Tensor<'float32'>, group: OptimizerGroup<C>, st: ParamState): void;
  /** The group's hyper-parameters for a state dict. */
  protected abstract groupState(group: OptimizerGroup<C>): Omit<GroupState, 'params'>;

  /** Every parameter, in group order. */
  parameters(): Parameter[] {
    return this.paramGroups.flatMap((g) => [...g.params]);
  }

  /**
   * One update of every parameter that trains and has a gradient. The gradients
   * are read, not cleared: call `zeroGrad()` before the next backward pass.
   */
  step(): void {
    const fn = `${this.type}.step`;
    this.paramGroups.forEach((g, gi) => this.check(fn, g, `paramGroups[${gi}]`));
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.requiresGrad || p.grad === null) continue;
        let st = this.state.get(p);
        if (st === undefined) {
          st = { step: 0, tensors: {} };
          this.state.set(p, st);
        }
        st.step++;
        this.update(p, p.grad, g, st);
      }
    }
    this.stepCount++;
  }

  /** Zero every parameter's gradient (the buffers are kept). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.zeroGrad();
  }

  /** A kept (tidy-proof) zero buffer of the parameter's shape. */
  protected buffer(p: Parameter, st: ParamState, name: StateTensorName): Tensor<'float32'> {
    let t = st.tensors[name];
    if (t === undefined) {
      t = keep(Tensor.zeros(p.shape) as Tensor<'float32'>);
      st.tensors[name] = t;
    }
    return t;
  }

  /** A copy of the step counts, moment buffers and hyper-parameters. */
  stateDict(): OptimizerStateDict {
    const state: Record<string, ParamStateDict> = {};
    for (const g of this.paramGroups) {
      g.params.forEach((p, i) => {
        const st = this.state.get(p);
        if (st === undefined) return;
        const entry: ParamStateDict = { step: st.step };
        for (const [name, t] of Object.entries(st.tensors) as [StateTensorName, Tensor<'float32'>][])
          entry[name] = t.toArray();
        state[g.keys[i]!] = entry;
      });
    }
    return {
      type: this.type,
      stepCount: this.stepCount,
      groups: this.paramGroups.map((g) => ({ params: [...g.keys], ...this.groupState(g) })),
      state,
    };
  }

  /**
   * Restore a state dict from `stateDict()` (or a checkpoint) of an optimizer
   * of the same type over the same groups (same keys in the same order). The
   * hyper-parameters, step counts and buffers are copied in (bit for bit);
   * parameters without an entry start fresh.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const fn = `${this.type}.loadStateDict`;
    checkObject(fn, 'state', sd, 'an optimizer state dict');
    if (sd.type !== this.type)
      throw new ArgumentError(`${fn}: state.type must be "${this.type}", got ${JSON.stringify(sd.type)}`);
    if (!Number.isSafeInteger(sd.stepCount) || sd.stepCount < 0)
      throw new ArgumentError(`${fn}: state.stepCount must be an integer >= 0, got ${String(sd.stepCount)}`);
    if (!Array.isArray(sd.groups) || sd.groups.length !== this.paramGroups.length) {
      throw new ArgumentError(
        `${fn}: state.groups must have ${this.paramGroups.length} groups, got ${Array.isArray(sd.groups) ? sd.groups.length : typeof sd.groups}`,
      );
    }
    const byKey = new Map<string, Parameter>();
    const resolved = this.paramGroups.map((g, gi) => {
      const s = sd.groups[gi]!;
      const want = JSON.stringify(g.keys);
      if (s === null || typeof s !== 'object' || JSON.stringify(s.params) !== want) {
        throw new ArgumentError(`${fn}: state.groups[${gi}].params must be ${want}, got ${JSON.stringify(s?.params)}`);
      }
      g.params.forEach((p, i) => byKey.set(g.keys[i]!, p));
      const next = { ...g } as Record<string, unknown>;
      for (const k of Object.keys(g))
        if (k !== 'params' && k !== 'keys' && k in s) next[k] = (s as unknown as Record<string, unknown>)[k];
      if (Array.isArray(next.betas)) next.betas = [...(next.betas as number[])];
      this.check(fn, next as OptimizerGroup<C>, `state.groups[${gi}]`);
      return next;
    });
    const incoming = new Map<Parameter, ParamState>();
    for (const [key, entry] of Object.entries(sd.state ?? {})) {
      const p = byKey.get(key);
      if (p === undefined)
        throw new ArgumentError(`${fn}: state.state keys must name this optimizer's parameters, got "${key}"`);
      // A parameter has an entry after its first update, and each step() updates it at most once.
      const lo = this.type === 'SGD' ? 0 : 1; // Adam's bias correction divides by 1 - beta^step
      if (!Number.isSafeInteger(entry?.step) || entry.step < lo || entry.step > sd.stepCount) {
        throw new ArgumentError(
          `${fn}: state.state["${key}"].step must be an integer in [${lo}, ${sd.stepCount}] (state.stepCount), got ${String(entry?.step)}`,
        );
      }
      const arrays: Partial<Record<StateTensorName, Float32Array>> = {};
      for (const name of ['momentum_buffer', 'exp_avg', 'exp_avg_sq'] as const) {
        const a = entry[name];
        if (a === undefined) continue;
        if (!(a instanceof Float32Array) || a.length !== p.size) {
          throw new ArgumentError(
            `${fn}: state.state["${key}"].${name} must be a Float32Array of ${p.size} values, got ${a instanceof Float32Array ? a.length : typeof a}`,
          );
        }
        // a NaN or Infinity moment (or a negative second moment) would make every later update NaN
        for (let i = 0; i < a.length; i++) {
          const x = a[i]!;
          if (!Number.isFinite(x) || (name === 'exp_avg_sq' && x < 0)) {
            throw new ArgumentError(
              `${fn}: state.state["${key}"].${name} must hold finite values${name === 'exp_avg_sq' ? ' >= 0' : ''}, got ${x} at index ${i}`,
            );
          }
        }
        arrays[name] = a;
      }
      incoming.set(p, { step: entry.step, tensors: arrays as never });
    }
    // Everything checked: now replace the groups and the state.
    resolved.forEach((g, gi) => Object.assign(this.paramGroups[gi]!, g));
    for (const st of this.state.values()) for (const t of Object.values(st.tensors)) t.dispose();
    this.state.clear();
    for (const [p, { step, tensors }] of incoming) {
      const st: ParamState = { step, tensors: {} };
      for (const [name, a] of Object.entries(tensors) as unknown as [StateTensorName, Float32Array][]) {
        st.tensors[name] = keep(Tensor.fromArray(a, p.shape) as Tensor<'float32'>);
      }
      this.state.set(p, st);
    }
    this.stepCount = sd.stepCount;
  }

  /** Free the moment buffers (the parameters are not touched). */
  dispose(): void {
    for (const st of this.state.values()) for (const t of Object.values(st.tensors)) t.dispose();
    this.state.clear();
  }
}

/**
 * Stochastic gradient descent, torch.optim.SGD (dampening 0):
 * g' = g + wd p; with momentum buf = mu buf + g' (buf = g' on the first step),
 * p -= lr (Nesterov ? g' + mu buf : buf); without, p -= lr g'.
 */
export class SGD extends Optimizer<SGDConfig> {
  readonly type = 'SGD' as const;

  constructor(params: OptimizerParams<SGDConfig>, options: SGDConfig = {}) {
    super('SGD', params, SGD.defaults(options));
  }

  private static defaults(o: SGDConfig): Required<SGDConfig> {
    checkObject('SGD', 'options', o);
    knownKeys('SGD', o, ['lr', 'momentum', 'weightDecay', 'nesterov']);
    return {
      lr: o.lr ?? 1e-3,
      momentum: o.momentum ?? 0,
      weightDecay: o.weightDecay ?? 0,
      nesterov: o.nesterov ?? false,
    };
  }

  protected check(fn: string, g: OptimizerGroup<SGDConfig>, where: string): void {
    checkGroupLr(fn, `${where}.lr`, g.lr, false);
    checkFinite(fn, `${where}.momentum`, g.momentum, 0);
    checkFinite(fn, `${where}.weightDecay`, g.weightDecay, 0);
    checkBool(fn, `${where}.nesterov`, g.nesterov);
    if (g.nesterov && g.momentum === 0)
      throw new ArgumentError(`${fn}: ${where}.momentum must be > 0 with nesterov, got 0`);
  }

  protected update(p: Parameter, grad: Tensor<'float32'>, g: OptimizerGroup<SGDConfig>, st: ParamState): void {
    const momentum = g.momentum > 0 ? this.buffer(p, st, 'momentum_buffer') : undefined;
    sgdStep(
      p.value,
      grad,
      { momentum },
      { lr: g.lr, momentum: g.momentum, weightDecay: g.weightDecay, nesterov: g.nesterov },
    );
  }

  protected groupState(g: OptimizerGroup<SGDConfig>): Omit<GroupState, 'params'> {
    return { lr: g.lr, weightDecay: g.weightDecay, momentum: g.momentum, nesterov: g.nesterov };
  }
}

function adamDefaults(fn: string, o: AdamConfig, weightDecay: number): Required<AdamConfig> {
  checkObject(fn, 'options', o);
  knownKeys(fn, o, ['lr', 'betas', 'eps', 'weightDecay']);
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay,
  };
}

function adamCheck(fn: string, g: OptimizerGroup<AdamConfig>, where: string): void {
  checkGroupLr(fn, `${where}.lr`, g.lr, false);
  if (!Array.isArray(g.betas) || g.betas.length !== 2) {
    throw new ArgumentError(`${fn}: ${where}.betas must be [beta1, beta2], got ${JSON.stringify(g.betas)}`);
  }
  checkFinite(fn, `${where}.betas[0]`, g.betas[0], 0, 1);
  checkFinite(fn, `${where}.betas[1]`, g.betas[1], 0, 1);
  checkFinite(fn, `${where}.eps`, g.eps, 0);
  checkFinite(fn, `${where}.weightDecay`, g.weightDecay, 0);
}

/** Adam and AdamW: the same kernel, coupled or decoupled weight decay. */
export abstract class AdamBase extends Optimizer<AdamConfig> {
  protected constructor(
    fn: 'Adam' | 'AdamW',
    params: OptimizerParams<AdamConfig>,
    options: AdamConfig,
    weightDecay: number,
  ) {
    super(fn, params, adamDefaults(fn, options, weightDecay));
  }

  protected check(fn: string, g: OptimizerGroup<AdamConfig>, where: string): void {
    adamCheck(fn, g, where);
  }

  protected update(p: Parameter, grad: Tensor<'float32'>, g: OptimizerGroup<AdamConfig>, st: ParamState): void {
    const m = this.buffer(p, st, 'exp_avg');
    const v = this.buffer(p, st, 'exp_avg_sq');
    adamStep(
      p.value,
      grad,
      { m, v },
      {
        lr: g.lr,
        step: st.step,
        beta1: g.betas[0],
        beta2: g.betas[1],
        eps: g.eps,
        weightDecay: g.weightDecay,
        decoupled: this.type === 'AdamW',
      },
    );
  }

  protected groupState(g: OptimizerGroup<AdamConfig>): Omit<GroupState, 'params'> {
    return { lr: g.lr, weightDecay: g.weightDecay, betas: [g.betas[0], g.betas[1]], eps: g.eps };
  }
}

/**
 * Adam, torch.optim.Adam (amsgrad false): coupled L2 g' = g + wd p, then
 * m = b1 m + (1 - b1) g', v = b2 v + (1 - b2) g'^2,
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), t the parameter's own step count.
 */
export class Adam extends AdamBase {
  readonly type = 'Adam' as const;

  constructor(params: OptimizerParams<AdamConfig>, options: AdamConfig = {}) {
    super('Adam', params, options, 0);
  }
}

/**
 * AdamW, torch.optim.AdamW: decoupled weight decay p *= 1 - lr wd (on the
 * parameter before the update), then Adam's update without L2 in the gradient.
 * Default weightDecay 0.01, as in PyTorch.
 */
export class AdamW extends AdamBase {
  readonly type = 'AdamW' as const;

  constructor(params: OptimizerParams<AdamConfig>, options: AdamConfig = {}) {
    super('AdamW', params, options, 0.01);
  }
}
