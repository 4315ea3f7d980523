// Word vectors: word2vec (skip-gram, CBOW), fastText's sub-word vectors, and the cosine queries over them.
export { WordVectors } from './word-vectors.js';
export type { WordVectorsOptions, Neighbour } from './word-vectors.js';
export { Word2Vec } from './word2vec.js';
export type { Word2VecOptions, TrainVocab, Word2VecTrainOptions, Word2VecTrainResult } from './word2vec.js';
export { FastText } from './fasttext.js';
export type { FastTextUnsupervisedOptions } from './fasttext.js';
export { SgnsTrainer } from './sgns-trainer.js';
export type { SgnsOptions, SgnsState } from './sgns-trainer.js';
