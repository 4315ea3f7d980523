// Node entry: the .wasm files are read from next to this bundle.
import { setPlatform } from '../core/platform.js';
import { nodePlatform } from '../platform/node.js';

setPlatform(nodePlatform(new URL('./', import.meta.url)));

export * from '../index.js';
