// ops: stateless operations on Tensors over the Wasm kernels, each forward with its backward
// (backward functions accumulate into gradient Tensors). Exported as the `ops` namespace.
export { matmul, gemm } from './matmul.js';
export type { MatmulOptions, GemmOptions, Activation } from './matmul.js';
export { linear, linearBackward } from './linear.js';
export type { LinearOptions, LinearGrads } from './linear.js';
export {
  softmax,
  logSoftmax,
  softmaxBackward,
  logSoftmaxBackward,
  softmaxXent,
  softmaxXentBackward,
  softmaxXentInplace,
} from './softmax.js';
export type { SoftmaxOptions, SoftmaxXentOptions, SoftmaxXentBackwardOptions, SoftmaxXentResult } from './softmax.js';
export { layerNorm, layerNormBackward } from './norm.js';
export type { LayerNormOptions, LayerNormResult, LayerNormGrads } from './norm.js';
export { relu, reluBackward, gelu, geluBackward, tanh, tanhBackward, sigmoid, sigmoidBackward } from './activation.js';
export type { ActivationOptions, GeluOptions, GeluApproximate } from './activation.js';
export { embedding, embeddingBackward } from './embedding.js';
export {
  add,
  mul,
  scale,
  axpy,
  biasAdd,
  sumRows,
  sumCols,
  dropout,
  dropoutBackward,
  sinusoidalPositions,
} from './elementwise.js';
export type { DropoutOptions } from './elementwise.js';
export { sgdStep, adamStep, clipGradNorm } from './optim.js';
export type { SgdOptions, AdamOptions } from './optim.js';
export { attention, attentionBackward, attentionWorkspaceBytes, rotary, rotaryBackward } from './attention.js';
export type { AttentionOptions, RotaryOptions } from './attention.js';
export { KVCache, type KVCacheOptions, type KVCacheAttendOptions } from './kvcache.js';
export {
  meanPool,
  meanPoolBackward,
  maxPool,
  maxPoolBackward,
  firstPool,
  firstPoolBackward,
  lastPool,
  lastPoolBackward,
} from './pool.js';
export type { PoolOptions } from './pool.js';
export {
  reshape,
  reshapeBackward,
  splitHeads,
  splitHeadsBackward,
  mergeHeads,
  mergeHeadsBackward,
  transposeLast2,
  transposeLast2Backward,
  concatLast,
  concatLastBackward,
  sliceLast,
  sliceLastBackward,
} from './layout.js';
export { rnn, rnnBackward, rnnGates } from './rnn.js';
export type { RnnMode, RnnOptions, RnnResult, RnnSaved, RnnGrads } from './rnn.js';
export { conv1d, conv1dBackward, conv1dOutputLength } from './conv.js';
export type { Conv1dOptions, Conv1dGrads } from './conv.js';
export { tensorStats, sumOfSquares } from './stats.js';
export type { TensorStats } from './stats.js';
