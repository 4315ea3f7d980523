// wasm-nlp: deep learning for NLP on WebAssembly SIMD. The public API.
// Entry points (src/entry/*.ts) install a platform and re-export this module.
export {
  WasmNlpError, ShapeError, DTypeError, ArgumentError, FormatError, VocabError, OutOfMemoryError, NotInitializedError,
} from './core/errors.js';
export { init, shutdown, isInitialized, checkSimd, memoryInUse, memoryStats, resetPeakMemory } from './core/runtime.js';
export type { InitOptions, RuntimeInfo } from './core/runtime.js';
export { Tensor, tidy, keep } from './core/tensor.js';
export type { DType, RandomOptions } from './core/tensor.js';
export { Philox } from './core/rng.js';
export { matmul, gemm } from './ops/matmul.js';
export type { MatmulOptions, GemmOptions, Activation } from './ops/matmul.js';
export { setPlatform, getPlatform, WASM_FILES } from './core/platform.js';
export type { Platform, Build } from './core/platform.js';
export { softmax, logSoftmax, softmaxBackward, logSoftmaxBackward, softmaxXent, softmaxXentBackward, softmaxXentInplace } from './ops/softmax.js';
export type { SoftmaxOptions, SoftmaxXentOptions, SoftmaxXentBackwardOptions, SoftmaxXentResult } from './ops/softmax.js';
export { layerNorm, layerNormBackward } from './ops/norm.js';
export type { LayerNormOptions, LayerNormResult, LayerNormGrads } from './ops/norm.js';
export { relu, reluBackward, gelu, geluBackward, tanh, tanhBackward, sigmoid, sigmoidBackward } from './ops/activation.js';
export type { ActivationOptions, GeluOptions, GeluApproximate } from './ops/activation.js';
export { embedding, embeddingBackward } from './ops/embedding.js';
export { add, mul, scale, axpy, biasAdd, sumRows, sumCols, dropout, dropoutBackward, sinusoidalPositions } from './ops/elementwise.js';
export type { DropoutOptions } from './ops/elementwise.js';
export { sgdStep, adamStep, clipGradNorm } from './ops/optim.js';
export type { SgdOptions, AdamOptions } from './ops/optim.js';
export { attention, attentionBackward, attentionWorkspaceBytes, rotary, rotaryBackward } from './ops/attention.js';
export type { AttentionOptions, RotaryOptions } from './ops/attention.js';
export { SupervisedTrainer, supervisedPredict, huffmanPaths, negativeTable } from './ops/fasttext.js';
export type { SupervisedLoss, SupervisedBatch, SupervisedOptions } from './ops/fasttext.js';
// text and data (issue 4): tokenizer, vocabulary, canonical corpora (Node loaders: src/data/node.ts)
export { EOS, tokenize, tokenizeBatches, tokenizeString, TokenSplitter } from './text/tokenize.js';
export type { TextChunk, TextSource } from './text/tokenize.js';
export { Vocab, encode, encodeLine } from './text/vocab.js';
export type { VocabEntry, VocabOptions, EntryType, EncodeOptions, EncodedLine } from './text/vocab.js';
export * from './data/index.js';
// fastText subwords, model data and the word-vector formats (issue 4, formats)
export { fastTextHash, computeSubwords, ngramStrings, addWordNgrams, BOW, EOW } from './text/subwords.js';
export {
  wordVector as fastTextWordVector, sentenceVector as fastTextSentenceVector, wordSubwords as fastTextWordSubwords,
  wordId as fastTextWordId, numWords as fastTextNumWords, lineIds as fastTextLineIds,
} from './models/fasttext-model.js';
export type {
  FastTextArgs, FastTextModelData, FastTextMatrix, FastTextEntry, FastTextLoss, FastTextModelName, FastTextLookupOptions,
} from './models/fasttext-model.js';
export { readFastTextBin, writeFastTextBin, FASTTEXT_MAGIC, FASTTEXT_VERSION } from './io/fasttext-bin.js';
export { readVec, writeVec, formatFloat32 } from './io/vec.js';
export type { WordVectors } from './io/vec.js';
export { readWord2VecBin, writeWord2VecBin } from './io/word2vec-bin.js';
export { FastTextClassifier } from './models/fasttext.js';
export type { SupervisedOptions as FastTextSupervisedOptions, SupervisedProgress, Prediction, TestResult } from './models/fasttext.js';
export { SgnsTrainer, aliasTable, huffmanTree, keepProbabilities } from './ops/sgns.js';
export type { SgnsOptions, SgnsState, HuffmanTree } from './ops/sgns.js';
export { Word2Vec } from './models/word2vec.js';
export type { Word2VecOptions, TrainVocab, Word2VecProgress, Word2VecTrainOptions, Word2VecTrainResult, Neighbour } from './models/word2vec.js';
export { FastText } from './models/fasttext-unsupervised.js';
export type { FastTextUnsupervisedOptions, FastTextUnsupervisedProgress } from './models/fasttext-unsupervised.js';
// optimisers, safetensors and checkpoints (issue 5; Node file helpers: src/io/node.ts)
export { Optimizer, AdamBase, SGD, Adam, AdamW } from './optim/optimizer.js';
export type {
  OptimizerName, OptimizerParams, StateTensorName, BaseConfig, SGDConfig, AdamConfig, ParamGroup, OptimizerGroup, GroupState, ParamStateDict, OptimizerStateDict,
} from './optim/optimizer.js';
export { defaultParamGroups, isNoDecay } from './optim/groups.js';
export type { DefaultGroupsOptions } from './optim/groups.js';
export { constantSchedule, linearWarmupDecay, inverseTimeDecay, LRScheduler } from './optim/schedule.js';
export type { Schedule, LRSchedulerState } from './optim/schedule.js';
export { clipGradients, GradAccumulator } from './optim/clip.js';
export type { GradAccumulatorOptions } from './optim/clip.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export type { Safetensors, SafetensorsTensor, SafetensorsInput, SafetensorsReadDType, SafetensorsWriteDType } from './io/safetensors.js';
export { encodeCheckpoint, decodeCheckpoint, CHECKPOINT_VERSION } from './io/checkpoint.js';
export type { Checkpoint, CheckpointInput } from './io/checkpoint.js';
// autograd (issue 5): the tape, Variables, the differentiable ops (F), and the pooling, layout and linear ops under them
export { Parameter } from './autograd/parameter.js';
export { Tape, Variable, tape, backward, noGrad, isGradEnabled, step, variable, param } from './autograd/tape.js';
export type { Input } from './autograd/tape.js';
export * as F from './autograd/functional.js';
export type { MatmulOptions as FMatmulOptions, AttentionOptions as FAttentionOptions, CrossEntropyOptions } from './autograd/functional.js';
export { meanPool, meanPoolBackward, maxPool, maxPoolBackward, firstPool, firstPoolBackward } from './ops/pool.js';
export type { PoolOptions } from './ops/pool.js';
export {
  reshape, reshapeBackward, splitHeads, splitHeadsBackward, mergeHeads, mergeHeadsBackward,
  transposeLast2, transposeLast2Backward, concatLast, concatLastBackward, sliceLast, sliceLastBackward,
} from './ops/layout.js';
export { linear, linearBackward } from './ops/linear.js';
export type { LinearOptions, LinearGrads } from './ops/linear.js';
// nn modules (issue 5): Module, layers, multi-head attention, Transformer encoders (Hugging Face BERT names)
export {
  Module, ModuleList, Dropout, Initializer, StateDictError, fnv1a32, Linear, Embedding, LayerNorm, FeedForward, MultiHeadAttention,
  TransformerEncoderLayer, TransformerEncoder, TransformerEmbeddings,
} from './nn/index.js';
export type {
  StateDictValue, LoadStateDictResult, DropoutRngState, DropoutOptions as DropoutModuleOptions, LinearOptions as LinearModuleOptions, EmbeddingOptions,
  LayerNormOptions as LayerNormModuleOptions, FeedForwardOptions, Activation as FeedForwardActivation, MultiHeadAttentionOptions, AttentionCallOptions, TransformerLayerOptions, TransformerEncoderOptions,
  TransformerEmbeddingsOptions,
} from './nn/index.js';
// threads (issue 5): GEMM and attention split over the calling thread and the worker pool
export { setThreads, getThreads } from './core/threads.js';
export type { ThreadOptions } from './core/threads.js';
// models (issue 5): TextClassifier, SequenceTagger and their shared training loop (docs/models.md)
export { EncoderModel, resolveEncoderConfig } from './models/encoder-model.js';
export type { EncoderModelConfig, ResolvedEncoderConfig, SequenceInput, Unit as EncoderBatchUnit, PaddedBatch } from './models/encoder-model.js';
export { fitModel, epochBatches } from './models/fit.js';
export type { FitOptions, FitProgress, FitResult, FitTarget } from './models/fit.js';
export { TextClassifier } from './models/classifier.js';
export type { ClassifierConfig, ClassificationExample, ResolvedClassifierConfig } from './models/classifier.js';
export { SequenceTagger } from './models/tagger.js';
export type { TaggerConfig, TaggingExample, ResolvedTaggerConfig } from './models/tagger.js';
// neural language model (issue 6)
export { NeuralLM, resolveNeuralLMConfig } from './models/neural-lm.js';
export type { NeuralLMConfig, ResolvedNeuralLMConfig, NeuralLMFitOptions, NeuralLMFitResult, NeuralLMProgress, NeuralLMEpoch, NextWord, GenerateOptions } from './models/neural-lm.js';
// language models (issue 6): interpolated modified Kneser-Ney n-grams, mixtures, LM vocabulary (docs/ngram.md)
export { KneserNey, modifiedKnDiscounts } from './models/ngram.js';
export type { KneserNeyOptions } from './models/ngram.js';
export { mixtureProbs, perplexityOf, fitMixtureWeight } from './models/lm-mix.js';
export { lmVocab, encodeStream } from './models/lm-data.js';
// WordPiece (issue 7): BERT basic tokenization, WordPiece sub-words, encode/decode, vocab.txt / tokenizer.json, training (docs/wordpiece.md)
export { WordPiece, basicTokenize, isBertPunctuation, isChineseChar, stripAccents } from './text/wordpiece.js';
export type { WordPieceOptions, BasicTokenizeOptions, EncodeOptions as WordPieceEncodeOptions, Encoding as WordPieceEncoding, DecodeOptions as WordPieceDecodeOptions, Truncation as WordPieceTruncation, WordPieceTrainOptions } from './text/wordpiece.js';
// BERT (issue 7): Hugging Face-named BertModel and heads, config.json + model.safetensors loading (docs/bert.md)
export { BertModel, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification, bertConfig, bertConfigJson } from './models/bert.js';
export type { BertConfig, BertConfigInput, BertInputs, BertOutput, BertModelOptions, BertPretrainedFiles, BertPretrainedOutput, BertLoadResult } from './models/bert.js';
// masked-LM masking (issue 7): BERT 15% with 80/10/10, whole-word mode, Philox-deterministic (docs/mlm.md)
export { maskTokens, MlmMasker, MLM_MASKING_STREAM } from './models/mlm-masking.js';
export type { MlmMaskingOptions, MlmBatchInput, MaskTokensOptions, MaskedTokens, MlmMaskerState } from './models/mlm-masking.js';
// BERT training (issue 7): masked-LM pre-training, fine-tuning, evaluation, packing documents into sequences (docs/bert.md)
export { packMaskedLMExamples } from './models/bert-train.js';
export type { BertExample, MlmExample, SequenceLabelExample, TokenLabelExample, MlmMaskingConfig, MlmFitOptions, MlmEvaluateOptions, MlmEvaluation, PackOptions } from './models/bert-train.js';
// pipelines (issue 7): transformers.js-shaped fill-mask, feature-extraction, text- and token-classification over the BERT models (docs/pipelines.md)
export { pipeline, PipelineTensor } from './pipelines.js';
export type {
  PipelineTask, PipelineTaskName, PipelineOptions, PipelineBase, Pipeline, PipelineBertModel,
  FillMaskPipeline, FillMaskOptions, FillMaskResult, FillMaskOutput,
  FeatureExtractionPipeline, FeatureExtractionOptions,
  TextClassificationPipeline, TextClassificationOptions, TextClassificationInput, TextClassificationResult,
  TokenClassificationPipeline, TokenClassificationOptions, TokenClassificationResult, TokenClassificationGroup,
} from './pipelines.js';
