import type { Build, Platform, WorkerHandle } from '../core/platform.js';
import { WASM_FILES, compileFetched } from '../core/platform.js';

/**
 * Browsers (and Deno, Bun): the `.wasm` is fetched from next to the bundle
 * (`baseUrl`), compiled while streaming when the server sends application/wasm;
 * workers are Web Workers loaded from a Blob URL.
 */
export function browserPlatform(baseUrl: URL | undefined): Platform {
  return {
    name: 'browser',
    defaultUrl: (build: Build) => (baseUrl === undefined ? undefined : new URL(WASM_FILES[build], baseUrl)),
    compileUrl: compileFetched,
    startWorker(source: string): WorkerHandle {
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const w = new Worker(url);
      URL.revokeObjectURL(url);
      return {
        postMessage: (m) => w.postMessage(m),
        onMessage: (h) => w.addEventListener('message', (e) => h(e.data)),
        onError: (h) => w.addEventListener('error', (e) => h(e.message)),
        terminate: () => w.terminate(),
      };
    },
    cores: () => globalThis.navigator?.hardwareConcurrency ?? 1,
  };
}
