// Browser entry: the .wasm files are fetched from next to this bundle.
import { setPlatform } from '../core/platform.js';
import { browserPlatform } from '../platform/browser.js';

setPlatform(browserPlatform(new URL('./', import.meta.url)));

export * from '../index.js';
