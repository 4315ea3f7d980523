// Word vectors: word2vec (skip-gram, CBOW) and fastText's sub-word vectors.
export { Word2Vec } from './word2vec.js';
export type { Word2VecOptions, TrainVocab, Word2VecTrainOptions, Word2VecTrainResult, Neighbour } from './word2vec.js';
export { FastText } from './fasttext.js';
export type { FastTextUnsupervisedOptions } from './fasttext.js';
export { SgnsTrainer } from './sgns-trainer.js';
export type { SgnsOptions, SgnsState } from './sgns-trainer.js';
