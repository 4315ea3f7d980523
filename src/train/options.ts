/**
 * The option checks every trainer shares: the keys an options object may have, and
 * `onProgress`, `onCheckpoint`, `resumeFrom`, `threads` and `signal`.
 */
import { checkNumber, describe, didYouMean } from '../core/check.js';
import { ArgumentError } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { MAX_LR } from '../optim/optimizer.js';
import { checkAbortSignal } from './abort.js';

/**
 * `options` is an object (not an array) with only `keys`, else an ArgumentError:
 * `<fn>: options must be an object, got ...`, or for an unknown key
 * `<fn>: options.<key> is not an option: options must have only the keys <keys>, got '<key>'`
 * followed by `; did you mean '<known key>'?` when one is close (equal up to case and
 * `_`, or within edit distance 2: `nearestKey` in src/core/check.ts).
 */
export function checkOptionKeys(fn: string, options: unknown, keys: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ArgumentError(`${fn}: options must be an object, got ${describe(options)}`);
  for (const k of Object.keys(options)) {
    if (!keys.includes(k)) {
      throw new ArgumentError(
        `${fn}: options.${k} is not an option: options must have only the keys ${keys.join(', ')}, got '${k}'${didYouMean(k, keys)}`,
      );
    }
  }
}

/**
 * A learning rate setting: a finite number > 0 (else `<fn>: <name> must be a finite number > 0, got ...`)
 * and at most MAX_LR (else `... must be a finite number > 0 and at most 10000, got ...`).
 */
export function checkLr(fn: string, name: string, v: unknown): number {
  checkNumber(fn, name, v, (x) => Number.isFinite(x) && x > 0, 'a finite number > 0');
  return checkNumber(fn, name, v, (x) => x <= MAX_LR, `a finite number > 0 and at most ${MAX_LR}`);
}

/** The shell options of a training call. `prefix` is how errors name them ('options.' or ''). */
export interface ShellOptions<P> {
  onProgress?: (p: P) => void;
  signal?: AbortSignal;
  threads?: number;
}

/** Checks the shell options; returns the thread count (default 1). `pool`: threads > 1 need a worker pool this large. */
export function checkShellOptions<P>(fn: string, o: ShellOptions<P>, prefix: '' | 'options.', pool = false): number {
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
    throw new ArgumentError(`${fn}: ${prefix}onProgress must be a function, got ${typeof o.onProgress}`);
  checkAbortSignal(fn, `${prefix}signal`, o.signal);
  const threads = o.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64))
    throw new ArgumentError(`${fn}: ${prefix}threads must be an integer in [1, 64], got ${String(threads)}`);
  if (pool && threads > 1) {
    const p = rt(fn).pool;
    if (p === undefined || p.size < threads) {
      throw new ArgumentError(
        `${fn}: threads must be at most the worker pool size, got ${threads} with ${p === undefined ? 'no worker pool' : `a pool of ${p.size}`}. ` +
          `Hint: \`await init({ threads: ${threads} })\` (call shutdown() first if init() already ran), or train with threads: 1.`,
      );
    }
  }
  return threads;
}

/** `onCheckpoint` (a function) and `resumeFrom` (bytes), both optional. */
export function checkCheckpointOptions(fn: string, o: { onCheckpoint?: unknown; resumeFrom?: unknown }): void {
  if (o.onCheckpoint !== undefined && typeof o.onCheckpoint !== 'function')
    throw new ArgumentError(`${fn}: options.onCheckpoint must be a function, got ${typeof o.onCheckpoint}`);
  if (o.resumeFrom !== undefined && !(o.resumeFrom instanceof Uint8Array))
    throw new ArgumentError(
      `${fn}: options.resumeFrom must be a Uint8Array (checkpoint bytes), got ${typeof o.resumeFrom}`,
    );
}
