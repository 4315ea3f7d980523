// Transformer encoders trained from scratch: TextClassifier and SequenceTagger over EncoderModel.
export { EncoderModel, resolveEncoderConfig } from './model.js';
export type { EncoderModelConfig, ResolvedEncoderConfig, SequenceInput } from './model.js';
export { TextClassifier } from './classifier.js';
export type { ClassifierConfig, ClassificationExample, ResolvedClassifierConfig } from './classifier.js';
export { SequenceTagger } from './tagger.js';
export type { TaggerConfig, TaggingExample, ResolvedTaggerConfig } from './tagger.js';
