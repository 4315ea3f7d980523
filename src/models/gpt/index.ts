// Causal Transformer language models: GPT-2 with Hugging Face's names (GPT2Model, GPT2LMHeadModel),
// GptLM over a word vocabulary, KV-cached decoding sessions and text generation.
export { gpt2Config, gpt2ConfigJson } from './config.js';
export type { GPT2Config, GPT2ConfigInput } from './config.js';
export { GPT2Model, GPT2Block, GPT2Attention, GPT2MLP } from './modeling.js';
export type { GPT2ForwardOptions, GPT2LoadResult } from './modeling.js';
export { GPT2LMHeadModel } from './pretrained.js';
export type { GPT2PretrainedFiles, GPT2PretrainedOutput } from './pretrained.js';
export { GPT2Session } from './session.js';
export type { SessionOptions } from './session.js';
export { GptLM, resolveGptLMConfig } from './lm.js';
export type {
  GptLMConfig,
  ResolvedGptLMConfig,
  GptLMFitOptions,
  GptLMFitResult,
  GptLMEpoch,
  GptLMScoringOptions,
} from './lm.js';
export { generate, stream } from './generate.js';
export type { CausalLM, CausalLMSession, GenerationOptions } from './generate.js';
