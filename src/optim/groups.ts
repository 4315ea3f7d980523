/**
 * Default parameter groups: weight decay on weight matrices only, none on
 * biases and normalisation weights (as Hugging Face's Trainer and most
 * Transformer recipes do).
 */
import { describe } from '../core/check.js';
import { ArgumentError } from '../core/errors.js';
import { Parameter } from '../autograd/parameter.js';
import type { ParamGroup } from './optimizer.js';

/**
 * True when a parameter gets no weight decay by default. The rule: the
 * parameter has rank <= 1 (biases, layer-norm gains and shifts, scalars), or
 * its name is `bias` or ends with `.bias`, or its name contains `norm` in any
 * case (`LayerNorm`, `layer_norm`, `ln_norm`, `norm1`, ...). Embedding tables and
 * weight matrices (rank >= 2, other names) are decayed.
 */
export function isNoDecay(name: string, param: Parameter): boolean {
  return param.shape.length <= 1 || name === 'bias' || name.endsWith('.bias') || name.toLowerCase().includes('norm');
}

/** Options of `defaultParamGroups`: the groups' weight decay and learning rate. */
export interface DefaultGroupsOptions {
  /** Weight decay of the decayed group; default: the optimizer's. The other group gets 0. */
  weightDecay?: number;
  /** Learning rate of both groups; default: the optimizer's. */
  lr?: number;
}

/**
 * Split named parameters (for example `module.namedParameters()`) into two
 * groups, in the given order within each: `[decayed, notDecayed]`, the second
 * with `weightDecay: 0` (see `isNoDecay` for the rule). Both carry `names`, so
 * state dicts and checkpoints key the optimizer state by parameter name. A
 * group left empty is omitted.
 */
export function defaultParamGroups(
  named: Iterable<readonly [string, Parameter]> | Record<string, Parameter>,
  options: DefaultGroupsOptions = {},
): ParamGroup<{ lr?: number; weightDecay?: number }>[] {
  const fn = 'defaultParamGroups';
  if (named === null || typeof named !== 'object') {
    throw new ArgumentError(
      `${fn}: named must be [name, Parameter] pairs or a record of Parameters, got ${describe(named)}`,
    );
  }
  const pairs: (readonly [string, Parameter])[] =
    Symbol.iterator in named
      ? [...(named as Iterable<readonly [string, Parameter]>)]
      : Object.entries(named as Record<string, Parameter>);
  const decay: Parameter[] = [];
  const decayNames: string[] = [];
  const none: Parameter[] = [];
  const noneNames: string[] = [];
  pairs.forEach((pair, i) => {
    const [name, p] = Array.isArray(pair) ? pair : [undefined, undefined];
    if (typeof name !== 'string' || !(p instanceof Parameter)) {
      throw new ArgumentError(`${fn}: named[${i}] must be a [string, Parameter] pair, got ${String(pair)}`);
    }
    if (isNoDecay(name, p)) {
      none.push(p);
      noneNames.push(name);
    } else {
      decay.push(p);
      decayNames.push(name);
    }
  });
  const extra: { lr?: number } = options.lr === undefined ? {} : { lr: options.lr };
  const groups: ParamGroup<{ lr?: number; weightDecay?: number }>[] = [];
  if (decay.length > 0)
    groups.push({
      params: decay,
      names: decayNames,
      ...extra,
      ...(options.weightDecay === undefined ? {} : { weightDecay: options.weightDecay }),
    });
  if (none.length > 0) groups.push({ params: none, names: noneNames, ...extra, weightDecay: 0 });
  return groups;
}
