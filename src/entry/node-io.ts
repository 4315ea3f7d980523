// The `wasm-nlp/node` entry: Node-only helpers (files and directories, atomic saves, corpus
// loaders). It shares the runtime with the `wasm-nlp` Node entry (one chunk, one init()).
import './node.js';

export * from '../node/index.js';
