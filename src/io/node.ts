/**
 * Node-only file helpers for the model formats: read a file into a Uint8Array,
 * and write atomically (a temp file in the same directory, fsynced, then renamed
 * over the target, then the directory fsynced), so neither a crash nor a power
 * loss leaves a half-written model. Temp files of killed saves are removed by the
 * next save to the same path. Not exported from the browser API.
 */
import { open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDir, pidAlive, tempId } from './node-fs.js';
import type { FastTextModelData } from './fasttext-model.js';
import { readFastTextBin, writeFastTextBin } from './fasttext-bin.js';
import { decodeSafetensors, encodeSafetensors, type Safetensors } from './safetensors.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type CheckpointInput } from './checkpoint.js';

/** The bytes of a file. */
export async function readBytes(path: string): Promise<Uint8Array> {
  const b = await readFile(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Temp files of a save before the pid was in the name (`.<base>.<12 hex>.tmp`): removed only when an hour old. */
const LEGACY_TEMP_AGE_MS = 3_600_000;

/**
 * Remove the temp files that killed saves of `path` left beside it: `.<base>.<pid><hex>.tmp`
 * whose pid is not a live process (a live one may be a concurrent save), and names without a
 * pid (an older version's) an hour old. Best effort: errors are ignored.
 */
async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const base = escapeRegExp(basename(path));
  const ours = new RegExp(`^\\.${base}\\.([0-9a-f]{8})[0-9a-f]{12}\\.tmp$`);
  const legacy = new RegExp(`^\\.${base}\\.[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = ours.exec(n);
    try {
      if (m) {
        if (!pidAlive(parseInt(m[1]!, 16))) await rm(join(dir, n), { force: true });
      } else if (legacy.test(n) && Date.now() - (await stat(join(dir, n))).mtimeMs > LEGACY_TEMP_AGE_MS) {
        await rm(join(dir, n), { force: true });
      }
    } catch {
      // another save removed it first, or it is not ours to remove: leave it
    }
  }
}

/**
 * Write `bytes` to `path` atomically and durably (temp file, fsync, rename, directory fsync).
 * The temp file is `.<base>.<pid><hex>.tmp` beside `path` (the pid as 8 hex digits, then
 * 12 random ones); it is fsynced, renamed over `path`, and the directory fsynced. A reader
 * sees the old file or the new one, never a part; a killed save leaves at most its temp
 * file, which the next save to `path` removes once that pid is not alive. On an error the
 * temp file is removed and `path` is unchanged.
 */
export async function writeBytesAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await removeStaleTemps(path);
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${tempId()}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    // fsync through a second descriptor: the data is the inode's, whichever descriptor wrote it
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dir);
}

/** Read a native fastText `.bin` file. */
export async function loadFastTextBin(path: string): Promise<FastTextModelData> {
  return readFastTextBin(await readBytes(path));
}

/** Write a fastText `.bin` file atomically. */
export async function saveFastTextBin(path: string, model: FastTextModelData): Promise<void> {
  await writeBytesAtomic(path, writeFastTextBin(model));
}

/** Write a safetensors file atomically (see encodeSafetensors). */
export async function saveSafetensors(
  path: string,
  tensors: Parameters<typeof encodeSafetensors>[0],
  metadata?: Record<string, string>,
): Promise<void> {
  await writeBytesAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Read a safetensors file (see decodeSafetensors). */
export async function loadSafetensors(path: string): Promise<Safetensors> {
  return decodeSafetensors(await readBytes(path));
}

/** Write a checkpoint atomically: the old file stays whole until the new one is complete. */
export async function saveCheckpoint(path: string, checkpoint: CheckpointInput): Promise<void> {
  await writeBytesAtomic(path, encodeCheckpoint(checkpoint));
}

/** Read a checkpoint written by saveCheckpoint / encodeCheckpoint. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  return decodeCheckpoint(await readBytes(path));
}
