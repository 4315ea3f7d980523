// Browser entry: the .wasm files are fetched from next to this bundle.
import { setPlatform } from '../core/platform.js';
import { browserPlatform } from '../platform/browser.js';

// The comment stops Vite from trying to resolve the directory URL at build time.
setPlatform(browserPlatform(new URL(/* @vite-ignore */ './', import.meta.url)));

export * from '../index.js';
