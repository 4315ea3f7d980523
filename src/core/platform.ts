/**
 * What differs between Node, browsers and edge runtimes: where the default
 * `.wasm` lives and how it is compiled, and how a worker thread is started.
 * Each entry point (src/entry/*.ts) installs one platform; the core never
 * touches `fs`, `fetch` or `Worker` directly.
 */
import { ArgumentError } from './errors.js';

/** The builds of the `.wasm`: 'release' (the default), 'mt' (shared memory, threads), 'debug' (assertions kept). */
export type Build = 'release' | 'mt' | 'debug';

/** The file name of each build's `.wasm`. */
export const WASM_FILES: Record<Build, string> = {
  release: 'wasm-nlp.wasm',
  mt: 'wasm-nlp-mt.wasm',
  debug: 'wasm-nlp-debug.wasm',
};

/** The part of a worker the pool uses; Node's worker_threads and Web Workers both adapt to it. */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
  onError(handler: (error: unknown) => void): void;
  terminate(): void;
  /** Node: keep the process alive while this worker has work (no-op elsewhere). */
  ref?(): void;
  /** Node: let the process exit while this worker is idle (no-op elsewhere). */
  unref?(): void;
}

/** What differs per runtime (Node, browsers, workerd): the default `.wasm` URL, how to compile it, how to start a worker. */
export interface Platform {
  readonly name: string;
  /** URL of the default `.wasm` for a build, next to the bundle; undefined where there is none (workerd). */
  defaultUrl(build: Build): URL | undefined;
  /** Compile the module at `url` (file: URLs from disk in Node; streaming with a fallback in browsers). */
  compileUrl(url: URL): Promise<WebAssembly.Module>;
  /** Start a worker running `source` (plain JavaScript), or undefined where workers are unavailable. */
  startWorker?(source: string): WorkerHandle;
  /** Logical cores, for `threads: 'auto'`. */
  cores(): number;
}

let current: Platform | undefined;

/** Install the runtime's Platform; each entry point (src/entry/*.ts) does so when imported. */
export function setPlatform(p: Platform): void {
  current = p;
}

/** The installed Platform; undefined until an entry point installed one. */
export function getPlatform(): Platform | undefined {
  return current;
}

/** Compile bytes fetched over HTTP: streaming when the server sends application/wasm, else via an ArrayBuffer. */
export async function compileFetched(url: URL): Promise<WebAssembly.Module> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new ArgumentError(
      `init: url must be fetchable, got ${url.href} (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (!response.ok) {
    throw new ArgumentError(
      `init: url must point to the .wasm file, got ${url.href} answering HTTP ${response.status}`,
    );
  }
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.split(';')[0]!.trim() === 'application/wasm') {
    return WebAssembly.compileStreaming(response);
  }
  // Wrong or missing MIME type (a common static-server default): compileStreaming
  // would reject, so compile from the bytes instead.
  return WebAssembly.compile(await response.arrayBuffer());
}
