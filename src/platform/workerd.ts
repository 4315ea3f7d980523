import type { Platform } from '../core/platform.js';
import { compileFetched } from '../core/platform.js';

/**
 * Cloudflare Workers (workerd): compiling Wasm from bytes is forbidden, so there
 * is no default file; import the `.wasm` as a module and pass init({ module }).
 * No threads.
 */
export function workerdPlatform(): Platform {
  return {
    name: 'workerd',
    defaultUrl: () => undefined,
    compileUrl: compileFetched,
    cores: () => 1,
  };
}
