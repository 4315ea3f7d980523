import { ArgumentError, NotInitializedError, WasmNlpError } from './errors.js';
import type { Kernels } from './kernels.js';
import { Heap, PAGE, WASM32_MAX_BYTES } from './memory.js';
import { type Build, type Platform, WASM_FILES, compileFetched, getPlatform } from './platform.js';
import { WorkerPool } from './pool.js';

/** Options of `init`: where the `.wasm` comes from (url, bytes or a compiled module), threads, the debug build, memory sizes. */
export interface InitOptions {
  /** Where to fetch the `.wasm` (for bundlers that emit it as an asset). Must be the build that `threads`/`debug` select. */
  url?: string | URL;
  /** The `.wasm` file's bytes. */
  bytes?: BufferSource;
  /** A precompiled module: required on Cloudflare Workers, which forbid compiling from bytes. */
  module?: WebAssembly.Module;
  /**
   * Worker threads for parallel kernels. 1 (the default) uses `wasm-nlp.wasm` and
   * no workers. More than 1 uses `wasm-nlp-mt.wasm` over a shared memory and
   * starts `threads` workers that instantiate it over the same memory (the main
   * thread hands out work and waits); it needs SharedArrayBuffer (Node, or a
   * cross-origin-isolated page).
   */
  threads?: number;
  /** Load `wasm-nlp-debug.wasm`: kernel assertion failures become thrown errors. Single-threaded only. */
  debug?: boolean;
  /** Upper bound on linear memory in bytes, rounded down to 64 KiB pages; default and maximum 4 GiB. */
  maxMemory?: number;
  /** Linear memory to start with, in bytes; default 16 MiB. */
  initialMemory?: number;
}

/** What `init` resolves to: the build loaded, the worker threads, whether memory is shared, the memory limit. */
export interface RuntimeInfo {
  readonly build: Build;
  readonly threads: number;
  readonly sharedMemory: boolean;
  readonly maxMemory: number;
}

export interface Runtime extends RuntimeInfo {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  readonly heap: Heap;
  readonly pool: WorkerPool | undefined;
}

let runtime: Runtime | undefined;
let pending: Promise<RuntimeInfo> | undefined;

/** The running core; throws NotInitializedError before `await init()`. */
export function rt(fn: string): Runtime {
  if (runtime === undefined) {
    throw new NotInitializedError(
      `${fn}: the Wasm core must be loaded first, got no call to init(). Hint: \`await init()\` once before any op.`,
    );
  }
  return runtime;
}

/** True once `init()` has resolved. */
export function isInitialized(): boolean {
  return runtime !== undefined;
}

// A minimal module whose one function uses a v128 (i32x4.splat + drop):
// WebAssembly.validate() rejects it where SIMD128 is missing.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 17, 26, 11,
]);

/** Throws unless the runtime has WebAssembly with SIMD128. `validate` is injectable for tests. */
export function checkSimd(validate: (bytes: BufferSource) => boolean = (b) => WebAssembly.validate(b)): void {
  if (typeof WebAssembly !== 'object') {
    throw new WasmNlpError('init: the runtime must support WebAssembly, got no WebAssembly global');
  }
  if (!validate(SIMD_PROBE)) {
    throw new WasmNlpError(
      'init: the runtime must support WebAssembly SIMD128 (fixed-width SIMD), got a runtime without it. ' +
        'Hint: SIMD128 is in Node >= 16.4, Deno >= 1.9, Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4, and Cloudflare Workers.',
    );
  }
}

/**
 * Load and instantiate the Wasm core once. Later calls return the same promise
 * (options of a later call are ignored while the first stands; `shutdown()` first
 * to change them).
 */
export function init(options: InitOptions = {}): Promise<RuntimeInfo> {
  if (pending === undefined) {
    pending = start(options).catch((e: unknown) => {
      pending = undefined;
      throw e;
    });
  }
  return pending;
}

/** Stop workers and forget the module and memory; every Tensor becomes invalid. `init()` may be called again. */
export function shutdown(): void {
  runtime?.pool?.terminate();
  runtime = undefined;
  pending = undefined;
  generation++;
}

/** Bumped by shutdown(): blocks of an older runtime must not be freed into a new one. */
export let generation = 0;

function checkOptions(o: InitOptions): { threads: number; maxPages: number; initialPages: number; build: Build } {
  const given = [o.url, o.bytes, o.module].filter((x) => x !== undefined).length;
  if (given > 1) throw new ArgumentError(`init: options must name at most one of url, bytes and module, got ${given}`);
  const threads = o.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new ArgumentError(`init: threads must be an integer in [1, 64], got ${threads}`);
  }
  if (o.debug && threads > 1)
    throw new ArgumentError(`init: debug must be false when threads > 1, got threads = ${threads}`);
  const maxMemory = o.maxMemory ?? WASM32_MAX_BYTES;
  if (!(maxMemory >= PAGE && maxMemory <= WASM32_MAX_BYTES)) {
    throw new ArgumentError(`init: maxMemory must be between 65536 and 4294967296 bytes, got ${maxMemory}`);
  }
  const maxPages = Math.floor(maxMemory / PAGE);
  const initialMemory = o.initialMemory ?? Math.min(16 * 2 ** 20, maxPages * PAGE);
  if (!(initialMemory >= 0 && initialMemory <= maxPages * PAGE)) {
    throw new ArgumentError(
      `init: initialMemory must be between 0 and maxMemory (${maxPages * PAGE}), got ${initialMemory}`,
    );
  }
  const build: Build = threads > 1 ? 'mt' : o.debug ? 'debug' : 'release';
  return { threads, maxPages, initialPages: Math.max(1, Math.ceil(initialMemory / PAGE)), build };
}

async function compile(o: InitOptions, build: Build, platform: Platform | undefined): Promise<WebAssembly.Module> {
  if (o.module !== undefined) {
    if (!(o.module instanceof WebAssembly.Module)) {
      throw new ArgumentError(
        `init: module must be a WebAssembly.Module, got ${Object.prototype.toString.call(o.module)}`,
      );
    }
    return o.module;
  }
  if (o.bytes !== undefined) return WebAssembly.compile(o.bytes);
  if (o.url !== undefined) {
    let url: URL;
    try {
      url = typeof o.url === 'string' ? new URL(o.url, globalThis.location?.href) : o.url;
    } catch {
      throw new ArgumentError(
        `init: url must be an absolute URL here (no page to resolve it against), got ${JSON.stringify(o.url)}`,
      );
    }
    return platform !== undefined ? platform.compileUrl(url) : compileFetched(url);
  }
  const url = platform?.defaultUrl(build);
  if (url === undefined) {
    throw new ArgumentError(
      `init: options must include module, bytes or url on this runtime (${platform?.name ?? 'unknown'}), got none. ` +
        `Hint: on Cloudflare Workers, \`import wasm from 'wasm-nlp/${WASM_FILES[build]}'\` and call init({ module: wasm }).`,
    );
  }
  return platform!.compileUrl(url);
}

async function start(o: InitOptions): Promise<RuntimeInfo> {
  const gen = generation;
  const cancelled = () => {
    if (generation !== gen) throw new WasmNlpError('init: cancelled by shutdown() before it finished');
  };
  const { threads, maxPages, initialPages, build } = checkOptions(o);
  checkSimd();
  const platform = getPlatform();
  const shared = build === 'mt';
  if (shared && typeof SharedArrayBuffer === 'undefined') {
    throw new ArgumentError(
      `init: threads must be 1 where SharedArrayBuffer is unavailable, got ${threads}. ` +
        'Hint: serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.',
    );
  }
  const module = await compile(o, build, platform);
  cancelled();
  const memory = new WebAssembly.Memory(
    shared ? { initial: initialPages, maximum: maxPages, shared: true } : { initial: initialPages, maximum: maxPages },
  );
  const imports: WebAssembly.Imports = { env: { memory, abort: makeAbort(memory) } };
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, imports);
    cancelled();
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) {
      throw new ArgumentError(
        `init: module must be ${WASM_FILES[build]} (the build for threads = ${threads}${o.debug ? ', debug' : ''}), ` +
          `got a module that does not link: ${e.message}`,
      );
    }
    throw e;
  }
  const kernels = instance.exports as unknown as Kernels;
  if (typeof kernels.gemm_f32 !== 'function' || typeof kernels.heap_base !== 'function') {
    throw new ArgumentError('init: module must be a wasm-nlp core, got a module without its exports');
  }
  const heap = new Heap(memory, kernels.heap_base(), maxPages * PAGE);
  let pool: WorkerPool | undefined;
  if (threads > 1) {
    if (platform?.startWorker === undefined) {
      throw new ArgumentError(
        `init: threads must be 1 on this runtime (${platform?.name ?? 'unknown'}, no workers), got ${threads}`,
      );
    }
    pool = await WorkerPool.start(platform, module, memory, threads);
    if (generation !== gen) {
      pool.terminate();
      cancelled();
    }
  }
  runtime = { build, threads, sharedMemory: shared, maxMemory: maxPages * PAGE, module, memory, kernels, heap, pool };
  return { build, threads, sharedMemory: shared, maxMemory: maxPages * PAGE };
}

/** env.abort for the debug build: an AssemblyScript assertion failure becomes a thrown WasmNlpError. */
function makeAbort(memory: WebAssembly.Memory) {
  const readString = (ptr: number): string => {
    if (ptr === 0) return '';
    const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0]!;
    const units = new Uint16Array(memory.buffer.slice(ptr, ptr + bytes));
    return String.fromCharCode(...units);
  };
  return (msg: number, file: number, line: number, col: number): never => {
    throw new WasmNlpError(`kernel assertion failed: ${readString(msg)} (${readString(file)}:${line}:${col})`);
  };
}

/** Bytes in live blocks of the allocator. */
export function memoryInUse(): number {
  return rt('memoryInUse').heap.bytesInUse;
}

/** Allocator statistics: bytes in use, peak, reserved linear memory, live blocks. */
/**
 * Restart the peak of memoryStats() at the bytes in use now, to measure the
 * peak of one piece of work (e.g. the scratch an op allocates).
 */
export function resetPeakMemory(): void {
  rt('resetPeakMemory').heap.resetPeak();
}

/** The allocator's counters: bytes in use and their peak (since resetPeakMemory()), bytes reserved, live blocks, the memory limit. */
export function memoryStats(): {
  bytesInUse: number;
  peakBytesInUse: number;
  bytesReserved: number;
  blocks: number;
  maxMemory: number;
} {
  const r = rt('memoryStats');
  return {
    bytesInUse: r.heap.bytesInUse,
    peakBytesInUse: r.heap.peakBytesInUse,
    bytesReserved: r.heap.bytesReserved,
    blocks: r.heap.blockCount,
    maxMemory: r.maxMemory,
  };
}
