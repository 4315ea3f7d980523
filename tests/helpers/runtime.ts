// Test setup: install the platform of the runtime the test runs in, pointed at
// the .wasm files that `npm run build` wrote to dist/, and init the core.
import { init, type InitOptions, type RuntimeInfo } from '../../src/core/runtime.js';
import { setPlatform } from '../../src/core/platform.js';
import { nodePlatform } from '../../src/platform/node.js';
import { browserPlatform } from '../../src/platform/browser.js';

export const IN_BROWSER = typeof window !== 'undefined';
// Vitest serves the project root in the browser; in Node, dist/ is two levels up.
export const DIST_URL = IN_BROWSER ? new URL('/dist/', location.origin) : new URL('../../dist/', import.meta.url);

export function installPlatform(): void {
  setPlatform(IN_BROWSER ? browserPlatform(DIST_URL) : nodePlatform(DIST_URL));
}

export async function initForTests(options: InitOptions = {}): Promise<RuntimeInfo> {
  installPlatform();
  return init(options);
}

/** The bytes of a built .wasm file, in Node or the browser. */
export async function wasmBytes(file: string): Promise<Uint8Array<ArrayBuffer>> {
  const url = new URL(file, DIST_URL);
  if (IN_BROWSER) return new Uint8Array(await (await fetch(url)).arrayBuffer());
  const { readFile } = await import('node:fs/promises');
  return (await readFile(url)) as Uint8Array<ArrayBuffer>;
}
