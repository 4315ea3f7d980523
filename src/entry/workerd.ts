// Cloudflare Workers entry: no default .wasm location; pass init({ module }).
import { setPlatform } from '../core/platform.js';
import { workerdPlatform } from '../platform/workerd.js';

setPlatform(workerdPlatform());

export * from '../index.js';
