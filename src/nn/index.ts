export { Module, ModuleList, Dropout, Initializer, StateDictError, fnv1a32 } from './module.js';
export type { StateDictValue, LoadStateDictResult, DropoutRngState, DropoutOptions } from './module.js';
export { Linear, Embedding, LayerNorm, FeedForward } from './layers.js';
export type { LinearOptions, EmbeddingOptions, LayerNormOptions, FeedForwardOptions, Activation } from './layers.js';
export { MultiHeadAttention } from './attention.js';
export type { MultiHeadAttentionOptions, AttentionCallOptions } from './attention.js';
export { TransformerEncoderLayer, TransformerEncoder, TransformerEmbeddings } from './transformer.js';
export type {
  TransformerLayerOptions,
  TransformerEncoderOptions,
  TransformerEmbeddingsOptions,
} from './transformer.js';
export { LSTM, GRU, RNN, RNNBase } from './rnn.js';
export type { RnnModuleOptions, RnnOptions, RnnForwardOptions, RnnOutput } from './rnn.js';
export { Conv1d } from './conv.js';
export type { Conv1dOptions } from './conv.js';
