/**
 * Node-only: BERT models from and to a Hugging Face model directory
 * (`config.json` + `model.safetensors`, and `vocab.txt` / `tokenizer.json` /
 * `tokenizer_config.json` when present). Not exported from the browser API; the
 * browser reads the files itself and calls `fromPretrained({ config, weights, vocab })`.
 */
import { describe } from '../../core/check.js';
import { readFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError, FormatError } from '../../core/errors.js';
import { writeBytesAtomic } from '../../io/node.js';
import type { BertPretrainedFiles, BertPretrainedOutput } from './modeling.js';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The files of a Hugging Face BERT directory, as `fromPretrained` takes them (vocabulary and lower-casing when present). */
export async function readBertFiles(dir: string): Promise<BertPretrainedFiles> {
  if (typeof dir !== 'string' || dir === '')
    throw new ArgumentError(`readBertFiles: dir must be a directory path, got ${JSON.stringify(dir)}`);
  const [config, w, vocab, tokenizer, tc] = await Promise.all([
    readFile(join(dir, 'config.json'), 'utf8'),
    readFile(join(dir, 'model.safetensors')),
    readOptional(join(dir, 'vocab.txt')),
    readOptional(join(dir, 'tokenizer.json')),
    readOptional(join(dir, 'tokenizer_config.json')),
  ]);
  const files: BertPretrainedFiles = { config, weights: new Uint8Array(w.buffer, w.byteOffset, w.byteLength) };
  if (vocab !== undefined) files.vocab = vocab;
  else if (tokenizer !== undefined) files.tokenizer = tokenizer;
  if (tc !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(tc);
    } catch (e) {
      throw new FormatError(
        `readBertFiles: ${join(dir, 'tokenizer_config.json')} must be JSON, got text that does not parse (${(e as Error).message})`,
      );
    }
    const lower = (parsed as { do_lower_case?: unknown } | null)?.do_lower_case;
    if (typeof lower === 'boolean') files.lowercase = lower;
  }
  return files;
}

/**
 * `cls.fromPretrained` over the files of `dir`, for example
 * `await loadBertFromDirectory('models/bert-tiny', BertForMaskedLM)`; the model's
 * `tokenizer` is set when the directory holds vocab.txt or tokenizer.json.
 */
export async function loadBertFromDirectory<M>(
  dir: string,
  cls: { fromPretrained(files: BertPretrainedFiles): M },
  options: { strict?: boolean } = {},
): Promise<M> {
  if (cls === null || typeof (cls as unknown) !== 'function' || typeof cls.fromPretrained !== 'function') {
    throw new ArgumentError(
      `loadBertFromDirectory: cls must be a BERT class with fromPretrained (BertModel, BertForMaskedLM, ...), got ${describe(cls)}`,
    );
  }
  return cls.fromPretrained({ ...(await readBertFiles(dir)), strict: options.strict });
}

/**
 * Write `model.toPretrained()` into `dir` (created if missing), each file
 * atomically and config.json last; tokenizer files the model does not write
 * (vocab.txt, tokenizer.json, tokenizer_config.json of an earlier save) are
 * removed, so the directory never pairs the new weights with an old vocabulary.
 */
export async function saveBertToDirectory(dir: string, model: { toPretrained(): BertPretrainedOutput }): Promise<void> {
  if (typeof dir !== 'string' || dir === '')
    throw new ArgumentError(`saveBertToDirectory: dir must be a directory path, got ${JSON.stringify(dir)}`);
  if (model === null || typeof model?.toPretrained !== 'function')
    throw new ArgumentError(
      `saveBertToDirectory: model must be a BERT model (with toPretrained), got ${describe(model)}`,
    );
  await mkdir(dir, { recursive: true });
  const files = model.toPretrained() as unknown as Record<string, string | Uint8Array | undefined>;
  const enc = new TextEncoder();
  for (const stale of ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json'])
    if (files[stale] === undefined) await rm(join(dir, stale), { force: true });
  const names = Object.keys(files)
    .filter((n) => files[n] !== undefined)
    .sort((a, b) => Number(a === 'config.json') - Number(b === 'config.json'));
  for (const name of names) {
    const content = files[name]!;
    await writeBytesAtomic(join(dir, name), typeof content === 'string' ? enc.encode(content) : content);
  }
}
