/**
 * Node-only: BERT models from and to a Hugging Face model directory
 * (`config.json` + `model.safetensors`, and `vocab.txt` / `tokenizer.json` /
 * `tokenizer_config.json` when present). Not exported from the browser API; the
 * browser reads the files itself and calls `fromPretrained({ config, weights, vocab })`.
 */
import { lstat, mkdir, readFile, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { describe } from '../../core/check.js';
import { ArgumentError, FormatError } from '../../core/errors.js';
import { writeBytesAtomic } from '../../io/node.js';
import { fsyncDir, pidAlive, tempId as siblingId } from '../../io/node-fs.js';
import type { BertPretrainedFiles, BertPretrainedOutput } from './modeling.js';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The files saveBertToDirectory writes or removes; a directory holding anything else is not replaced. */
const OWN_FILES = ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json'];

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/** `dir` as an absolute path with a symlink at its end followed, so a save replaces the real directory, not the link. */
async function realTarget(dir: string): Promise<string> {
  let p = resolve(dir);
  for (let i = 0; i < 32; i++) {
    try {
      if (!(await lstat(p)).isSymbolicLink()) return p;
    } catch (e) {
      if (errno(e) === 'ENOENT') return p;
      throw e;
    }
    p = resolve(dirname(p), await readlink(p));
  }
  return p;
}

interface Sibling {
  path: string;
  kind: 'tmp' | 'old' | 'del';
  alive: boolean;
}

/** The `.<name>.<id>.tmp|old|del` siblings of `target` that saves made, and whether their process is alive. */
async function siblingsOf(target: string): Promise<Sibling[]> {
  const parent = dirname(target);
  const name = basename(target).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\.${name}\\.([0-9a-f]{8})[0-9a-f]{12}\\.(tmp|old|del)$`);
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (e) {
    if (errno(e) === 'ENOENT') return [];
    throw e;
  }
  const out: Sibling[] = [];
  for (const n of names.sort()) {
    const m = re.exec(n);
    if (m) out.push({ path: join(parent, n), kind: m[2] as Sibling['kind'], alive: pidAlive(parseInt(m[1]!, 16)) });
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
}

/**
 * When `target` is missing but the save that replaced it was killed between its two
 * renames (`target` -> `.old`, `.tmp` -> `target`), rename the `.old` back: it is the
 * complete previous directory (made by one rename, never deleted in place). Returns
 * whether `target` exists afterwards. Two dead `.old`s (several writers killed at
 * once) are not guessed between: FormatError naming them.
 */
async function recoverDirectory(fn: string, target: string): Promise<boolean> {
  if (await exists(target)) return true;
  const olds = (await siblingsOf(target)).filter((s) => s.kind === 'old' && !s.alive);
  if (olds.length > 1)
    throw new FormatError(
      `${fn}: ${target} must be missing with at most one interrupted save to recover, got ${olds.length}: ${olds.map((s) => basename(s.path)).join(', ')}. Hint: rename the one to keep to ${basename(target)}`,
    );
  if (olds.length === 0) return false;
  try {
    await rename(olds[0]!.path, target);
  } catch (e) {
    // another process recovered it first
    if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTEMPTY' && errno(e) !== 'EEXIST') throw e;
  }
  await fsyncDir(dirname(target));
  return exists(target);
}

/** Remove a directory: renamed to a `.del` first, so no `.old` or `.tmp` is ever seen half deleted. */
async function removeTree(path: string, target: string): Promise<void> {
  const del = join(dirname(target), `.${basename(target)}.${siblingId()}.del`);
  try {
    await rename(path, del);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw e;
  }
  await rm(del, { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The files of a Hugging Face BERT directory, as `fromPretrained` takes them (vocabulary and lower-casing when present). */
export async function readBertFiles(dir: string): Promise<BertPretrainedFiles> {
  if (typeof dir !== 'string' || dir === '')
    throw new ArgumentError(`readBertFiles: dir must be a directory path, got ${JSON.stringify(dir)}`);
  // saveBertToDirectory replaces a directory whole by two renames: read only when the directory is
  // the same one (same inode) before and after the reads, so no file comes from another version.
  const target = await realTarget(dir);
  for (let attempt = 0; ; attempt++) {
    let before;
    try {
      before = await stat(target);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
      if (attempt < 50 && (await recoverDirectory('readBertFiles', target))) continue;
      // a live save between its two renames: wait for it
      const saving = (await siblingsOf(target)).some((s) => s.kind === 'old' && s.alive);
      if (!saving || attempt >= 50) throw e;
      await sleep(10);
      continue;
    }
    let files: BertPretrainedFiles | undefined;
    let error: unknown;
    try {
      files = await readBertFilesOnce(dir);
    } catch (e) {
      error = e;
    }
    const after = await stat(target).catch(() => undefined);
    const same = after !== undefined && after.ino === before.ino && after.dev === before.dev;
    if (same || attempt >= 50) {
      if (files === undefined) throw error;
      if (same) return files;
      throw new FormatError(
        `readBertFiles: ${dir} must stay one directory while it is read, got it replaced ${attempt + 1} times. Hint: read it when no save is running`,
      );
    }
  }
}

async function readBertFilesOnce(dir: string): Promise<BertPretrainedFiles> {
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
 * Write `model.toPretrained()` into `dir` as a whole: a reader or a crash sees the previous directory or the new one.
 * The layout is Hugging Face's (config.json, model.safetensors, and vocab.txt +
 * tokenizer_config.json when the model has a tokenizer; nothing else). The files go
 * into a fresh sibling `.<name>.<id>.tmp`, each fsynced; then `dir` is renamed to
 * `.<name>.<id>.old`, the temp directory to `dir`, the parent fsynced and the old one
 * removed: never new weights beside an old vocabulary. A save killed between the two
 * renames leaves no `dir`: readBertFiles / loadBertFromDirectory and the next save
 * rename the `.old` back. The next save also removes what killed saves left (siblings
 * whose process is gone). See docs/reliability.md.
 *
 * `dir` is created if missing (and its parents). An existing `dir` must hold only
 * files this function writes or replaces (config.json, model.safetensors,
 * vocab.txt, tokenizer.json, tokenizer_config.json): anything else (a README, a
 * pytorch_model.bin) is an ArgumentError naming it, not copied and not lost, since
 * the whole directory is replaced. A symlink `dir` is followed: the directory it
 * points to is replaced and the link kept.
 */
export async function saveBertToDirectory(dir: string, model: { toPretrained(): BertPretrainedOutput }): Promise<void> {
  if (typeof dir !== 'string' || dir === '')
    throw new ArgumentError(`saveBertToDirectory: dir must be a directory path, got ${JSON.stringify(dir)}`);
  if (model === null || typeof model?.toPretrained !== 'function')
    throw new ArgumentError(
      `saveBertToDirectory: model must be a BERT model (with toPretrained), got ${describe(model)}`,
    );
  const files = model.toPretrained() as unknown as Record<string, string | Uint8Array | undefined>;
  const target = await realTarget(dir);
  const parent = dirname(target);
  if (basename(target) === '')
    throw new ArgumentError(
      `saveBertToDirectory: dir must be a directory path with a name, got ${JSON.stringify(dir)}`,
    );
  await mkdir(parent, { recursive: true });
  const present = await recoverDirectory('saveBertToDirectory', target).catch((e) => {
    if (e instanceof FormatError) return false; // several interrupted saves: this one supersedes them all
    throw e;
  });
  if (present) {
    if (!(await stat(target)).isDirectory())
      throw new ArgumentError(`saveBertToDirectory: dir must be a directory path, got the file ${JSON.stringify(dir)}`);
    const foreign = (await readdir(target)).filter((n) => !OWN_FILES.includes(n)).sort();
    if (foreign.length > 0)
      throw new ArgumentError(
        `saveBertToDirectory: dir must hold only a saved model's files (${OWN_FILES.join(', ')}), got ${foreign.join(', ')} in ${dir}. Hint: save into a new directory, or move those files out`,
      );
  }
  // what killed saves left: their temp directories, half-removed trees and, with dir in place, old copies
  for (const s of await siblingsOf(target))
    if (!s.alive && (s.kind !== 'old' || present)) await removeTree(s.path, target);
  const enc = new TextEncoder();
  const id = siblingId();
  const tmp = join(parent, `.${basename(target)}.${id}.tmp`);
  const old = join(parent, `.${basename(target)}.${id}.old`);
  await mkdir(tmp);
  try {
    for (const name of Object.keys(files).sort()) {
      const content = files[name];
      if (content !== undefined)
        await writeBytesAtomic(join(tmp, name), typeof content === 'string' ? enc.encode(content) : content);
    }
    await fsyncDir(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let replaced = false;
  try {
    await rename(target, old);
    replaced = true;
  } catch (e) {
    if (errno(e) !== 'ENOENT') {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }
  try {
    await rename(tmp, target);
  } catch (e) {
    if (replaced) await rename(old, target).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await fsyncDir(parent);
  if (replaced) await removeTree(old, target);
  for (const s of await siblingsOf(target)) if (!s.alive && s.kind === 'old') await removeTree(s.path, target);
}
