// Language models: Kneser-Ney n-grams, the Bengio et al. (2003) neural LM, the LSTM LM, their mixtures, the LM vocabulary.
export { KneserNey, modifiedKnDiscounts } from './ngram.js';
export type { KneserNeyOptions } from './ngram.js';
export { NeuralLM, resolveNeuralLMConfig } from './neural-lm.js';
export type {
  NeuralLMConfig,
  ResolvedNeuralLMConfig,
  NeuralLMFitOptions,
  NeuralLMFitResult,
  NeuralLMEpoch,
  NextWord,
  GenerateOptions,
} from './neural-lm.js';
export { LstmLM, resolveLstmLMConfig } from './rnn-lm.js';
export type {
  LstmLMConfig,
  ResolvedLstmLMConfig,
  LstmLMFitOptions,
  LstmLMFitResult,
  LstmLMEpoch,
  LstmLMState,
} from './rnn-lm.js';
export { mixtureProbs, perplexityOf, fitMixtureWeight } from './mix.js';
export { lmVocab, encodeStream, UNK, BOS } from './data.js';
