import { checkObject } from './check.js';
import { ArgumentError } from './errors.js';
import type { KernelName } from './pool.js';
import { type Runtime, generation, rt } from './runtime.js';

// How many threads the parallel ops (GEMM, attention) use, and the synchronous
// fork-join that runs chunks of a kernel call on the calling (main) thread and
// pool workers at once (WorkerPool.runTask: shared memory and Atomics, no
// messages).

/** Default of ThreadOptions.gemmMinMacs (see docs/architecture.md, "Threads", for the measurement). */
export const GEMM_MIN_MACS = 1 << 20;
/** Default of ThreadOptions.attentionMinMacs. */
export const ATTENTION_MIN_MACS = 1 << 19;

/** Options of `setThreads`: the work below which an op stays on one thread. */
export interface ThreadOptions {
  /** A GEMM with fewer multiply-adds (m n k) stays on one thread; default 2^20. 0 splits every GEMM. */
  gemmMinMacs?: number;
  /** Attention with fewer multiply-adds in q k^T (B H S^2 D) stays on one thread; default 2^19. */
  attentionMinMacs?: number;
}

/** The setting of setThreads(), valid for the runtime generation it was made in. */
let setting = { gen: -1, n: 1, gemmMinMacs: GEMM_MIN_MACS, attentionMinMacs: ATTENTION_MIN_MACS };

/**
 * Threads for GEMM and attention (matmul, gemm, linear and its backward,
 * attention and its backward, and so the autograd ops over them): the calling
 * thread and `n - 1` workers of the pool of `init({ threads })`. 1 (the
 * default) runs everything on the calling thread. n must not exceed the pool
 * size. Work below the thresholds of `options` (the fork-join costs some
 * microseconds) stays on one thread. Results are bit-identical to n = 1 (see
 * docs/architecture.md, "Threads"). shutdown() resets to 1 and the default
 * thresholds.
 */
export function setThreads(n: number, options: ThreadOptions = {}): void {
  const fn = 'setThreads';
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 64) {
    throw new ArgumentError(`${fn}: threads must be an integer in [1, 64], got ${n}`);
  }
  checkObject(fn, 'options', options);
  const r = rt(fn);
  if (n > 1) {
    const size = r.pool?.size ?? 0;
    if (n > size) {
      throw new ArgumentError(
        `${fn}: threads must be at most the worker pool size, got ${n} with ${r.pool === undefined ? 'no worker pool' : `a pool of ${size}`}. ` +
          `Hint: \`await init({ threads: ${n} })\` (call shutdown() first if init() already ran).`,
      );
    }
  }
  const min = (name: keyof ThreadOptions, dflt: number): number => {
    const v = options[name] ?? dflt;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isSafeInteger(v))
      throw new ArgumentError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
    return v;
  };
  setting = {
    gen: generation,
    n,
    gemmMinMacs: min('gemmMinMacs', GEMM_MIN_MACS),
    attentionMinMacs: min('attentionMinMacs', ATTENTION_MIN_MACS),
  };
}

/** The thresholds in force (internal: read by the parallel ops). */
export function parallelMin(): { gemmMacs: number; attentionMacs: number } {
  return setting.gen === generation
    ? { gemmMacs: setting.gemmMinMacs, attentionMacs: setting.attentionMinMacs }
    : { gemmMacs: GEMM_MIN_MACS, attentionMacs: ATTENTION_MIN_MACS };
}

/** The threads GEMM and attention use now (1 before init, after shutdown, or by default). */
export function getThreads(): number {
  return setting.gen === generation ? setting.n : 1;
}

/**
 * Run kernel `fn` once per entry of `chunks` (its arguments) on getThreads()
 * threads at once, returning when all are done: the calling thread and pool
 * workers claim chunks in order from a shared counter (WorkerPool.runTask).
 * `works[t]` replaces argument `workArg` in the chunks thread t runs (t = 0 the
 * calling thread, t >= 1 worker t - 1). Workers with async calls in flight
 * (e.g. a running trainParallel) are left out. Chunks must write disjoint
 * memory; each chunk's result then does not depend on the thread that ran it.
 */
export function runChunks(
  r: Runtime,
  fn: KernelName,
  chunks: readonly (readonly number[])[],
  workArg: number,
  works: readonly number[],
): void {
  const threads = getThreads();
  if (r.pool === undefined || threads < 2 || chunks.length < 2) {
    const call = (r.kernels as unknown as Record<string, (...a: number[]) => unknown>)[fn]!;
    for (const c of chunks) {
      const args = [...c];
      if (workArg >= 0) args[workArg] = works[0]!;
      call(...args);
    }
    return;
  }
  r.pool.runTask(r.kernels, fn, chunks, workArg, works, threads);
}

/**
 * Bounds of up to `parts` consecutive pieces of [0, total), each a multiple of
 * `align` long except the last: [0, b1, ..., total].
 */
export function splitRange(total: number, parts: number, align: number): number[] {
  const units = Math.ceil(total / align);
  const p = Math.max(1, Math.min(parts, units));
  const bounds: number[] = [];
  for (let i = 0; i <= p; i++) bounds.push(Math.min(total, Math.floor((units * i) / p) * align));
  return bounds;
}
