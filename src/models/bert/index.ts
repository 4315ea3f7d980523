// BERT with Hugging Face's names: the model and its heads, config.json, masked-LM masking, training.
// Reading and writing model directories on disk: wasm-nlp/node.
export { bertConfig, bertConfigJson } from './config.js';
export type { BertConfig, BertConfigInput, BertInputs } from './config.js';
export { BertModel, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification } from './modeling.js';
export type {
  BertOutput,
  BertModelOptions,
  BertPretrainedFiles,
  BertPretrainedOutput,
  BertLoadResult,
} from './modeling.js';
export { maskTokens, MlmMasker, MLM_MASKING_STREAM } from './masking.js';
export type { MlmMaskingOptions, MlmBatchInput, MaskTokensOptions, MaskedTokens, MlmMaskerState } from './masking.js';
export { packMaskedLMExamples } from './training.js';
export type {
  BertExample,
  MlmExample,
  SequenceLabelExample,
  TokenLabelExample,
  MlmMaskingConfig,
  MlmFitOptions,
  MlmEvaluateOptions,
  MlmEvaluation,
  PackOptions,
} from './training.js';
