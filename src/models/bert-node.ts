/**
 * Node-only: a BERT model from a Hugging Face model directory (`config.json` +
 * `model.safetensors`). Not exported from the browser API; the browser reads the
 * two files itself and calls `fromPretrained({ config, weights })`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError } from '../core/errors.js';
import type { BertPretrainedFiles } from './bert.js';

/** The two files of a Hugging Face BERT directory, as `fromPretrained` takes them. */
export async function readBertFiles(dir: string): Promise<BertPretrainedFiles> {
  if (typeof dir !== 'string' || dir === '') throw new ArgumentError(`readBertFiles: dir must be a directory path, got ${JSON.stringify(dir)}`);
  const [config, w] = await Promise.all([readFile(join(dir, 'config.json'), 'utf8'), readFile(join(dir, 'model.safetensors'))]);
  return { config, weights: new Uint8Array(w.buffer, w.byteOffset, w.byteLength) };
}

/**
 * `cls.fromPretrained` over the files of `dir`, for example
 * `await loadBertFromDirectory('models/bert-tiny', BertForMaskedLM)`.
 */
export async function loadBertFromDirectory<M>(dir: string, cls: { fromPretrained(files: BertPretrainedFiles): M }, options: { strict?: boolean } = {}): Promise<M> {
  if (cls === null || typeof (cls as unknown) !== 'function' || typeof cls.fromPretrained !== 'function') {
    throw new ArgumentError(`loadBertFromDirectory: cls must be a BERT class with fromPretrained (BertModel, BertForMaskedLM, ...), got ${cls === null ? 'null' : typeof cls}`);
  }
  return cls.fromPretrained({ ...(await readBertFiles(dir)), strict: options.strict });
}
