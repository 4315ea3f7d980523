/**
 * Node-only file helpers for the model formats: read a file into a Uint8Array,
 * and write atomically (a temp file in the same directory, then rename), so a
 * crash never leaves a half-written model. Not exported from the browser API.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FastTextModelData } from './fasttext-model.js';
import { readFastTextBin, writeFastTextBin } from './fasttext-bin.js';
import { decodeSafetensors, encodeSafetensors, type Safetensors } from './safetensors.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type CheckpointInput } from './checkpoint.js';

/** The bytes of a file. */
export async function readBytes(path: string): Promise<Uint8Array> {
  const b = await readFile(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Write `bytes` to `path` through a temp file and a rename. */
export async function writeBytesAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
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
