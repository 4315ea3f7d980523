/**
 * The single-file save of a wasm-nlp model: a safetensors file whose metadata
 * names the model class (MODEL_KEY) and holds its config (CONFIG_KEY).
 */
import { checkBytes } from '../core/check.js';
import { FormatError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import { decodeSafetensors } from './safetensors.js';

/** Metadata key of saved files naming the model class. */
export const MODEL_KEY = 'wasm-nlp.model';
/** Metadata key of saved files holding the config (JSON). */
export const CONFIG_KEY = 'wasm-nlp.config';

/**
 * A model of class `kind` from `toSafetensors` bytes (any Uint8Array, Node Buffers from
 * readFileSync included: decodeSafetensors copies each tensor's own bytes): checks the metadata, makes
 * the model from the saved config (and the rest of the metadata, for what else a
 * class saves there), loads the weights (disposing the model if
 * they do not fit) and returns it in eval mode.
 */
export function loadSaved<M extends Module>(
  fn: string,
  bytes: Uint8Array | ArrayBuffer,
  kind: string,
  make: (config: Record<string, unknown>, metadata: Record<string, string>) => M,
): M {
  const { tensors, metadata } = decodeSafetensors(checkBytes(fn, 'bytes', bytes));
  if (metadata[MODEL_KEY] !== kind)
    throw new FormatError(
      `${fn}: bytes at offset 8 must be a header whose __metadata__ has "${MODEL_KEY}": "${kind}", got ${JSON.stringify(metadata[MODEL_KEY] ?? null)}`,
    );
  let config: unknown;
  try {
    config = JSON.parse(metadata[CONFIG_KEY] ?? '');
  } catch {
    throw new FormatError(
      `${fn}: bytes at offset 8 must be a header whose __metadata__ has "${CONFIG_KEY}" as JSON, got ${JSON.stringify(metadata[CONFIG_KEY] ?? null)}`,
    );
  }
  if (config === null || typeof config !== 'object')
    throw new FormatError(
      `${fn}: bytes at offset 8 must be a header whose "${CONFIG_KEY}" is a JSON object, got ${String(config)}`,
    );
  const m = make(config as Record<string, unknown>, metadata);
  try {
    m.loadStateDict(tensors);
  } catch (e) {
    m.dispose();
    throw e;
  }
  return m.eval();
}
