// wasm-nlp: deep learning for NLP on WebAssembly SIMD. The public API.
// Entry points (src/entry/*.ts) install a platform and re-export this module.
export {
  WasmNlpError, ShapeError, DTypeError, ArgumentError, FormatError, VocabError, OutOfMemoryError, NotInitializedError,
} from './core/errors.js';
export { init, shutdown, isInitialized, checkSimd, memoryInUse, memoryStats } from './core/runtime.js';
export type { InitOptions, RuntimeInfo } from './core/runtime.js';
export { Tensor, tidy, keep } from './core/tensor.js';
export type { DType, RandomOptions } from './core/tensor.js';
export { Philox } from './core/rng.js';
export { matmul, gemm } from './ops/matmul.js';
export type { MatmulOptions, GemmOptions, Activation } from './ops/matmul.js';
export { setPlatform, getPlatform, WASM_FILES } from './core/platform.js';
export type { Platform, Build } from './core/platform.js';
export { attention, attentionBackward, attentionWorkspaceBytes, rotary, rotaryBackward } from './ops/attention.js';
export type { AttentionOptions, RotaryOptions } from './ops/attention.js';
