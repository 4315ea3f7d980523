// Sequence encoders trained from scratch (Transformer, LSTM, GRU, CNN): TextClassifier and SequenceTagger over EncoderModel.
export { EncoderModel, resolveEncoderConfig } from './model.js';
export type { EncoderModelConfig, ResolvedEncoderConfig, SequenceInput, EncoderKind, Pooling } from './model.js';
export { RecurrentEncoder, ConvEncoder } from './encoders.js';
export { TextClassifier } from './classifier.js';
export type { ClassifierConfig, ClassificationExample, ResolvedClassifierConfig } from './classifier.js';
export { SequenceTagger } from './tagger.js';
export type { TaggerConfig, TaggingExample, ResolvedTaggerConfig } from './tagger.js';
