/**
 * Training checkpoints as one safetensors file:
 *   - model weights under the caller's names (Hugging Face style, for example
 *     `encoder.layer.0.attention.self.query.weight`);
 *   - optimizer state tensors as `optimizer.<parameter key>.<state>` with
 *     PyTorch's state names (`exp_avg`, `exp_avg_sq`, `momentum_buffer`);
 *   - `__metadata__`: "checkpoint" = "wasm-nlp/1", "optimizer" = JSON of the
 *     optimizer's scalars (type, stepCount, groups, per-parameter steps), and one
 *     entry per `meta` key holding that value as JSON (config, step, epoch,
 *     RNG counters, scheduler state...).
 * Floats round-trip bit for bit, so resuming from a checkpoint continues a run
 * exactly.
 */
import { checkObject } from '../core/check.js';
import { ArgumentError, FormatError } from '../core/errors.js';
import type {
  GroupState,
  OptimizerName,
  OptimizerStateDict,
  ParamStateDict,
  StateTensorName,
} from '../optim/optimizer.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput, type SafetensorsTensor } from './safetensors.js';

/** The format tag every checkpoint carries in its metadata (checked when read). */
export const CHECKPOINT_VERSION = 'wasm-nlp/1';
const MARK = 'checkpoint';
const OPT = 'optimizer';
const PREFIX = 'optimizer.';
const STATE_NAMES: readonly StateTensorName[] = ['momentum_buffer', 'exp_avg', 'exp_avg_sq'];
const OPTIMIZER_NAMES: readonly OptimizerName[] = ['SGD', 'Adam', 'AdamW'];
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** What `encodeCheckpoint` stores: weights by name, an optimizer's state dict, JSON metadata. */
export interface CheckpointInput {
  /** Model weights by name: Tensors, Parameters (their values) or { shape, data }. */
  weights: Record<string, SafetensorsInput> | Iterable<readonly [string, SafetensorsInput]>;
  /** An optimizer's `stateDict()`. */
  optimizer?: OptimizerStateDict;
  /** Anything else to restore, each value JSON-serialisable (NaN and Infinity become null, as in JSON). */
  meta?: Record<string, unknown>;
}

/** A checkpoint read back: weights, the optimizer's state dict (or null) and the metadata. */
export interface Checkpoint {
  weights: Record<string, SafetensorsTensor>;
  /** Ready for `optimizer.loadStateDict()`; null when none was saved. */
  optimizer: OptimizerStateDict | null;
  meta: Record<string, unknown>;
}

/** The optimizer's scalars as stored in the metadata. */
interface OptimizerScalars {
  type: OptimizerName;
  stepCount: number;
  groups: GroupState[];
  steps: Record<string, number>;
}

/** The safetensors bytes of a checkpoint. */
export function encodeCheckpoint(checkpoint: CheckpointInput): Uint8Array {
  const fn = 'encodeCheckpoint';
  checkObject(fn, 'checkpoint', checkpoint, '{ weights, optimizer?, meta? }');
  const { weights, optimizer, meta = {} } = checkpoint;
  checkObject(fn, 'weights', weights, 'a record or [name, tensor] pairs');
  const tensors: [string, SafetensorsInput][] = [];
  const pairs =
    Symbol.iterator in weights
      ? [...(weights as Iterable<readonly [string, SafetensorsInput]>)]
      : Object.entries(weights as Record<string, SafetensorsInput>);
  for (const [name, t] of pairs) {
    if (typeof name === 'string' && name.startsWith(PREFIX)) {
      throw new ArgumentError(
        `${fn}: weight names must not start with "${PREFIX}" (kept for the optimizer state), got "${name}"`,
      );
    }
    tensors.push([name, t]);
  }

  const metadata: Record<string, string> = { [MARK]: CHECKPOINT_VERSION };
  checkObject(fn, 'meta', meta);
  for (const [k, v] of Object.entries(meta)) {
    if (k === MARK || k === OPT)
      throw new ArgumentError(`${fn}: meta keys must not be "${MARK}" or "${OPT}", got "${k}"`);
    const json = JSON.stringify(v);
    if (typeof json !== 'string')
      throw new ArgumentError(`${fn}: meta["${k}"] must be JSON-serialisable, got ${typeof v}`);
    metadata[k] = json;
  }

  if (optimizer !== undefined) {
    if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.state !== 'object') {
      throw new ArgumentError(`${fn}: optimizer must be an optimizer's stateDict(), got ${String(optimizer)}`);
    }
    const steps: Record<string, number> = {};
    for (const [key, st] of Object.entries(optimizer.state)) {
      steps[key] = st.step;
      for (const name of STATE_NAMES) {
        const a = st[name];
        if (a !== undefined) tensors.push([`${PREFIX}${key}.${name}`, { shape: [a.length], data: a }]);
      }
    }
    const scalars: OptimizerScalars = {
      type: optimizer.type,
      stepCount: optimizer.stepCount,
      groups: optimizer.groups,
      steps,
    };
    metadata[OPT] = JSON.stringify(scalars);
  }
  return encodeSafetensors(tensors, metadata);
}

function headerError(what: string, got: string): FormatError {
  return new FormatError(`decodeCheckpoint: bytes at offset 8 (the header) must be ${what}, got ${got}`);
}

/**
 * Read a checkpoint written by `encodeCheckpoint`. FormatError for malformed
 * safetensors (see decodeSafetensors), a file without the checkpoint mark, or
 * metadata and optimizer tensors that do not agree.
 */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata[MARK] !== CHECKPOINT_VERSION) {
    throw headerError(
      `"__metadata__" holding "${MARK}": "${CHECKPOINT_VERSION}" (a wasm-nlp checkpoint)`,
      JSON.stringify(metadata[MARK] ?? null),
    );
  }
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (k === MARK || k === OPT) continue;
    let value: unknown;
    try {
      value = JSON.parse(v);
    } catch {
      throw headerError(`JSON in metadata "${k}"`, JSON.stringify(v.slice(0, 40)));
    }
    // defineProperty: a key "__proto__" is data, not the object's prototype
    Object.defineProperty(meta, k, { value, enumerable: true, writable: true, configurable: true });
  }

  const weights: Record<string, SafetensorsTensor> = {};
  const stateTensors: [string, SafetensorsTensor][] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(PREFIX)) stateTensors.push([name.slice(PREFIX.length), t]);
    else Object.defineProperty(weights, name, { value: t, enumerable: true, writable: true, configurable: true });
  }

  let optimizer: OptimizerStateDict | null = null;
  if (metadata[OPT] !== undefined) {
    let s: OptimizerScalars;
    try {
      s = JSON.parse(metadata[OPT]) as OptimizerScalars;
    } catch {
      throw headerError(`JSON in metadata "${OPT}"`, JSON.stringify(metadata[OPT].slice(0, 40)));
    }
    if (
      s === null ||
      typeof s !== 'object' ||
      typeof s.steps !== 'object' ||
      s.steps === null ||
      Array.isArray(s.steps) ||
      !Array.isArray(s.groups)
    ) {
      throw headerError(`metadata "${OPT}" as { type, stepCount, groups, steps }`, metadata[OPT].slice(0, 60));
    }
    if (!OPTIMIZER_NAMES.includes(s.type))
      throw headerError(`metadata "${OPT}" with type ${OPTIMIZER_NAMES.join(' | ')}`, JSON.stringify(s.type));
    if (!isCount(s.stepCount))
      throw headerError(`metadata "${OPT}" with stepCount an integer >= 0`, JSON.stringify(s.stepCount) ?? 'none');
    s.groups.forEach((g, i) => {
      if (g === null || typeof g !== 'object' || Array.isArray(g) || !Array.isArray(g.params))
        throw headerError(`metadata "${OPT}" with groups[${i}] a { params, lr, ... } object`, JSON.stringify(g));
    });
    const state: Record<string, ParamStateDict> = {};
    for (const [key, step] of Object.entries(s.steps)) {
      if (!isCount(step) || step > s.stepCount)
        throw headerError(
          `metadata "${OPT}" with steps["${key}"] an integer in [0, stepCount (${s.stepCount})]`,
          JSON.stringify(step),
        );
      Object.defineProperty(state, key, { value: { step }, enumerable: true, writable: true, configurable: true });
    }
    for (const [rest, t] of stateTensors) {
      const dot = rest.lastIndexOf('.');
      const key = rest.slice(0, dot);
      const name = rest.slice(dot + 1) as StateTensorName;
      if (dot < 0 || !STATE_NAMES.includes(name) || !Object.hasOwn(state, key) || t.dtype !== 'F32') {
        throw headerError(
          `optimizer tensors named ${PREFIX}<parameter key>.(${STATE_NAMES.join('|')}), F32, with the key in metadata "${OPT}"`,
          `"${PREFIX}${rest}" (${t.stored})`,
        );
      }
      state[key]![name] = t.data as Float32Array;
    }
    optimizer = { type: s.type, stepCount: s.stepCount, groups: s.groups, state };
  } else if (stateTensors.length > 0) {
    throw headerError(
      `metadata "${OPT}" for the optimizer tensors`,
      `"${PREFIX}${stateTensors[0]![0]}" and no "${OPT}" entry`,
    );
  }
  return { weights, optimizer, meta };
}
