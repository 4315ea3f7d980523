// core: the runtime (init, memory, threads), Tensor and its scopes, errors, the RNG.
export {
  WasmNlpError,
  ShapeError,
  DTypeError,
  ArgumentError,
  FormatError,
  VocabError,
  OutOfMemoryError,
  NotInitializedError,
} from './errors.js';
export { init, shutdown, isInitialized, checkSimd, memoryInUse, memoryStats, resetPeakMemory } from './runtime.js';
export type { InitOptions, RuntimeInfo } from './runtime.js';
export { Tensor, tidy, keep } from './tensor.js';
export type { DType, RandomOptions } from './tensor.js';
export { Philox } from './rng.js';
export { setThreads, getThreads } from './threads.js';
export type { ThreadOptions } from './threads.js';
export { setPlatform, getPlatform, WASM_FILES } from './platform.js';
export type { Platform, Build } from './platform.js';
