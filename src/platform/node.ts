import type { Build, Platform, WorkerHandle } from '../core/platform.js';
import { WASM_FILES, compileFetched } from '../core/platform.js';
import { ArgumentError } from '../core/errors.js';

/**
 * Node: the `.wasm` files sit next to the bundle (`baseUrl`), read from disk;
 * workers are worker_threads evaluating the pool's source.
 */
export function nodePlatform(baseUrl: URL): Platform {
  return {
    name: 'node',
    defaultUrl: (build: Build) => new URL(WASM_FILES[build], baseUrl),
    async compileUrl(url: URL) {
      if (url.protocol !== 'file:') return compileFetched(url);
      const { readFile } = await import('node:fs/promises');
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = (await readFile(url)) as Uint8Array<ArrayBuffer>;
      } catch (e) {
        throw new ArgumentError(
          `init: the .wasm file must be readable, got ${url.href} (${e instanceof Error ? e.message : String(e)}). ` +
            'Hint: run `npm run build`, or pass init({ url | bytes | module }).',
        );
      }
      return WebAssembly.compile(bytes);
    },
    startWorker(source: string): WorkerHandle {
      const { Worker } = getWorkerThreads();
      const w = new Worker(source, { eval: true });
      // The pool refs a worker while it has calls in flight and unrefs it when
      // idle, so an idle pool never keeps the process alive. (Adding a
      // 'message' listener re-refs a worker, hence the explicit calls.)
      return {
        postMessage: (m) => w.postMessage(m),
        onMessage: (h) => void w.on('message', h),
        onError: (h) => void w.on('error', h),
        terminate: () => void w.terminate(),
        ref: () => w.ref(),
        unref: () => w.unref(),
      };
    },
    cores: () => getOs().availableParallelism?.() ?? getOs().cpus().length,
  };
}

// worker_threads and os are loaded synchronously through process.getBuiltinModule
// (Node >= 20.16) so that the entry has no top-level await and no static node: import.
type WorkerThreads = typeof import('node:worker_threads');
type Os = typeof import('node:os');
const builtin = <T>(name: string): T => {
  const p = process as unknown as { getBuiltinModule?: (n: string) => unknown };
  if (typeof p.getBuiltinModule !== 'function') {
    throw new Error(`wasm-nlp needs Node >= 20.16 (process.getBuiltinModule) to load ${name}`);
  }
  return p.getBuiltinModule(name) as T;
};
const getWorkerThreads = () => builtin<WorkerThreads>('node:worker_threads');
const getOs = () => builtin<Os>('node:os');
