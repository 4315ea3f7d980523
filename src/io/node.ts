/**
 * Node-only file helpers for the model formats: read a file into a Uint8Array,
 * and write atomically (a temp file in the same directory, then rename), so a
 * crash never leaves a half-written model. Not exported from the browser API.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FastTextModelData } from '../models/fasttext-model.js';
import { readFastTextBin, writeFastTextBin } from './fasttext-bin.js';

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
