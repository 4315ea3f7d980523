// wasm-nlp: deep learning for NLP on WebAssembly SIMD. The public API, by area; each folder's
// index.ts lists what it makes public. Entry points (src/entry/*.ts) install a platform and
// re-export this module; Node-only file helpers are the `wasm-nlp/node` entry (src/node/).
export * from './core/index.js';
export * as ops from './ops/index.js';
export * from './autograd/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './io/index.js';
export * from './text/index.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './models/index.js';
export * from './pipelines.js';
