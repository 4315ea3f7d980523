// wasm-nlp/node: the Node-only helpers (files and directories, atomic saves, the corpus loaders).
export * from '../io/node.js';
export * from '../data/node.js';
export * from '../models/bert/node.js';
